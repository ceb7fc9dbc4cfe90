package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"familycare/model"
	"familycare/pagination"

	"gorm.io/gorm"
)

// Errors of family-doctor contracts.
var (
	ErrMemberAlreadyContracted = newErr(KindConflict, "member_already_contracted", "this family member already has an active family-doctor contract")
	ErrContractAlreadyRenewed  = newErr(KindConflict, "contract_already_renewed", "this contract already has a renewal")
	ErrRenewalWindowClosed     = newErr(KindConflict, "renewal_window_closed", "only an active contract or one expired within 90 days can be renewed; apply for a new contract")
)

// Notification events of family-doctor contracts.
const (
	EventContractApplied    = "contract_applied" // to the staff of the team's clinic
	EventContractApproved   = "contract_approved"
	EventContractRejected   = "contract_rejected"
	EventContractTerminated = "contract_terminated"
	EventContractExpiring   = "contract_expiring"
	EventContractExpired    = "contract_expired"
	EventContractActivated  = "contract_activated" // a scheduled renewal started
)

// Contract rules.
const (
	// ContractRenewalGraceDays is how long after expiry a contract may still
	// be renewed without a gap.
	ContractRenewalGraceDays = 90
	// ContractReminderDays is how long before expiry the resident is told.
	ContractReminderDays = 30
	// ContractMaxMembers bounds the members of one application.
	ContractMaxMembers = 20
	// contractJobBatch bounds the rows one job pass handles.
	contractJobBatch = 500
)

// contractMachine is the contract state machine. A renewal is a move of
// the renewed contract to its own status (recorded in its history). Leaving
// active frees the members' coverage; a renewal that will not happen frees
// its predecessor for another renewal.
var contractMachine = &Machine{
	Name: "contract", Table: "family_contracts",
	States: []string{model.ContractPending, model.ContractScheduled, model.ContractActive, model.ContractRejected,
		model.ContractTerminated, model.ContractExpired},
	Moves: []Move{
		{"", model.ContractPending, []string{SideResident, SideStaff}},
		{model.ContractPending, model.ContractActive, []string{SideStaff}},
		{model.ContractPending, model.ContractScheduled, []string{SideStaff}},
		{model.ContractPending, model.ContractRejected, []string{SideStaff, SideSystem}},
		{model.ContractScheduled, model.ContractActive, []string{SideSystem}},
		{model.ContractScheduled, model.ContractTerminated, []string{SideResident, SideStaff, SideSystem}},
		{model.ContractActive, model.ContractTerminated, []string{SideResident, SideStaff, SideSystem}},
		{model.ContractActive, model.ContractExpired, []string{SideSystem}},
		{model.ContractActive, model.ContractActive, []string{SideResident}},   // renewal applied
		{model.ContractExpired, model.ContractExpired, []string{SideResident}}, // renewal within the grace days
	},
	model: func() any { return &model.FamilyContract{} },
	event: func(st Step, at time.Time) any {
		return &model.ContractEvent{ContractID: st.ID, FromStatus: st.From, ToStatus: st.To, At: at,
			ByUserID: st.By.UserID, ByRole: st.By.Role, Reason: historyReason(st.Reason)}
	},
	after: func(tx *gorm.DB, st Step, _ time.Time) error {
		switch {
		case st.From == model.ContractActive && st.To != model.ContractActive:
			return releaseContractCoverage(tx, st.ID)
		case st.To == model.ContractRejected, st.From == model.ContractScheduled && st.To == model.ContractTerminated:
			return freeContractRenewal(tx, *st.Row.(*model.FamilyContract))
		}
		return nil
	},
}

// ContractNotifier records notifications inside the caller's transaction.
type ContractNotifier interface {
	Notify(tx *gorm.DB, n Notice) error
}

// ContractService runs family-doctor teams, whole-family contracts and
// their expiry.
type ContractService struct {
	db     *gorm.DB
	clock  Clock
	loc    *time.Location
	log    *slog.Logger
	notify ContractNotifier
}

// NewContractService builds the service.
func NewContractService(deps Deps, notifier ContractNotifier) *ContractService {
	return &ContractService{db: deps.DB, clock: deps.Clock, loc: deps.Loc, log: deps.Log, notify: notifier}
}

// ContractMemberView is a member covered by a contract.
type ContractMemberView struct {
	CareMember
	AppliedBy string
	// Covered is true while this contract is the member's active one.
	Covered bool
}

// TeamView is a doctor team with its doctors.
type TeamView struct {
	Team    model.DoctorTeam
	Doctors []model.TeamDoctor
}

// ContractView is a contract with its team, members and history.
type ContractView struct {
	Contract model.FamilyContract
	Team     model.DoctorTeam
	Members  []ContractMemberView
	History  []model.ContractEvent
}

// ---- doctor teams ----

// Teams lists doctor teams (of one clinic when clinicID > 0), by id.
func (s *ContractService) Teams(ctx context.Context, clinicID int64, p pagination.Page) ([]TeamView, string, error) {
	db := s.db.WithContext(ctx)
	q := db
	if clinicID > 0 {
		q = q.Where("clinic_id = ?", clinicID)
	}
	teams, next, err := findPageByID(q, p, false, func(t model.DoctorTeam) int64 { return t.ID })
	if err != nil {
		return nil, "", err
	}
	ids := make([]int64, len(teams))
	for i, t := range teams {
		ids[i] = t.ID
	}
	var docs []model.TeamDoctor
	if len(ids) > 0 {
		if err := db.Where("team_id IN ?", ids).Order("id").Find(&docs).Error; err != nil {
			return nil, "", err
		}
	}
	byTeam := map[int64][]model.TeamDoctor{}
	for _, d := range docs {
		byTeam[d.TeamID] = append(byTeam[d.TeamID], d)
	}
	out := make([]TeamView, len(teams))
	for i, t := range teams {
		out[i] = TeamView{Team: t, Doctors: byTeam[t.ID]}
	}
	return out, next, nil
}

// ---- applications ----

// ContractApplyInput is an application for several members with one team.
type ContractApplyInput struct {
	TeamID    int64
	MemberIDs []int64
}

// Apply lets a resident apply for members of their own family (themselves
// and relatives), or staff on a family's behalf (an elderly resident who
// phoned in: all members of one family, the team of the staff member's
// clinic). The contract starts pending; the staff of the team's clinic are
// notified.
func (s *ContractService) Apply(ctx context.Context, p Principal, in ContractApplyInput) (ContractView, error) {
	byStaff := p.Scope != ScopeSelf
	ids, err := contractMemberIDs(in.MemberIDs)
	if err != nil {
		return ContractView{}, err
	}
	var view ContractView
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var team model.DoctorTeam
		if err := tx.First(&team, in.TeamID).Error; err != nil {
			return notFoundAs(err, ErrNotFound.Msg("no such doctor team"))
		}
		if p.Scope == ScopeClinic && team.ClinicID != p.ClinicID {
			return ErrNotFound.Msg("no such doctor team")
		}
		q := tx.Where("id IN ?", ids)
		if !byStaff {
			q = q.Where("user_id = ?", p.UserID)
		}
		var members []model.Member
		if err := q.Order("id").Find(&members).Error; err != nil {
			return err
		}
		if missing := missingContractMember(ids, members); missing != 0 {
			return ErrNotFound.Msg("no such family member").With(map[string]any{"member_id": missing})
		}
		owner := members[0].UserID
		for _, m := range members {
			if m.UserID != owner {
				return InvalidField("member_ids", "must all belong to one family")
			}
		}
		if err := s.checkNotCovered(tx, ids, 0); err != nil {
			return err
		}
		c := model.FamilyContract{UserID: owner, TeamID: team.ID, ClinicID: team.ClinicID,
			Status: model.ContractPending, AppliedByUserID: p.UserID}
		rows := contractCoverageRows(members, byStaff)
		c.AppliedBy = contractAppliedBy(rows, byStaff)
		if err := s.create(tx, &c, rows, actorOf(p), team); err != nil {
			return err
		}
		if byStaff {
			if err := s.notify.Notify(tx, Notice{UserID: owner, Event: EventContractApplied, Title: "家庭医生签约申请已提交",
				Body:    fmt.Sprintf("工作人员已为您家 %d 位成员提交%s的签约申请，审核后通知您。", len(rows), team.Name),
				RefType: "family_contract", RefID: c.ID}); err != nil {
				return err
			}
		}
		view, err = s.view(tx, c)
		return err
	})
	if err != nil {
		return ContractView{}, err
	}
	s.log.Info("family contract applied", "contract_id", view.Contract.ID, "team_id", in.TeamID,
		"members", len(ids), "applied_by", view.Contract.AppliedBy)
	return view, nil
}

// create inserts a pending contract with its coverage rows and first
// history row, and tells the staff of the clinic.
func (s *ContractService) create(tx *gorm.DB, c *model.FamilyContract, rows []model.ContractMember, by Actor, team model.DoctorTeam) error {
	now := s.clock.Now()
	c.CreatedAt, c.UpdatedAt = now, now
	if err := tx.Create(c).Error; err != nil {
		return err
	}
	for i := range rows {
		rows[i].ContractID = c.ID
	}
	if err := tx.Create(&rows).Error; err != nil {
		return err
	}
	if err := contractMachine.Start(tx, now, Step{ID: c.ID, To: model.ContractPending, By: by}); err != nil {
		return err
	}
	var staff []int64
	if err := tx.Model(&model.User{}).Where("role = ? AND clinic_id = ?", model.RoleStaff, c.ClinicID).
		Order("id").Pluck("id", &staff).Error; err != nil {
		return err
	}
	kind := "签约"
	if c.RenewsID != nil {
		kind = "续约"
	}
	for _, uid := range staff {
		if err := s.notify.Notify(tx, Notice{UserID: uid, Event: EventContractApplied, Title: "新的家庭医生" + kind + "申请",
			Body:    fmt.Sprintf("%s收到一份%s申请（%d 位成员），请审核。", team.Name, kind, len(rows)),
			RefType: "family_contract", RefID: c.ID}); err != nil {
			return err
		}
	}
	return nil
}

func contractMemberIDs(in []int64) ([]int64, error) {
	seen := map[int64]bool{}
	ids := make([]int64, 0, len(in))
	for _, id := range in {
		if id <= 0 {
			return nil, InvalidField("member_ids", "must be member ids")
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, InvalidField("member_ids", "required")
	}
	if len(ids) > ContractMaxMembers {
		return nil, InvalidField("member_ids", fmt.Sprintf("must have at most %d items", ContractMaxMembers))
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, nil
}

func missingContractMember(ids []int64, members []model.Member) int64 {
	found := map[int64]bool{}
	for _, m := range members {
		found[m.ID] = true
	}
	for _, id := range ids {
		if !found[id] {
			return id
		}
	}
	return 0
}

func contractCoverageRows(members []model.Member, byStaff bool) []model.ContractMember {
	rows := make([]model.ContractMember, len(members))
	for i, m := range members {
		by := model.AppliedByRelative
		switch {
		case byStaff:
			by = model.AppliedByStaff
		case m.Relation == model.RelationSelf:
			by = model.AppliedBySelf
		}
		rows[i] = model.ContractMember{MemberID: m.ID, AppliedBy: by}
	}
	return rows
}

// contractAppliedBy is staff for staff applications, self when the
// applicant's own member is covered, relative otherwise.
func contractAppliedBy(rows []model.ContractMember, byStaff bool) string {
	if byStaff {
		return model.AppliedByStaff
	}
	for _, r := range rows {
		if r.AppliedBy == model.AppliedBySelf {
			return model.AppliedBySelf
		}
	}
	return model.AppliedByRelative
}

// checkNotCovered answers 409 member_already_contracted, naming the member,
// when one of ids is covered by an active contract other than except. The
// unique key on coverage rows is what really enforces it; this check gives
// the friendly answer in the common case.
func (s *ContractService) checkNotCovered(tx *gorm.DB, ids []int64, except int64) error {
	var held []model.ContractMember
	q := tx.Where("member_id IN ? AND active = ?", ids, true)
	if except > 0 {
		q = q.Where("contract_id <> ?", except)
	}
	if err := q.Order("member_id").Limit(1).Find(&held).Error; err != nil {
		return err
	}
	if len(held) == 0 {
		return nil
	}
	return s.alreadyContracted(tx, held[0].MemberID, held[0].ContractID)
}

func (s *ContractService) alreadyContracted(tx *gorm.DB, memberID, contractID int64) error {
	var m model.Member
	if err := tx.Unscoped().Select("id", "name").First(&m, memberID).Error; err != nil {
		return notFound(err)
	}
	d := map[string]any{"member_id": m.ID, "member_name": m.Name}
	if contractID > 0 {
		d["contract_id"] = contractID
	}
	return ErrMemberAlreadyContracted.Msg("%s already has an active family-doctor contract", m.Name).With(d)
}

// claimCoverage marks the contract's members covered. The unique key
// (member_id, active) refuses a second active contract for a member, so of
// two approvals racing for one member at most one commits. Rows are claimed
// in member order, so two claims never wait on each other in a cycle.
func (s *ContractService) claimCoverage(tx *gorm.DB, contractID int64) error {
	var rows []model.ContractMember
	if err := tx.Where("contract_id = ?", contractID).Order("member_id").Find(&rows).Error; err != nil {
		return err
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.MemberID
	}
	if len(ids) > 0 {
		if err := s.checkNotCovered(tx, ids, contractID); err != nil {
			return err
		}
	}
	for _, r := range rows {
		err := tx.Model(&model.ContractMember{}).Where("id = ?", r.ID).Update("active", true).Error
		if err != nil {
			if isDuplicate(err) {
				return s.alreadyContracted(tx, r.MemberID, 0)
			}
			return err
		}
	}
	return nil
}

func releaseContractCoverage(tx *gorm.DB, contractID int64) error {
	return tx.Model(&model.ContractMember{}).Where("contract_id = ? AND active IS NOT NULL", contractID).
		Update("active", nil).Error
}

// move applies one contract move through the machine and reads c again.
func (s *ContractService) move(tx *gorm.DB, c *model.FamilyContract, st Step) error {
	st.ID, st.From, st.Row = c.ID, c.Status, c
	return contractMachine.Apply(tx, s.clock.Now(), st)
}

// ---- reading ----

// List returns the contracts in the caller's scope: its family's, newest
// first, or its clinic's (the network's) oldest first, the approval queue.
func (s *ContractService) List(ctx context.Context, p Principal, status string, pg pagination.Page) ([]ContractView, string, error) {
	q := p.Apply(s.db.WithContext(ctx), ownerClinic)
	if status != "" {
		q = q.Where("status = ?", status)
	}
	rows, next, err := findPageByID(q, pg, p.Scope == ScopeSelf, func(c model.FamilyContract) int64 { return c.ID })
	if err != nil {
		return nil, "", err
	}
	views, err := s.views(s.db.WithContext(ctx), rows)
	return views, next, err
}

// Get returns one contract in the caller's scope.
func (s *ContractService) Get(ctx context.Context, p Principal, id int64) (ContractView, error) {
	db := s.db.WithContext(ctx)
	c, err := s.load(db, p, id)
	if err != nil {
		return ContractView{}, err
	}
	return s.view(db, c)
}

// load reads a contract in the caller's scope; any other is not found.
func (s *ContractService) load(db *gorm.DB, p Principal, id int64) (model.FamilyContract, error) {
	var c model.FamilyContract
	err := p.Apply(db.Where("id = ?", id), ownerClinic).First(&c).Error
	return c, notFoundAs(err, ErrNotFound.Msg("no such contract"))
}

func (s *ContractService) view(db *gorm.DB, c model.FamilyContract) (ContractView, error) {
	vs, err := s.views(db, []model.FamilyContract{c})
	if err != nil {
		return ContractView{}, err
	}
	return vs[0], nil
}

// views loads teams, members and history of contracts in a few queries.
func (s *ContractService) views(db *gorm.DB, cs []model.FamilyContract) ([]ContractView, error) {
	out := make([]ContractView, len(cs))
	if len(cs) == 0 {
		return out, nil
	}
	ids := make([]int64, len(cs))
	teamIDs := make([]int64, 0, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
		teamIDs = append(teamIDs, c.TeamID)
	}
	var teams []model.DoctorTeam
	if err := db.Where("id IN ?", teamIDs).Find(&teams).Error; err != nil {
		return nil, err
	}
	teamBy := map[int64]model.DoctorTeam{}
	for _, t := range teams {
		teamBy[t.ID] = t
	}
	var cov []model.ContractMember
	if err := db.Where("contract_id IN ?", ids).Order("member_id").Find(&cov).Error; err != nil {
		return nil, err
	}
	memberIDs := make([]int64, 0, len(cov))
	for _, r := range cov {
		memberIDs = append(memberIDs, r.MemberID)
	}
	members, err := loadCareMembers(db, memberIDs, s.clock.Now(), s.loc)
	if err != nil {
		return nil, err
	}
	covBy := map[int64][]ContractMemberView{}
	for _, r := range cov {
		covBy[r.ContractID] = append(covBy[r.ContractID], ContractMemberView{CareMember: members[r.MemberID],
			AppliedBy: r.AppliedBy, Covered: r.Active != nil && *r.Active})
	}
	var evs []model.ContractEvent
	if err := db.Where("contract_id IN ?", ids).Order("id").Find(&evs).Error; err != nil {
		return nil, err
	}
	evBy := map[int64][]model.ContractEvent{}
	for _, e := range evs {
		evBy[e.ContractID] = append(evBy[e.ContractID], e)
	}
	for i, c := range cs {
		out[i] = ContractView{Contract: c, Team: teamBy[c.TeamID], Members: covBy[c.ID], History: evBy[c.ID]}
	}
	return out, nil
}

// ---- decisions ----

// Approve makes a pending contract active from today for one year. A
// renewal starts the day after its predecessor ends instead; when that day
// is still ahead the renewal is scheduled and the expiry job starts it.
func (s *ContractService) Approve(ctx context.Context, p Principal, id int64) (ContractView, error) {
	var view ContractView
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := s.load(tx, p, id)
		if err != nil {
			return err
		}
		if !contractMachine.Allowed(c.Status, model.ContractActive, SideStaff) {
			return contractMachine.refuse(c.Status, model.ContractActive)
		}
		today := s.today()
		from := today
		if c.RenewsID != nil {
			var prev model.FamilyContract
			if err := tx.First(&prev, *c.RenewsID).Error; err != nil {
				return err
			}
			// A predecessor past its end that the job has not reached yet
			// ends now, so its members are free for the renewal.
			if _, err := s.expireOne(tx, &prev, today); err != nil {
				return err
			}
			if prev.Status == model.ContractActive ||
				(prev.Status == model.ContractExpired && prev.ValidUntil >= contractAddDays(today, -ContractRenewalGraceDays)) {
				from = contractAddDays(prev.ValidUntil, 1)
			}
		}
		to := model.ContractActive
		if from > today {
			to = model.ContractScheduled
		}
		now := s.clock.Now()
		if err := s.move(tx, &c, Step{To: to, By: actorOf(p), Set: map[string]any{
			"valid_from": from, "valid_until": contractAddYears(from, 1), "decided_at": now, "decided_by": p.UserID,
		}}); err != nil {
			return err
		}
		if to == model.ContractActive {
			if err := s.claimCoverage(tx, c.ID); err != nil {
				return err
			}
		}
		body := fmt.Sprintf("您家的家庭医生签约已生效，有效期 %s 至 %s。", c.ValidFrom, c.ValidUntil)
		if to == model.ContractScheduled {
			body = fmt.Sprintf("您家的家庭医生续约已通过，新的有效期 %s 至 %s，与当前签约无缝衔接。", c.ValidFrom, c.ValidUntil)
		}
		if err := s.notify.Notify(tx, Notice{UserID: c.UserID, Event: EventContractApproved, Title: "家庭医生签约已通过",
			Body: body, RefType: "family_contract", RefID: c.ID}); err != nil {
			return err
		}
		view, err = s.view(tx, c)
		return err
	})
	if err != nil {
		return ContractView{}, err
	}
	s.log.Info("family contract approved", "contract_id", id, "status", view.Contract.Status, "by", p.UserID)
	return view, nil
}

// Reject refuses a pending contract with a reason.
func (s *ContractService) Reject(ctx context.Context, p Principal, id int64, reason string) (ContractView, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return ContractView{}, InvalidField("reason", "required")
	}
	var view ContractView
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := s.load(tx, p, id)
		if err != nil {
			return err
		}
		if err := s.move(tx, &c, Step{To: model.ContractRejected, By: actorOf(p), Reason: reason,
			Set: map[string]any{"reason": truncate(reason, 255), "decided_at": s.clock.Now(), "decided_by": p.UserID}}); err != nil {
			return err
		}
		if err := s.notify.Notify(tx, Notice{UserID: c.UserID, Event: EventContractRejected, Title: "家庭医生签约未通过",
			Body: "原因：" + reason, RefType: "family_contract", RefID: c.ID}); err != nil {
			return err
		}
		view, err = s.view(tx, c)
		return err
	})
	return view, err
}

// freeRenewal lets the predecessor of a renewal that will not happen be
// renewed again.
func freeContractRenewal(tx *gorm.DB, c model.FamilyContract) error {
	if c.RenewsID == nil {
		return nil
	}
	return tx.Model(&model.FamilyContract{}).Where("id = ? AND renewed_by_id = ?", *c.RenewsID, c.ID).
		Update("renewed_by_id", nil).Error
}

// Terminate ends an active (or scheduled) contract in the caller's scope.
func (s *ContractService) Terminate(ctx context.Context, p Principal, id int64, reason string) (ContractView, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return ContractView{}, InvalidField("reason", "required")
	}
	var view ContractView
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := s.load(tx, p, id)
		if err != nil {
			return err
		}
		if err := s.terminateOne(tx, &c, actorOf(p), reason); err != nil {
			return err
		}
		// A scheduled renewal of it ends with it.
		if c.RenewedByID != nil {
			var next model.FamilyContract
			if err := tx.First(&next, *c.RenewedByID).Error; err != nil {
				return err
			}
			if next.Status == model.ContractScheduled {
				if err := s.terminateOne(tx, &next, actorOf(p), reason); err != nil {
					return err
				}
			}
		}
		view, err = s.view(tx, c)
		return err
	})
	if err != nil {
		return ContractView{}, err
	}
	s.log.Info("family contract terminated", "contract_id", id, "by", p.UserID, "role", p.Role)
	return view, nil
}

func (s *ContractService) terminateOne(tx *gorm.DB, c *model.FamilyContract, by Actor, reason string) error {
	if err := s.move(tx, c, Step{To: model.ContractTerminated, By: by, Reason: reason,
		Set: map[string]any{"reason": truncate(reason, 255)}}); err != nil {
		return err
	}
	return s.notify.Notify(tx, Notice{UserID: c.UserID, Event: EventContractTerminated, Title: "家庭医生签约已解约",
		Body: "原因：" + reason, RefType: "family_contract", RefID: c.ID})
}

// Renew applies for the next period of an active contract, or of one
// expired at most ContractRenewalGraceDays ago: same team, same (remaining)
// members, pending until staff approve; the period then starts the day
// after the old one ends, without a gap.
func (s *ContractService) Renew(ctx context.Context, p Principal, id int64) (ContractView, error) {
	var view ContractView
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		prev, err := s.load(tx, p, id)
		if err != nil {
			return err
		}
		today := s.today()
		switch {
		case prev.Status == model.ContractActive:
		case prev.Status == model.ContractExpired && prev.ValidUntil >= contractAddDays(today, -ContractRenewalGraceDays):
		case prev.Status == model.ContractExpired:
			return ErrRenewalWindowClosed.With(map[string]any{"valid_until": prev.ValidUntil})
		default:
			return contractMachine.refuse(prev.Status, prev.Status)
		}
		if prev.RenewedByID != nil {
			return ErrContractAlreadyRenewed.With(map[string]any{"renewal_id": *prev.RenewedByID})
		}
		var ids []int64
		if err := tx.Model(&model.ContractMember{}).Where("contract_id = ?", prev.ID).Order("member_id").
			Pluck("member_id", &ids).Error; err != nil {
			return err
		}
		var members []model.Member
		if len(ids) > 0 {
			if err := tx.Where("id IN ? AND user_id = ?", ids, prev.UserID).Order("id").Find(&members).Error; err != nil {
				return err
			}
		}
		if len(members) == 0 {
			return contractMachine.refuse(prev.Status, prev.Status).(*Error).Msg("none of the contract's members remain in the family")
		}
		live := make([]int64, len(members))
		for i, m := range members {
			live[i] = m.ID
		}
		if err := s.checkNotCovered(tx, live, prev.ID); err != nil {
			return err
		}
		var team model.DoctorTeam
		if err := tx.First(&team, prev.TeamID).Error; err != nil {
			return err
		}
		rows := contractCoverageRows(members, false)
		c := model.FamilyContract{UserID: prev.UserID, TeamID: prev.TeamID, ClinicID: prev.ClinicID,
			Status: model.ContractPending, AppliedBy: contractAppliedBy(rows, false), AppliedByUserID: p.UserID,
			RenewsID: &prev.ID}
		if err := s.create(tx, &c, rows, actorOf(p), team); err != nil {
			return err
		}
		// One open renewal per contract, claimed by a conditional update.
		if err := s.move(tx, &prev, Step{To: prev.Status, By: actorOf(p), Reason: fmt.Sprintf("renewal #%d applied", c.ID),
			Set: map[string]any{"renewed_by_id": c.ID}, Where: []any{"renewed_by_id IS NULL"}, Else: ErrContractAlreadyRenewed}); err != nil {
			return err
		}
		view, err = s.view(tx, c)
		return err
	})
	if err != nil {
		return ContractView{}, err
	}
	s.log.Info("family contract renewal applied", "contract_id", view.Contract.ID, "renews", id)
	return view, nil
}

// ---- jobs ----

// ExpireContracts ends every active contract whose period is over (valid
// until before today). Each contract is expired by a conditional update with
// its history row and notification in the same transaction, so processes
// running the job at once expire each contract exactly once. A scheduled
// renewal starts in the same transaction. It returns how many it expired.
func (s *ContractService) ExpireContracts(ctx context.Context) (int, error) {
	db := s.db.WithContext(ctx)
	today := s.today()
	var ids []int64
	if err := db.Model(&model.FamilyContract{}).Where("status = ? AND valid_until < ?", model.ContractActive, today).
		Order("id").Limit(contractJobBatch).Pluck("id", &ids).Error; err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		done := false
		err := db.Transaction(func(tx *gorm.DB) error {
			var c model.FamilyContract
			if err := tx.First(&c, id).Error; err != nil {
				return err
			}
			var err error
			done, err = s.expireOne(tx, &c, today)
			return err
		})
		if err != nil {
			return n, err
		}
		if done {
			n++
		}
	}
	// Scheduled renewals whose predecessor ended otherwise.
	var due []int64
	if err := db.Model(&model.FamilyContract{}).Where("status = ? AND valid_from <= ?", model.ContractScheduled, today).
		Order("id").Limit(contractJobBatch).Pluck("id", &due).Error; err != nil {
		return n, err
	}
	for _, id := range due {
		err := db.Transaction(func(tx *gorm.DB) error {
			var c model.FamilyContract
			if err := tx.First(&c, id).Error; err != nil {
				return err
			}
			if c.RenewsID != nil {
				var prev model.FamilyContract
				if err := tx.Select("id", "status").First(&prev, *c.RenewsID).Error; err == nil && prev.Status == model.ContractActive {
					return nil // starts when its predecessor expires
				}
			}
			return s.startScheduled(tx, &c, today)
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// expireOne expires c if it is active and over; false when it is not (or
// another process did it first).
func (s *ContractService) expireOne(tx *gorm.DB, c *model.FamilyContract, today string) (bool, error) {
	if c.Status != model.ContractActive || c.ValidUntil >= today {
		return false, nil
	}
	err := s.move(tx, c, Step{To: model.ContractExpired, By: systemActor, Reason: "valid until " + c.ValidUntil,
		Where: []any{"valid_until < ?", today}})
	if err != nil {
		if lostRace(err) {
			return false, nil
		}
		return false, err
	}
	if err := releaseContractCoverage(tx, c.ID); err != nil {
		return false, err
	}
	if err := s.notify.Notify(tx, Notice{UserID: c.UserID, Event: EventContractExpired, Title: "家庭医生签约已到期",
		Body: fmt.Sprintf("您家的家庭医生签约已于 %s 到期。", c.ValidUntil), RefType: "family_contract", RefID: c.ID}); err != nil {
		return false, err
	}
	if c.RenewedByID != nil {
		var next model.FamilyContract
		if err := tx.First(&next, *c.RenewedByID).Error; err != nil {
			return false, err
		}
		if next.Status == model.ContractScheduled && next.ValidFrom <= today {
			if err := s.startScheduled(tx, &next, today); err != nil {
				return false, err
			}
		}
	}
	s.log.Info("family contract expired", "contract_id", c.ID)
	return true, nil
}

// startScheduled makes a scheduled renewal active. Should a member have been
// covered by another contract meanwhile, the renewal is terminated instead
// of failing the job forever.
func (s *ContractService) startScheduled(tx *gorm.DB, c *model.FamilyContract, today string) error {
	if c.Status != model.ContractScheduled || c.ValidFrom > today {
		return nil
	}
	if err := s.move(tx, c, Step{To: model.ContractActive, By: systemActor}); err != nil {
		if lostRace(err) {
			return nil
		}
		return err
	}
	if err := s.claimCoverage(tx, c.ID); err != nil {
		if !errors.Is(err, ErrMemberAlreadyContracted) {
			return err
		}
		s.log.Warn("scheduled renewal could not start: a member is covered by another contract", "contract_id", c.ID)
		return s.terminateOne(tx, c, systemActor, "成员已有其他生效的签约")
	}
	return s.notify.Notify(tx, Notice{UserID: c.UserID, Event: EventContractActivated, Title: "家庭医生续约已生效",
		Body:    fmt.Sprintf("您家的家庭医生续约已生效，有效期 %s 至 %s。", c.ValidFrom, c.ValidUntil),
		RefType: "family_contract", RefID: c.ID})
}

// RemindExpiring tells residents, once, that their active contract ends
// within ContractReminderDays and has no renewal yet. The reminder is
// claimed by a conditional update of reminded_at, with the notification in
// the same transaction, so concurrent runs remind once. It returns how many
// it sent.
func (s *ContractService) RemindExpiring(ctx context.Context) (int, error) {
	db := s.db.WithContext(ctx)
	today := s.today()
	limit := contractAddDays(today, ContractReminderDays)
	var ids []int64
	if err := db.Model(&model.FamilyContract{}).
		Where("status = ? AND valid_until >= ? AND valid_until <= ? AND reminded_at IS NULL AND renewed_by_id IS NULL",
			model.ContractActive, today, limit).
		Order("id").Limit(contractJobBatch).Pluck("id", &ids).Error; err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		sent := false
		err := db.Transaction(func(tx *gorm.DB) error {
			res := tx.Model(&model.FamilyContract{}).
				Where("id = ? AND status = ? AND reminded_at IS NULL AND renewed_by_id IS NULL", id, model.ContractActive).
				Update("reminded_at", s.clock.Now())
			if res.Error != nil || res.RowsAffected == 0 {
				return res.Error
			}
			var c model.FamilyContract
			if err := tx.First(&c, id).Error; err != nil {
				return err
			}
			sent = true
			return s.notify.Notify(tx, Notice{UserID: c.UserID, Event: EventContractExpiring, Title: "家庭医生签约即将到期",
				Body:    fmt.Sprintf("您家的家庭医生签约将于 %s 到期，可在小程序中一键续约，续约期与当前签约无缝衔接。", c.ValidUntil),
				RefType: "family_contract", RefID: c.ID})
		})
		if err != nil {
			return n, err
		}
		if sent {
			n++
		}
	}
	return n, nil
}

// ---- dates ----

// today is the business date.
func (s *ContractService) today() string { return s.clock.Now().In(s.loc).Format(dateLayout) }

func contractAddDays(date string, n int) string {
	t, err := time.Parse(dateLayout, date)
	if err != nil {
		return date
	}
	return t.AddDate(0, 0, n).Format(dateLayout)
}

func contractAddYears(date string, n int) string {
	t, err := time.Parse(dateLayout, date)
	if err != nil {
		return date
	}
	return t.AddDate(n, 0, 0).Format(dateLayout)
}
