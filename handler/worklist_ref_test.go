package handler_test

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"familycare/handler"
	"familycare/model"
	"familycare/service"
	"familycare/testkit"
)

// wlRef is the worklist of a doctor of teams, computed the plain way from
// the tables (one query each, a struct per person, the rank from the
// attention list): what GET /staff/worklist must answer, page after page.
func wlRef(h *testkit.Harness, now time.Time, teams ...int64) []handler.WorklistItemDTO {
	h.T.Helper()
	must := func(err error) {
		if err != nil {
			h.T.Fatal(err)
		}
	}
	var contracts []model.FamilyContract
	must(h.DB.Where("team_id IN ? AND status = ?", teams, model.ContractActive).Find(&contracts).Error)
	type ref struct {
		handler.WorklistItemDTO
		rank int
	}
	items := map[int64]*ref{}
	clinics := map[int64]bool{}
	today := now.In(ctLoc).Format("2006-01-02")
	expiring := now.In(ctLoc).AddDate(0, 0, 30).Format("2006-01-02")
	for _, c := range contracts {
		var members []model.ContractMember
		must(h.DB.Where("contract_id = ? AND active = ?", c.ID, true).Find(&members).Error)
		for _, m := range members {
			var p model.Person
			must(h.DB.Unscoped().First(&p, m.MemberID).Error)
			items[m.MemberID] = &ref{WorklistItemDTO: handler.WorklistItemDTO{
				Person:     handler.ConsultPersonDTO{ID: p.ID, Name: p.Name, Relation: p.Relation, Gender: p.Gender},
				ContractID: c.ID, TeamID: c.TeamID, ValidUntil: c.ValidUntil,
				ContractExpiring: c.ValidUntil != "" && c.ValidUntil <= expiring}}
			if age := service.AgeYears(p.BirthDate, now, ctLoc); age >= 0 {
				items[m.MemberID].Person.AgeYears = &age
			}
			clinics[c.ClinicID] = true
		}
	}
	var consults []model.Consultation
	must(h.DB.Where("team_id IN ? AND status = ?", teams, model.ConsultOpen).Find(&consults).Error)
	for _, c := range consults {
		if it := items[c.PersonID]; it != nil {
			it.ConsultationsOpen++
			if c.DueAt != nil && c.DueAt.Before(now) {
				it.ConsultationsOverdue++
			}
			if c.DueAt != nil && (it.OldestDueAt == nil || c.DueAt.Before(*it.OldestDueAt)) {
				it.OldestDueAt = c.DueAt
			}
		}
	}
	var visits []model.FollowUpVisit
	must(h.DB.Where("team_id IN ? AND status = ?", teams, model.FollowUpPlanned).Find(&visits).Error)
	for _, v := range visits {
		if it := items[v.PersonID]; it != nil {
			if v.DueDate < today {
				it.FollowUpsOverdue++
			}
			if it.NextFollowUp == "" || v.DueDate < it.NextFollowUp {
				it.NextFollowUp = v.DueDate
			}
			it.HighRisk = it.HighRisk || v.RuleCode == "child_high_risk"
		}
	}
	var orders []model.MedicineOrder
	must(h.DB.Where("status IN ?", []string{model.MedicineRequested, model.MedicineApproved}).Find(&orders).Error)
	for _, o := range orders {
		if it := items[o.MemberID]; it != nil && clinics[o.ClinicID] {
			it.MedicineOrders++
		}
	}
	list := make([]*ref, 0, len(items))
	for _, it := range items {
		it.Attention = []string{}
		for _, a := range []struct {
			on   bool
			code string
		}{{it.ConsultationsOverdue > 0, "consultation_overdue"}, {it.ConsultationsOpen > 0, "consultation_unanswered"},
			{it.FollowUpsOverdue > 0, "follow_up_overdue"}, {it.HighRisk, "high_risk_child"},
			{it.MedicineOrders > 0, "medicine_order_pending"}, {it.ContractExpiring, "contract_expiring"}} {
			if a.on {
				it.Attention = append(it.Attention, a.code)
			}
		}
		it.rank = 6
		if len(it.Attention) > 0 {
			it.rank = slices.Index([]string{"consultation_overdue", "consultation_unanswered", "follow_up_overdue",
				"high_risk_child", "medicine_order_pending", "contract_expiring"}, it.Attention[0])
		}
		list = append(list, it)
	}
	// Written out plainly: rank, then who has an open consultation (the
	// oldest reply due first), then who has a next follow-up (the nearest
	// first), then the person.
	key := func(it *ref) (due, followUp string) {
		due, followUp = "~", "~" // after every date
		if it.OldestDueAt != nil {
			due = it.OldestDueAt.UTC().Format("2006-01-02T15:04:05.000000000")
		}
		if it.NextFollowUp != "" {
			followUp = it.NextFollowUp
		}
		return due, followUp
	}
	slices.SortFunc(list, func(a, b *ref) int {
		ad, af := key(a)
		bd, bf := key(b)
		return cmp.Or(a.rank-b.rank, cmp.Compare(ad, bd), cmp.Compare(af, bf), cmp.Compare(a.Person.ID, b.Person.ID))
	})
	out := make([]handler.WorklistItemDTO, len(list))
	for i, it := range list {
		out[i] = it.WorklistItemDTO
	}
	return out
}

// TestWorklist_EveryPageAsTheReference: a team of 40 households (three
// persons each, some no longer covered) with open, answered and other
// teams' consultations whose reply times tie, planned, done and high-risk
// follow-ups on shared dates (every person at least one planned), pending and delivered orders at the team's
// clinic and elsewhere, contracts ending soon, later, without an end, not
// active or of another team: every page of seven, read with the cursor,
// is exactly the reference list, field by field, and total counts it.
func TestWorklist_EveryPageAsTheReference(t *testing.T) {
	h := ctNew(t)
	h.Seed()
	lead := h.Staff("wl-ref-lead", ctClinic3)
	dtJoin(h, ctTeam3, "lead", lead)
	now := h.Clock.Now()
	today := now.In(ctLoc)
	day := func(d int) string { return today.AddDate(0, 0, d).Format("2006-01-02") }
	active := true
	seq := uint32(7)
	pick := func(n int) int { // a fixed pseudo-random sequence
		seq = seq*1664525 + 1013904223
		return int(seq>>16) % n
	}
	for hh := range 40 {
		u := model.User{OpenID: fmt.Sprintf("wl-ref-%d", hh), Role: model.RoleResident, CreatedAt: now, UpdatedAt: now}
		h.Create(&u)
		team, clinic, status := int64(ctTeam3), int64(ctClinic3), model.ContractActive
		switch hh % 13 {
		case 5:
			team, clinic = ctTeam4, ctClinic4
		case 9:
			status = model.ContractTerminated
		}
		until := []string{day(5), day(30), day(31), day(200), ""}[pick(5)]
		c := model.FamilyContract{UserID: u.ID, TeamID: team, ClinicID: clinic, Status: status, AppliedBy: model.AppliedBySelf,
			AppliedByUserID: u.ID, ValidFrom: day(-100), ValidUntil: until, CreatedAt: now, UpdatedAt: now}
		h.Create(&c)
		for i := range 3 {
			p := model.Person{UserID: u.ID, Name: fmt.Sprintf("居民%d-%d", hh, i), Relation: []string{model.RelationParent, "child", "self"}[i],
				Gender: []string{"female", "male", "unknown"}[pick(3)], BirthDate: today.AddDate(-[]int{72, 4, 40}[i], 0, -hh).Format("2006-01-02"),
				CreatedAt: now, UpdatedAt: now}
			h.Create(&p)
			m := model.ContractMember{ContractID: c.ID, MemberID: p.ID, AppliedBy: model.AppliedBySelf}
			if pick(6) > 0 {
				m.Active = &active
			}
			h.Create(&m)
			// Some persons have no follow-up planned: they come after those
			// of their rank who have one (a total order, the same however
			// the rows are read).
			first := pick(5)
			for k := range []int{0, 1, 2, 3, 4}[pick(5)] {
				d := []int{-40, -3, 0, 12, 12 + 90}[(first+k)%5]
				rule := "hypertension"
				if i == 1 && pick(2) == 0 {
					rule = "child_high_risk"
				}
				st := model.FollowUpPlanned
				if k > 0 && pick(4) == 0 {
					st = model.FollowUpDone
				}
				h.Create(&model.FollowUpVisit{PersonID: p.ID, RuleCode: rule, DueDate: day(d + pick(3)), TeamID: team, ContractID: c.ID,
					Status: st, Record: "", CreatedAt: now, UpdatedAt: now})
			}
			for range pick(3) {
				due := now.Add(time.Duration([]int{-30, -5, -5, 3, 3, 20}[pick(6)]) * time.Hour)
				st, ct := model.ConsultOpen, team
				switch pick(6) {
				case 0:
					st = model.ConsultAnswered
				case 1:
					ct = ctTeam4
				}
				h.Create(&model.Consultation{PersonID: p.ID, OpenedBy: u.ID, TeamID: ct, ClinicID: clinic, ContractID: c.ID, Status: st,
					QueueRank: model.ConsultQueueRank(st), DueAt: &due, LastMessageAt: now, CreatedAt: now, UpdatedAt: now})
			}
			if pick(4) == 0 {
				oc := clinic
				if pick(3) == 0 {
					oc = ctClinic4
				}
				h.Create(&model.MedicineOrder{UserID: u.ID, MemberID: p.ID, ContractID: c.ID, ClinicID: oc,
					Status:  []string{model.MedicineRequested, model.MedicineApproved, model.MedicineDelivered}[pick(3)],
					Address: "-", ContactPhone: "-", HandoverCode: "-", CreatedAt: now, UpdatedAt: now})
			}
		}
	}
	want := wlRef(h, now, ctTeam3)
	if len(want) < 60 {
		t.Fatalf("the reference has %d persons: the data is too thin to test", len(want))
	}
	seen := map[string]int{}
	for _, it := range want {
		for _, a := range it.Attention {
			seen[a]++
		}
		if len(it.Attention) == 0 {
			seen["none"]++
		}
	}
	for _, a := range []string{"consultation_overdue", "consultation_unanswered", "follow_up_overdue", "high_risk_child",
		"medicine_order_pending", "contract_expiring", "none"} {
		if seen[a] < 2 {
			t.Fatalf("the reference has %d persons with %s: the data is too thin to test (%v)", seen[a], a, seen)
		}
	}
	L := testkit.Token(lead.Token)
	var got []handler.WorklistItemDTO
	cursor := ""
	for page := 0; ; page++ {
		var wl handler.WorklistDTO
		h.Do("GET", "/api/v1/staff/worklist?limit=7&cursor="+cursor, nil, L).Expect(200).JSON(&wl)
		if wl.Total != len(want) || len(wl.Items) > 7 || page > len(want) {
			t.Fatalf("page %d: total %d, %d items; want total %d", page, wl.Total, len(wl.Items), len(want))
		}
		got = append(got, wl.Items...)
		if cursor = wl.NextCursor; cursor == "" {
			break
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d persons over the pages, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if !wlSame(g, w) {
			t.Fatalf("row %d:\n got %s\nwant %s", i, wlString(g), wlString(w))
		}
	}
}

func wlSame(a, b handler.WorklistItemDTO) bool {
	sameTime := (a.OldestDueAt == nil) == (b.OldestDueAt == nil) && (a.OldestDueAt == nil || a.OldestDueAt.Equal(*b.OldestDueAt))
	sameAge := (a.Person.AgeYears == nil) == (b.Person.AgeYears == nil) && (a.Person.AgeYears == nil || *a.Person.AgeYears == *b.Person.AgeYears)
	a.OldestDueAt, b.OldestDueAt, a.Person.AgeYears, b.Person.AgeYears = nil, nil, nil, nil
	return sameTime && sameAge && wlString(a) == wlString(b)
}

func wlString(it handler.WorklistItemDTO) string {
	due, age := "-", "-"
	if it.OldestDueAt != nil {
		due = it.OldestDueAt.UTC().Format("2006-01-02T15:04:05.000000000")
	}
	if it.Person.AgeYears != nil {
		age = fmt.Sprint(*it.Person.AgeYears)
	}
	p := it.Person
	p.AgeYears = nil
	return fmt.Sprintf("%+v due=%s age=%s %+v", p, due, age,
		[]any{it.ContractID, it.TeamID, it.ValidUntil, it.Attention, it.ConsultationsOpen, it.ConsultationsOverdue,
			it.FollowUpsOverdue, it.NextFollowUp, it.HighRisk, it.MedicineOrders, it.ContractExpiring})
}
