package service

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strings"
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

var attnOrder = [...]string{AttnConsultOverdue, AttnConsultOpen, AttnFollowUpOverdue, AttnHighRiskChild, AttnMedicinePending, AttnContractExpires}

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

// worklistRow is one covered person while the worklist is built: what the
// reads found, compact and with nothing allocated for it (its dates are
// shared strings), so a team of thousands costs one slice; only the page's
// persons become WorklistItems.
type worklistRow struct {
	member, contract, team int64
	validUntil             string
	nextFollowUp           string
	oldestDue              time.Time // of the open consultations, when hasDue
	consults, overdue      int32     // open consultations, and those past due
	followUpsOverdue       int32
	orders                 int32 // pending medicine orders
	hasDue, highRisk       bool
	expiring               bool
	rank                   uint8 // index in attnOrder of the first attention, len(attnOrder) without one
}

// attention is what needs doing for r, in attnOrder's order.
func (r *worklistRow) attention() [len(attnOrder)]bool {
	return [...]bool{r.overdue > 0, r.consults > 0, r.followUpsOverdue > 0, r.highRisk, r.orders > 0, r.expiring}
}

// compareWorklist orders the worklist, a total order: by first attention,
// then the oldest reply due (persons with an open consultation first), then
// the next follow-up (persons with one first), then the person.
func compareWorklist(a, b *worklistRow) int {
	if a.rank != b.rank {
		return int(a.rank) - int(b.rank)
	}
	if a.hasDue != b.hasDue {
		return boolFirst(a.hasDue)
	}
	if a.hasDue && !a.oldestDue.Equal(b.oldestDue) {
		return a.oldestDue.Compare(b.oldestDue)
	}
	if (a.nextFollowUp == "") != (b.nextFollowUp == "") {
		return boolFirst(a.nextFollowUp != "")
	}
	if c := strings.Compare(a.nextFollowUp, b.nextFollowUp); c != 0 {
		return c
	}
	return cmp.Compare(a.member, b.member)
}

// boolFirst orders what has a thing (first is true) before what has not.
func boolFirst(first bool) int {
	if first {
		return -1
	}
	return 1
}

// item is r as an answer, with p's name and age.
func (r *worklistRow) item(p CareMember) WorklistItem {
	it := WorklistItem{Person: p, ContractID: r.contract, TeamID: r.team, ValidUntil: r.validUntil, Attention: []string{},
		ConsultationsOpen: int(r.consults), ConsultationsOverdue: int(r.overdue), FollowUpsOverdue: int(r.followUpsOverdue),
		NextFollowUp: r.nextFollowUp, HighRisk: r.highRisk, MedicineOrders: int(r.orders), ContractExpiring: r.expiring}
	for i, on := range r.attention() {
		if on {
			it.Attention = append(it.Attention, attnOrder[i])
		}
	}
	if r.hasDue {
		t := r.oldestDue
		it.OldestDueAt = &t
	}
	return it
}

// Rows of the other reads, scanned column by column (scanRows): a team's
// 2,000 persons and 8,000 follow-ups cost gorm's reflective scanning more
// than the database takes to send them.
type (
	consultRow struct {
		PersonID int64
		DueAt    sql.NullTime
	}
	visitRow struct {
		PersonID          int64
		Overdue, HighRisk int64
		NextDue           string
	}
)

// dates keeps one string per distinct date read (a team's thousands of rows
// share a few hundred dates): scanned as bytes, a date already seen costs
// no allocation.
type dates map[string]string

func (d dates) of(b sql.RawBytes) string {
	if s, ok := d[string(b)]; ok {
		return s
	}
	s := string(b)
	d[s] = s
	return s
}

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
	// request waits for the slowest chain, not the sum of four. Each reads
	// an index only (ix_contract_team_work, ix_contract_members_of,
	// ix_medicine_clinic_status, ix_consult_team_status,
	// ix_followup_team_work; migration 00144).
	var (
		rows     []worklistRow // a covered person each
		orders   []int64       // a member id per pending order
		consults []consultRow
		visits   []visitRow
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		db := s.db.WithContext(gctx)
		var clinicIDs []int64
		until := dates{}
		var raw sql.RawBytes
		err := scanRows(db.Table("family_contracts").
			Select("contract_members.member_id, family_contracts.id AS contract_id, family_contracts.team_id, family_contracts.clinic_id, family_contracts.valid_until").
			Joins("JOIN contract_members ON contract_members.contract_id = family_contracts.id").
			Where("family_contracts.team_id IN ? AND family_contracts.status = ? AND contract_members.active = ?", ids, model.ContractActive, true),
			func(r *sql.Rows) error {
				var clinic int64
				rows = append(rows, worklistRow{})
				c := &rows[len(rows)-1]
				if err := r.Scan(&c.member, &c.contract, &c.team, &clinic, &raw); err != nil {
					return err
				}
				c.validUntil = until.of(raw)
				if !slices.Contains(clinicIDs, clinic) {
					clinicIDs = append(clinicIDs, clinic)
				}
				return nil
			})
		if err != nil || len(clinicIDs) == 0 {
			return err
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
		due := dates{}
		var raw sql.RawBytes
		return scanRows(s.db.WithContext(gctx).Model(&model.FollowUpVisit{}).
			Select("person_id, COUNT(CASE WHEN due_date < ? THEN 1 END) AS overdue, MIN(due_date) AS next_due, "+
				"MAX(CASE WHEN rule_code = ? THEN 1 ELSE 0 END) AS high_risk", todayS, "child_high_risk").
			Where("team_id IN ? AND status = ?", ids, model.FollowUpPlanned).Group("person_id"),
			func(r *sql.Rows) error {
				visits = append(visits, visitRow{})
				v := &visits[len(visits)-1]
				if err := r.Scan(&v.PersonID, &v.Overdue, &raw, &v.HighRisk); err != nil {
					return err
				}
				v.NextDue = due.of(raw)
				return nil
			})
	})
	if err := g.Wait(); err != nil {
		return WorklistPage{}, err
	}

	// A member covered twice (which ux_contract_member_active forbids)
	// would be one person, as the last row read has it.
	at := make(map[int64]int32, len(rows))
	list := rows[:0]
	for _, c := range rows {
		c.expiring = c.validUntil != "" && c.validUntil <= expiring
		if i, ok := at[c.member]; ok {
			list[i] = c
			continue
		}
		at[c.member] = int32(len(list))
		list = append(list, c)
	}
	row := func(person int64) *worklistRow {
		if i, ok := at[person]; ok {
			return &list[i]
		}
		return nil
	}
	for _, c := range consults {
		it := row(c.PersonID)
		if it == nil {
			continue
		}
		it.consults++
		if c.DueAt.Valid {
			if c.DueAt.Time.Before(now) {
				it.overdue++
			}
			if !it.hasDue || c.DueAt.Time.Before(it.oldestDue) {
				it.oldestDue, it.hasDue = c.DueAt.Time, true
			}
		}
	}
	for _, v := range visits {
		if it := row(v.PersonID); it != nil {
			it.followUpsOverdue, it.nextFollowUp, it.highRisk = int32(v.Overdue), v.NextDue, v.HighRisk > 0
		}
	}
	for _, member := range orders {
		if it := row(member); it != nil {
			it.orders++
		}
	}
	for i := range list {
		r := &list[i]
		on := r.attention()
		r.rank = uint8(len(attnOrder))
		if first := slices.Index(on[:], true); first >= 0 {
			r.rank = uint8(first)
		}
	}
	sorted := make([]*worklistRow, len(list))
	for i := range list {
		sorted[i] = &list[i]
	}
	slices.SortFunc(sorted, compareWorklist)

	out.Total = len(sorted)
	limit := pageLimit(pg.Limit)
	if cur.Offset > len(sorted) {
		cur.Offset = len(sorted)
	}
	end := min(cur.Offset+limit, len(sorted))
	page := sorted[cur.Offset:end]
	if end < len(sorted) {
		out.Next = pagination.Encode(worklistCursor{Offset: end})
	}
	pids := make([]int64, len(page))
	for i := range page {
		pids[i] = page[i].member
	}
	persons, err := loadCareMembers(db, pids, now, s.loc)
	if err != nil {
		return WorklistPage{}, err
	}
	out.Items = make([]WorklistItem, len(page))
	for i := range page {
		p, ok := persons[page[i].member]
		if !ok {
			p = CareMember{ID: page[i].member}
		}
		out.Items[i] = page[i].item(p)
	}
	return out, nil
}
