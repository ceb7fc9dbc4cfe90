package service

import (
	"context"
	"log/slog"
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
		return &model.ContractEvent{ContractID: st.ID, Transition: st.record(at)}
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
	// realName: contracts only for verified persons (REAL_NAME_FOR_CARE).
	realName bool
}

// NewContractService builds the service.
func NewContractService(deps Deps, notifier ContractNotifier) *ContractService {
	return &ContractService{db: deps.DB, clock: deps.Clock, loc: deps.Loc, log: deps.Log, notify: notifier, realName: deps.Config.RealNameForCare}
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
	// Doctor is the responsible doctor (nil when the contract names none).
	Doctor *ResponsibleDoctor
}

// ResponsibleDoctor is the team member responsible for a family: the
// account's name as families see it and the title of the member's role in
// the team ("" when the account has left the team since).
type ResponsibleDoctor struct {
	UserID int64
	Name   string
	Role   string
	Title  string
}

// memberTitles are the titles families read for the roles of team members.
var memberTitles = map[string]string{
	model.MemberRoleLead:         "家庭医生团队长",
	model.MemberRoleDoctor:       "家庭医生",
	model.MemberRoleNurse:        "社区护士",
	model.MemberRolePublicHealth: "公共卫生医师",
	model.MemberRolePharmacist:   "药师",
	model.MemberRoleChildHealth:  "儿童保健医生",
}

// Teams lists doctor teams (of one clinic when clinicID > 0), by id.
func (s *ContractService) Teams(ctx context.Context, clinicID int64, p pagination.Page) ([]TeamView, string, error) {
	db := s.db.WithContext(ctx)
	teams, next, err := findPageByID(filterBy(db, "clinic_id", clinicID), p, false, func(t model.DoctorTeam) int64 { return t.ID })
	if err != nil {
		return nil, "", err
	}
	ids := make([]int64, len(teams))
	for i, t := range teams {
		ids[i] = t.ID
	}
	byTeam, err := loadGrouped(db, "team_id", ids, "id", func(d model.TeamDoctor) int64 { return d.TeamID })
	if err != nil {
		return nil, "", err
	}
	out := make([]TeamView, len(teams))
	for i, t := range teams {
		out[i] = TeamView{Team: t, Doctors: byTeam[t.ID]}
	}
	return out, next, nil
}
