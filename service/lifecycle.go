package service

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"familycare/model"

	"gorm.io/gorm"
)

// Sides a move is made from: the route group a caller comes through (see
// Scope), or a job.
const (
	SideResident = "resident" // for the caller's own family (resident routes)
	SideStaff    = "staff"    // for a clinic or the network (staff and admin routes)
	SideSystem   = "system"   // jobs and the follow-on moves of another change
)

// Actor is who makes a move. Role is written to the history row; Side is
// what the machine's moves are checked against.
type Actor struct {
	UserID int64
	Role   string
	Side   string
}

// actorOf is the caller acting through its route group.
func actorOf(p Principal) Actor {
	side := SideResident
	if p.Scope != ScopeSelf {
		side = SideStaff
	}
	return Actor{UserID: p.UserID, Role: p.Role, Side: side}
}

// systemActor makes the moves of jobs and follow-on moves.
var systemActor = Actor{Role: SideSystem, Side: SideSystem}

// Move is one allowed step of a machine and the sides that may make it. A
// move from "" is the row's creation; a move to the same state changes the
// row without changing its status (a reorder, a hand-over reset) and is
// still recorded.
type Move struct {
	From, To string
	By       []string
}

// Machine is a state machine as data: its states, its moves and who may make
// each, the history row it writes, and the side effects bound to moves
// (seats, published counts, coverage). Every machine is listed in Machines.
type Machine struct {
	Name   string // what the README and error messages call a row
	Table  string // the table of the rows
	States []string
	Moves  []Move
	// model is the GORM model of the rows (for tx.Model); stamp the column
	// a move sets to its time (default updated_at).
	model func() any
	stamp string
	// event builds the history row of a step made at `at`.
	event func(st Step, at time.Time) any
	// follows, when set, are columns derived from the status that every
	// move writes with it (the consultation queue rank).
	follows func(status string) map[string]any
	// before runs in the transaction ahead of the conditional update, after
	// behind it (the row is then in its new state).
	before, after func(tx *gorm.DB, st Step, at time.Time) error
}

// Step is one move of one row.
type Step struct {
	ID       int64
	From, To string
	By       Actor
	Reason   string
	// Set are further columns the move writes; Where a further condition of
	// the update (expiry: valid_until < today).
	Set   map[string]any
	Where []any
	// Else is the error when the row is still in From but Where refused it;
	// nil answers invalid_transition.
	Else error
	// Row, when set, points to the row's model and is read again after the
	// move, so the caller holds the new state.
	Row any
}

// Machines lists every state machine; README diagrams are checked against it.
func Machines() []*Machine {
	return []*Machine{sessionMachine, bookingMachine, contractMachine, medicineMachine, postMachine, commentMachine, reportMachine, articleMachine, referralMachine, consultMachine, followUpMachine, linkMachine}
}

// BookingHistoryStates are the statuses a booking's or a referral's history
// step can carry (BookingEventDTO); CareHistoryStates those of a contract's,
// a medicine order's or a consultation's (CareEventDTO).
func BookingHistoryStates() []string { return statesOf(bookingMachine, referralMachine) }

// CareHistoryStates: see BookingHistoryStates.
func CareHistoryStates() []string { return statesOf(contractMachine, medicineMachine, consultMachine) }

// statesOf is the union of the machines' states, in order, without repeats.
func statesOf(ms ...*Machine) []string {
	var out []string
	for _, m := range ms {
		for _, st := range m.States {
			if !slices.Contains(out, st) {
				out = append(out, st)
			}
		}
	}
	return out
}

// Allowed reports whether side may move a row from `from` to `to`.
func (m *Machine) Allowed(from, to, side string) bool {
	for _, mv := range m.Moves {
		if mv.From == from && mv.To == to && slices.Contains(mv.By, side) {
			return true
		}
	}
	return false
}

// transitionError is the one 409 invalid_transition shape: the move asked
// for and the status the row has now.
func (m *Machine) transitionError(from, to, status string) error {
	msg := fmt.Sprintf("a %s %s cannot become %s", status, m.Name, to)
	if status != from {
		msg = fmt.Sprintf("the %s is %s now (it was %s)", m.Name, status, from)
	}
	return ErrInvalidTransition.Msg("%s", msg).With(map[string]any{"from": from, "to": to, "status": status})
}

// refuse answers invalid_transition for a move the caller cannot make from
// the row's current status (checked before any write).
func (m *Machine) refuse(from, to string) error { return m.transitionError(from, to, from) }

// Start records a row's creation in status st.To (the service inserted the
// row in tx): the move from "" must be in the table.
func (m *Machine) Start(tx *gorm.DB, at time.Time, st Step) error {
	st.From = ""
	if !m.Allowed("", st.To, st.By.Side) {
		return m.refuse("", st.To)
	}
	return tx.Create(m.event(st, at)).Error
}

// Apply makes one move in tx: the table check, the before hook, a
// conditional update on the current status (and Where), the after hook, the
// history row, and a fresh read of st.Row. A move the table does not allow,
// or one that lost a race, is 409 invalid_transition with {from, to,
// status}; the status is re-read with a locking read, so on TiDB and MySQL
// it is the latest committed one.
func (m *Machine) Apply(tx *gorm.DB, at time.Time, st Step) error {
	if !m.Allowed(st.From, st.To, st.By.Side) {
		return m.refuse(st.From, st.To)
	}
	if m.before != nil {
		if err := m.before(tx, st, at); err != nil {
			return err
		}
	}
	stamp := m.stamp
	if stamp == "" {
		stamp = "updated_at"
	}
	fields := map[string]any{"status": st.To, stamp: at}
	if m.follows != nil {
		for k, v := range m.follows(st.To) {
			fields[k] = v
		}
	}
	for k, v := range st.Set {
		fields[k] = v
	}
	cond := func(q *gorm.DB) *gorm.DB {
		q = q.Model(m.model()).Where("id = ? AND status = ?", st.ID, st.From)
		if len(st.Where) > 0 {
			q = q.Where(st.Where[0], st.Where[1:]...)
		}
		return q
	}
	res := cond(tx).Updates(fields)
	if res.Error != nil {
		return res.Error
	}
	var matched int64
	if res.RowsAffected == 0 {
		// MySQL counts changed rows: a row that meets the condition but
		// already held these values (a same-status move within one clock
		// tick) is still the move.
		if err := cond(forUpdate(tx)).Count(&matched).Error; err != nil {
			return err
		}
	}
	if res.RowsAffected == 0 && matched == 0 {
		var cur struct{ Status string }
		if err := forUpdate(tx).Model(m.model()).Select("status").Where("id = ?", st.ID).Take(&cur).Error; err != nil {
			return notFound(err)
		}
		if cur.Status == st.From && st.Else != nil {
			return st.Else
		}
		return m.transitionError(st.From, st.To, cur.Status)
	}
	if m.after != nil {
		if err := m.after(tx, st, at); err != nil {
			return err
		}
	}
	if err := tx.Create(m.event(st, at)).Error; err != nil {
		return err
	}
	if st.Row != nil {
		return tx.First(st.Row, st.ID).Error
	}
	return nil
}

// record is the step as its history row keeps it.
func (st Step) record(at time.Time) model.Transition {
	return model.Transition{FromStatus: st.From, ToStatus: st.To, At: at, ByUserID: st.By.UserID, ByRole: st.By.Role,
		Reason: truncate(st.Reason, 255)}
}

// lostRace reports a move another process made first (jobs skip those).
func lostRace(err error) bool { return errors.Is(err, ErrInvalidTransition) }
