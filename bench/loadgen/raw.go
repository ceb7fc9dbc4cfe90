package main

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// rawWork is the raw-SQL ceiling of a booking: on familycare's own database,
// for the same sessions and members as the booking modes, each call sends
// exactly the five statements a correct booking needs and nothing else —
// BEGIN, the conditional seat UPDATE (the same condition as familycare's),
// INSERT booking, INSERT history, COMMIT — through a pool of one connection
// per worker, with client-side interpolation like familycare's driver. It
// answers 201 for a booking, 409 for a full session (nothing written).
func rawWork(dsn string, workers int, pl *plan) (func(w, i int) (int, error), error) {
	if dsn == "" {
		return nil, errors.New("the raw modes need -dsn")
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	cfg.ParseTime, cfg.InterpolateParams, cfg.Loc = true, true, time.UTC
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(workers)
	db.SetMaxIdleConns(workers)

	// What the API knows when it books: the session's clinic and start,
	// the member's account.
	type sessionRow struct {
		clinic int64
		starts time.Time
	}
	sessions := map[int64]sessionRow{}
	rows, err := db.Query("SELECT id, clinic_id, starts_at FROM sessions WHERE id IN (" + idList(pl.ids) + ")")
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var r sessionRow
		if err := rows.Scan(&id, &r.clinic, &r.starts); err != nil {
			return nil, err
		}
		sessions[id] = r
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	users := make([]int64, workers)
	for w := range users {
		if err := db.QueryRow("SELECT user_id FROM persons WHERE id = ?", pl.members[w][0]).Scan(&users[w]); err != nil {
			return nil, err
		}
	}

	const (
		seat = "UPDATE sessions SET booked = booked + 1, updated_at = ? WHERE id = ? AND status = 'open' AND booked < capacity " +
			"AND starts_at > ? AND (booked - reserved_booked < capacity - reserved OR starts_at <= ?)"
		booking = "INSERT INTO bookings (session_id, member_id, user_id, clinic_id, status, active, note, wait_seq, reason, starts_at, " +
			"reminded_at, no_show_marked, created_at, updated_at, slot_id, arrival_at, ends_at, queue_day, queue_no, referral_id, reserved_seat) " +
			"VALUES (?, ?, ?, ?, 'pending', 1, '', 0, '', ?, NULL, 0, ?, ?, 0, NULL, NULL, NULL, NULL, 0, 0)"
		history = "INSERT INTO booking_events (booking_id, from_status, to_status, at, by_user_id, by_role, reason) VALUES (?, '', 'pending', ?, ?, 'resident', '')"
	)
	return func(w, i int) (int, error) {
		sessionID, member, ok := pl.pick(w, i)
		if !ok {
			return -1, nil
		}
		s := sessions[sessionID]
		now := time.Now().UTC().Truncate(time.Millisecond)
		tx, err := db.Begin()
		if err != nil {
			return 0, err
		}
		res, err := tx.Exec(seat, now, sessionID, now, now.Add(24*time.Hour))
		if err != nil {
			_ = tx.Rollback()
			return 0, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			_ = tx.Rollback()
			return 409, nil
		}
		res, err = tx.Exec(booking, sessionID, member, users[w], s.clinic, s.starts, now, now)
		if err != nil {
			_ = tx.Rollback()
			return 0, err
		}
		id, _ := res.LastInsertId()
		if _, err := tx.Exec(history, id, now, users[w]); err != nil {
			_ = tx.Rollback()
			return 0, err
		}
		if err := tx.Commit(); err != nil {
			return 0, err
		}
		return 201, nil
	}, nil
}

func idList(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(id)
	}
	return strings.Join(parts, ",")
}
