package model

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
)

// SQLConn is what CoverageBackfill needs of a connection: a *sql.Tx (the
// goose migration) or GORM's pool (the SQLite path of Migrate).
type SQLConn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// CoverageBackfill moves what the build before the coverage flags knew
// into them, in portable SQL (migration 00102, and once on SQLite):
//
//   - a person whose conditions name 失能 is disabled, one whose conditions
//     name 特困 is in special hardship (staff wrote them there for lack of
//     a field; the conditions stay as they are);
//   - a household without a village gets one only where the data say it
//     unambiguously: the clinic that made it at the counter serves a single
//     village (a station), or every contract of its persons is with clinics
//     that serve the same single village. Every other household stays
//     without one (”) and is counted as "not placed" by the figures until
//     staff or the guardian set it.
//
// It changes only what is unset, so a rerun changes nothing.
func CoverageBackfill(ctx context.Context, db SQLConn) error {
	for _, f := range []struct{ col, word string }{{"disabled", "失能"}, {"special_hardship", "特困"}} {
		if _, err := db.ExecContext(ctx, "UPDATE persons SET "+f.col+" = 1 WHERE "+f.col+" = 0 AND chronic_conditions LIKE ?",
			"%"+f.word+"%"); err != nil {
			return fmt.Errorf("coverage backfill: %s: %w", f.col, err)
		}
	}
	single, err := singleVillageClinics(ctx, db)
	if err != nil || len(single) == 0 {
		return err
	}
	ids := make([]int64, 0, len(single))
	for id := range single {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		if _, err := db.ExecContext(ctx, "UPDATE households SET village = ? WHERE village = '' AND clinic_id = ?", single[id], id); err != nil {
			return fmt.Errorf("coverage backfill: counter households: %w", err)
		}
	}
	// The villages of the single-village clinics each household's persons
	// have contracts with (any state: where the family signed is where it
	// lives); a household whose contracts are with any other clinic stays.
	rows, err := db.QueryContext(ctx, `SELECT DISTINCT hp.household_id, fc.clinic_id
		FROM household_persons hp
		JOIN households h ON h.id = hp.household_id
		JOIN contract_members cm ON cm.member_id = hp.person_id
		JOIN family_contracts fc ON fc.id = cm.contract_id
		WHERE h.village = '' AND hp.deleted_at IS NULL`)
	if err != nil {
		return fmt.Errorf("coverage backfill: contracts: %w", err)
	}
	villages := map[int64]map[string]bool{}
	for rows.Next() {
		var household, clinic int64
		if err := rows.Scan(&household, &clinic); err != nil {
			rows.Close()
			return err
		}
		if villages[household] == nil {
			villages[household] = map[string]bool{}
		}
		v, ok := single[clinic]
		if !ok {
			v = "" // a clinic of several villages (or none) says nothing
		}
		villages[household][v] = true
	}
	if err := rows.Close(); err != nil {
		return err
	}
	households := make([]int64, 0, len(villages))
	for id := range villages {
		households = append(households, id)
	}
	sort.Slice(households, func(i, j int) bool { return households[i] < households[j] })
	for _, id := range households {
		vs := villages[id]
		if len(vs) != 1 || vs[""] {
			continue
		}
		for v := range vs {
			if _, err := db.ExecContext(ctx, "UPDATE households SET village = ? WHERE id = ? AND village = ''", v, id); err != nil {
				return fmt.Errorf("coverage backfill: contract households: %w", err)
			}
		}
	}
	return nil
}

// singleVillageClinics maps each clinic whose catchment names exactly one
// village or community to that name.
func singleVillageClinics(ctx context.Context, db SQLConn) (map[int64]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT id, catchment FROM clinics WHERE catchment IS NOT NULL AND catchment <> ''")
	if err != nil {
		return nil, fmt.Errorf("coverage backfill: clinics: %w", err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var raw string
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, err
		}
		var names []string
		if json.Unmarshal([]byte(raw), &names) != nil || len(names) != 1 || names[0] == "" {
			continue
		}
		out[id] = names[0]
	}
	return out, rows.Err()
}
