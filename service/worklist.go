package service

import (
	"context"
	"slices"
	"time"

	"familycare/model"
	"familycare/pagination"

	"gorm.io/gorm"
)

// Attention codes of the worklist, in the order they lead it.
const (
	AttnConsultOverdue  = "consultation_overdue"
	AttnConsultOpen     = "consultation_unanswered"
	AttnFollowUpOverdue = "follow_up_overdue"
	AttnHighRiskChild   = "high_risk_child"
	AttnMedicinePending = "medicine_order_pending"
	AttnContractExpires = "contract_expiring"
)

var attnOrder = []string{AttnConsultOverdue, AttnConsultOpen, AttnFollowUpOverdue, AttnHighRiskChild, AttnMedicinePending, AttnContractExpires}

// worklistExpiringDays: a contract ending within this many days needs
// renewing.
const worklistExpiringDays = 30

// WorklistItem is one person of a doctor's families with what needs
// attention.
type WorklistItem struct {
	Person               CareMember
	ContractID, TeamID   int64
	ValidUntil           string
	Attention            []string
	ConsultationsOpen    int
	ConsultationsOverdue int
	OldestDueAt          *time.Time
	FollowUpsOverdue     int
	NextFollowUp         string
	HighRisk             bool
	MedicineOrders       int
	ContractExpiring     bool
}

// WorklistPage is a page of the worklist and how many persons it has.
type WorklistPage struct {
	Items []WorklistItem
	Next  string
	Total int
}

// WorklistService answers a doctor's "my families".
type WorklistService struct {
	db    *gorm.DB
	clock Clock
	loc   *time.Location
}

// NewWorklistService builds the service.
func NewWorklistService(deps Deps) *WorklistService {
	return &WorklistService{db: deps.DB, clock: deps.Clock, loc: deps.Loc}
}

type worklistCursor struct {
	Offset int `json:"o"`
}

// Worklist lists the persons covered by the active contracts of the
// caller's teams (a staff account that is a member of no team has none),
// those needing attention first: overdue then unanswered consultations,
// overdue follow-ups, high-risk children, pending medicine orders,
// contracts expiring; then by person. A few grouped queries over the
// teams' rows, sorted in memory, one page of names read.
func (s *WorklistService) Worklist(ctx context.Context, p Principal, teamID int64, pg pagination.Page) (WorklistPage, error) {
	db := s.db.WithContext(ctx)
	var cur worklistCursor
	if err := decodeCursor(pg.Cursor, &cur); err != nil {
		return WorklistPage{}, err
	}
	teams, err := myTeams(db, p)
	if err != nil {
		return WorklistPage{}, err
	}
	ids := make([]int64, 0, len(teams))
	for id := range teams {
		if teamID == 0 || id == teamID {
			ids = append(ids, id)
		}
	}
	out := WorklistPage{Items: []WorklistItem{}}
	if len(ids) == 0 {
		return out, nil
	}
	now := s.clock.Now()
	y, m, d := now.In(s.loc).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	todayS, expiring := today.Format(dateLayout), today.AddDate(0, 0, worklistExpiringDays).Format(dateLayout)

	var covered []struct {
		MemberID, ContractID, TeamID, ClinicID int64
		ValidUntil                             string
	}
	if err := db.Table("family_contracts").
		Select("contract_members.member_id, family_contracts.id AS contract_id, family_contracts.team_id, family_contracts.clinic_id, family_contracts.valid_until").
		Joins("JOIN contract_members ON contract_members.contract_id = family_contracts.id").
		Where("family_contracts.team_id IN ? AND family_contracts.status = ? AND contract_members.active = ?", ids, model.ContractActive, true).
		Scan(&covered).Error; err != nil {
		return WorklistPage{}, err
	}
	items := make(map[int64]*WorklistItem, len(covered))
	clinics := map[int64]bool{}
	for _, c := range covered {
		items[c.MemberID] = &WorklistItem{Person: CareMember{ID: c.MemberID}, ContractID: c.ContractID, TeamID: c.TeamID,
			ValidUntil: c.ValidUntil, ContractExpiring: c.ValidUntil != "" && c.ValidUntil <= expiring}
		clinics[c.ClinicID] = true
	}

	var consults []struct {
		PersonID int64
		DueAt    *time.Time
	}
	if err := db.Model(&model.Consultation{}).Select("person_id", "due_at").
		Where("team_id IN ? AND status = ?", ids, model.ConsultOpen).Scan(&consults).Error; err != nil {
		return WorklistPage{}, err
	}
	for _, c := range consults {
		it := items[c.PersonID]
		if it == nil {
			continue
		}
		it.ConsultationsOpen++
		if c.DueAt != nil {
			if c.DueAt.Before(now) {
				it.ConsultationsOverdue++
			}
			if it.OldestDueAt == nil || c.DueAt.Before(*it.OldestDueAt) {
				t := *c.DueAt
				it.OldestDueAt = &t
			}
		}
	}

	var visits []struct {
		PersonID int64
		Overdue  int
		NextDue  string
		HighRisk int
	}
	if err := db.Model(&model.FollowUpVisit{}).
		Select("person_id, SUM(CASE WHEN due_date < ? THEN 1 ELSE 0 END) AS overdue, MIN(due_date) AS next_due, "+
			"MAX(CASE WHEN rule_code = ? THEN 1 ELSE 0 END) AS high_risk", todayS, "child_high_risk").
		Where("team_id IN ? AND status = ?", ids, model.FollowUpPlanned).Group("person_id").Scan(&visits).Error; err != nil {
		return WorklistPage{}, err
	}
	for _, v := range visits {
		if it := items[v.PersonID]; it != nil {
			it.FollowUpsOverdue, it.NextFollowUp, it.HighRisk = v.Overdue, v.NextDue, v.HighRisk > 0
		}
	}

	clinicIDs := make([]int64, 0, len(clinics))
	for id := range clinics {
		clinicIDs = append(clinicIDs, id)
	}
	var orders []struct{ MemberID int64 }
	if err := db.Model(&model.MedicineOrder{}).Select("member_id").
		Where("clinic_id IN ? AND status IN ?", clinicIDs, []string{model.MedicineRequested, model.MedicineApproved}).
		Scan(&orders).Error; err != nil {
		return WorklistPage{}, err
	}
	for _, o := range orders {
		if it := items[o.MemberID]; it != nil {
			it.MedicineOrders++
		}
	}

	list := make([]*WorklistItem, 0, len(items))
	for _, it := range items {
		flags := map[string]bool{AttnConsultOverdue: it.ConsultationsOverdue > 0, AttnConsultOpen: it.ConsultationsOpen > 0,
			AttnFollowUpOverdue: it.FollowUpsOverdue > 0, AttnHighRiskChild: it.HighRisk, AttnMedicinePending: it.MedicineOrders > 0,
			AttnContractExpires: it.ContractExpiring}
		it.Attention = []string{}
		for _, a := range attnOrder {
			if flags[a] {
				it.Attention = append(it.Attention, a)
			}
		}
		list = append(list, it)
	}
	rank := func(it *WorklistItem) int {
		if len(it.Attention) == 0 {
			return len(attnOrder)
		}
		return slices.Index(attnOrder, it.Attention[0])
	}
	slices.SortFunc(list, func(a, b *WorklistItem) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		if a.OldestDueAt != nil && b.OldestDueAt != nil && !a.OldestDueAt.Equal(*b.OldestDueAt) {
			return a.OldestDueAt.Compare(*b.OldestDueAt)
		}
		if a.NextFollowUp != b.NextFollowUp && a.NextFollowUp != "" && b.NextFollowUp != "" {
			if a.NextFollowUp < b.NextFollowUp {
				return -1
			}
			return 1
		}
		return int(a.Person.ID - b.Person.ID)
	})
	out.Total = len(list)
	limit := pageLimit(pg.Limit)
	if cur.Offset > len(list) {
		cur.Offset = len(list)
	}
	end := min(cur.Offset+limit, len(list))
	page := list[cur.Offset:end]
	if end < len(list) {
		out.Next = pagination.Encode(worklistCursor{Offset: end})
	}
	pids := make([]int64, len(page))
	for i, it := range page {
		pids[i] = it.Person.ID
	}
	persons, err := loadCareMembers(db, pids, now, s.loc)
	if err != nil {
		return WorklistPage{}, err
	}
	for _, it := range page {
		if pm, ok := persons[it.Person.ID]; ok {
			it.Person = pm
		}
		out.Items = append(out.Items, *it)
	}
	return out, nil
}
