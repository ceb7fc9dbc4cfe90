package handler_test

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"familycare/model"
	"familycare/testkit"
)

// TestWorklist_Bench2000 measures GET /staff/worklist for a doctor whose
// team has 2,000 signed persons (500 households of four), with open
// consultations, 8,000 planned follow-ups and pending medicine orders,
// through the gin engine. Run it on MariaDB (README, "Family doctor in
// practice"):
//
//	BENCH_WORKLIST=1 TEST_MYSQL_DSN=... go test ./handler -run TestWorklist_Bench2000 -v
func TestWorklist_Bench2000(t *testing.T) {
	if os.Getenv("BENCH_WORKLIST") == "" {
		t.Skip("set BENCH_WORKLIST=1 (and TEST_MYSQL_DSN for MariaDB)")
	}
	h := ctNew(t)
	h.Seed()
	lead := h.Staff("bench-lead", ctClinic3)
	dtJoin(h, ctTeam3, "lead", lead)
	now := h.Clock.Now()
	today := now.In(ctLoc)
	active := true
	const households, perHousehold = 500, 4
	for hh := range households {
		u := model.User{OpenID: fmt.Sprintf("bench-%d", hh), Role: model.RoleResident, CreatedAt: now, UpdatedAt: now}
		h.Create(&u)
		c := model.FamilyContract{UserID: u.ID, TeamID: ctTeam3, ClinicID: ctClinic3, Status: model.ContractActive, AppliedBy: model.AppliedBySelf,
			AppliedByUserID: u.ID, ValidFrom: today.AddDate(0, -3, 0).Format("2006-01-02"), ValidUntil: today.AddDate(0, 9, 0).Format("2006-01-02"),
			CreatedAt: now, UpdatedAt: now}
		h.Create(&c)
		members := make([]model.Person, perHousehold)
		for i := range members {
			members[i] = model.Person{UserID: u.ID, Name: fmt.Sprintf("居民%d-%d", hh, i), Relation: model.RelationParent, Gender: "female",
				BirthDate: today.AddDate(-70, 0, -i).Format("2006-01-02"), ChronicConditions: []string{"高血压"}, CreatedAt: now, UpdatedAt: now}
		}
		h.Create(&members)
		cms := make([]model.ContractMember, perHousehold)
		var visits []model.FollowUpVisit
		for i, m := range members {
			cms[i] = model.ContractMember{ContractID: c.ID, MemberID: m.ID, Active: &active, AppliedBy: model.AppliedBySelf}
			for k := range 4 {
				visits = append(visits, model.FollowUpVisit{PersonID: m.ID, RuleCode: "hypertension", TeamID: ctTeam3, ContractID: c.ID,
					DueDate: today.AddDate(0, 0, -30+90*k).Format("2006-01-02"), Status: model.FollowUpPlanned, Record: "", CreatedAt: now, UpdatedAt: now})
			}
		}
		h.Create(&cms)
		h.Create(&visits)
		if hh%5 == 0 {
			due := now.Add(time.Duration(hh-250) * time.Hour)
			h.Create(&model.Consultation{PersonID: members[0].ID, OpenedBy: u.ID, TeamID: ctTeam3, ClinicID: ctClinic3, ContractID: c.ID,
				Status: model.ConsultOpen, DueAt: &due, LastMessageAt: now, CreatedAt: now, UpdatedAt: now})
		}
		if hh%10 == 0 {
			h.Create(&model.MedicineOrder{UserID: u.ID, MemberID: members[1].ID, ContractID: c.ID, ClinicID: ctClinic3, Status: model.MedicineRequested,
				Address: "-", ContactPhone: "-", HandoverCode: "-", CreatedAt: now, UpdatedAt: now})
		}
	}
	L := testkit.Token(lead.Token)
	var first struct {
		Total int `json:"total"`
	}
	h.Do("GET", "/api/v1/staff/worklist", nil, L).Expect(200).JSON(&first)
	if first.Total != households*perHousehold {
		t.Fatalf("total %d", first.Total)
	}
	const n = 300
	lat := make([]time.Duration, n)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range n {
		start := time.Now()
		testkit.Do(t, h.App.Engine, "GET", "/api/v1/staff/worklist?limit=20", nil, L).Expect(200)
		lat[i] = time.Since(start)
	}
	runtime.ReadMemStats(&after)
	slices.Sort(lat)
	p50, p99 := lat[n/2], lat[n*99/100]
	t.Logf("worklist, 2,000 signed persons, %d requests: p50 %.1f ms, p99 %.1f ms, %d allocations and %d kB a request (driver %s)", n,
		float64(p50.Microseconds())/1000, float64(p99.Microseconds())/1000, (after.Mallocs-before.Mallocs)/n,
		(after.TotalAlloc-before.TotalAlloc)/n/1024, h.DB.Dialector.Name())
}
