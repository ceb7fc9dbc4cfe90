package service

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"time"

	"familycare/model"
	"familycare/pagination"

	"golang.org/x/sync/errgroup"
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

	rank int // index in attnOrder of the first attention, len(attnOrder) without one
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

// Rows of the worklist's reads, scanned column by column (scanRows): a
// team's 2,000 persons and 8,000 follow-ups cost gorm's reflective
// scanning more than the database takes to send them.
type (
	coveredRow struct {
		MemberID, ContractID, TeamID, ClinicID int64
		ValidUntil                             string
	}
	consultRow struct {
		PersonID int64
		DueAt    sql.NullTime
	}
	visitRow struct {
		PersonID          int64
		Overdue, HighRisk int
		NextDue           string
	}
)

// scanRows runs q and calls each for every row.
func scanRows(q *gorm.DB, each func(*sql.Rows) error) error {
	rows, err := q.Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
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

	// Three independent reads at once, each on its own connection: the
	// covered persons (then their clinics' pending medicine orders), the
	// open consultations, the planned follow-ups grouped by person. The
	// request waits for the slowest chain, not the sum of four.
	var (
		covered  []coveredRow
		orders   []int64 // a member id per pending order
		consults []consultRow
		visits   []visitRow
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		db := s.db.WithContext(gctx)
		err := scanRows(db.Table("family_contracts").
			Select("contract_members.member_id, family_contracts.id AS contract_id, family_contracts.team_id, family_contracts.clinic_id, family_contracts.valid_until").
			Joins("JOIN contract_members ON contract_members.contract_id = family_contracts.id").
			Where("family_contracts.team_id IN ? AND family_contracts.status = ? AND contract_members.active = ?", ids, model.ContractActive, true),
			func(r *sql.Rows) error {
				covered = append(covered, coveredRow{})
				c := &covered[len(covered)-1]
				return r.Scan(&c.MemberID, &c.ContractID, &c.TeamID, &c.ClinicID, &c.ValidUntil)
			})
		if err != nil {
			return err
		}
		clinics := map[int64]bool{}
		for _, c := range covered {
			clinics[c.ClinicID] = true
		}
		if len(clinics) == 0 {
			return nil
		}
		clinicIDs := make([]int64, 0, len(clinics))
		for id := range clinics {
			clinicIDs = append(clinicIDs, id)
		}
		return scanRows(db.Model(&model.MedicineOrder{}).Select("member_id").
			Where("clinic_id IN ? AND status IN ?", clinicIDs, []string{model.MedicineRequested, model.MedicineApproved}),
			func(r *sql.Rows) error {
				var id int64
				err := r.Scan(&id)
				orders = append(orders, id)
				return err
			})
	})
	g.Go(func() error {
		return scanRows(s.db.WithContext(gctx).Model(&model.Consultation{}).Select("person_id", "due_at").
			Where("team_id IN ? AND status = ?", ids, model.ConsultOpen),
			func(r *sql.Rows) error {
				consults = append(consults, consultRow{})
				c := &consults[len(consults)-1]
				return r.Scan(&c.PersonID, &c.DueAt)
			})
	})
	g.Go(func() error {
		return scanRows(s.db.WithContext(gctx).Model(&model.FollowUpVisit{}).
			Select("person_id, SUM(CASE WHEN due_date < ? THEN 1 ELSE 0 END) AS overdue, MIN(due_date) AS next_due, "+
				"MAX(CASE WHEN rule_code = ? THEN 1 ELSE 0 END) AS high_risk", todayS, "child_high_risk").
			Where("team_id IN ? AND status = ?", ids, model.FollowUpPlanned).Group("person_id"),
			func(r *sql.Rows) error {
				visits = append(visits, visitRow{})
				v := &visits[len(visits)-1]
				return r.Scan(&v.PersonID, &v.Overdue, &v.NextDue, &v.HighRisk)
			})
	})
	if err := g.Wait(); err != nil {
		return WorklistPage{}, err
	}

	items := make(map[int64]*WorklistItem, len(covered))
	for _, c := range covered {
		items[c.MemberID] = &WorklistItem{Person: CareMember{ID: c.MemberID}, ContractID: c.ContractID, TeamID: c.TeamID,
			ValidUntil: c.ValidUntil, ContractExpiring: c.ValidUntil != "" && c.ValidUntil <= expiring}
	}
	for _, c := range consults {
		it := items[c.PersonID]
		if it == nil {
			continue
		}
		it.ConsultationsOpen++
		if c.DueAt.Valid {
			if c.DueAt.Time.Before(now) {
				it.ConsultationsOverdue++
			}
			if it.OldestDueAt == nil || c.DueAt.Time.Before(*it.OldestDueAt) {
				t := c.DueAt.Time
				it.OldestDueAt = &t
			}
		}
	}
	for _, v := range visits {
		if it := items[v.PersonID]; it != nil {
			it.FollowUpsOverdue, it.NextFollowUp, it.HighRisk = v.Overdue, v.NextDue, v.HighRisk > 0
		}
	}
	for _, member := range orders {
		if it := items[member]; it != nil {
			it.MedicineOrders++
		}
	}

	list := make([]*WorklistItem, 0, len(items))
	for _, it := range items {
		it.Attention, it.rank = []string{}, len(attnOrder)
		// in attnOrder's order
		for i, on := range [...]bool{it.ConsultationsOverdue > 0, it.ConsultationsOpen > 0, it.FollowUpsOverdue > 0,
			it.HighRisk, it.MedicineOrders > 0, it.ContractExpiring} {
			if on {
				it.Attention = append(it.Attention, attnOrder[i])
				it.rank = min(it.rank, i)
			}
		}
		list = append(list, it)
	}
	slices.SortFunc(list, func(a, b *WorklistItem) int {
		if a.rank != b.rank {
			return a.rank - b.rank
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
		return cmp.Compare(a.Person.ID, b.Person.ID)
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
