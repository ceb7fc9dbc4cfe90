package model

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// AgreementVersionBackfill moves the agreement versions contracts recorded
// as free text before the agreement_versions table existed into it, in
// portable SQL (migration 00115, and once on SQLite): every distinct
// non-empty family_contracts.agreement_version becomes a version titled
// "历史版本 <v>" with an empty body, published when a contract first named
// it (the oldest created_at; when no contract of it is dated, the oldest
// contract's, so that it never becomes the current version). Versions already in the table are left as they are, so a rerun
// adds nothing. now is the migration's time.
func AgreementVersionBackfill(ctx context.Context, db SQLConn, now time.Time) error {
	rows, err := db.QueryContext(ctx, "SELECT DISTINCT agreement_version FROM family_contracts WHERE agreement_version <> '' "+
		"AND agreement_version NOT IN (SELECT version FROM agreement_versions)")
	if err != nil {
		return fmt.Errorf("agreement versions: %w", err)
	}
	var versions []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("agreement versions: %w", err)
		}
		versions = append(versions, v)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	type found struct {
		version string
		first   time.Time
	}
	// A version no contract dates is placed at the oldest contract: it is
	// old, and must not become the current version.
	oldest, err := firstUse(ctx, db, "")
	if err != nil {
		return err
	}
	if oldest.IsZero() {
		oldest = now
	}
	var out []found
	for _, v := range versions {
		// The oldest use; a plain column (not MIN) keeps its declared type
		// on SQLite, so it scans as a time there too.
		first, err := firstUse(ctx, db, v)
		if err != nil {
			return err
		}
		if first.IsZero() {
			first = oldest
		}
		out = append(out, found{v, first.UTC()})
	}
	// Ids in the order of first use, like versions published one after
	// another.
	sort.Slice(out, func(i, j int) bool {
		if !out[i].first.Equal(out[j].first) {
			return out[i].first.Before(out[j].first)
		}
		return out[i].version < out[j].version
	})
	for _, f := range out {
		if _, err := db.ExecContext(ctx, "INSERT INTO agreement_versions (version, title, body, published_at, created_by, created_at) "+
			"VALUES (?, ?, '', ?, 0, ?)", f.version, "历史版本 "+f.version, f.first, now.UTC()); err != nil {
			return fmt.Errorf("agreement versions: %s: %w", f.version, err)
		}
	}
	return nil
}

// firstUse is when a contract first named version (any contract for ""):
// zero when none is dated.
func firstUse(ctx context.Context, db SQLConn, version string) (time.Time, error) {
	cond, args := "", []any{}
	if version != "" {
		cond, args = "agreement_version = ? AND ", []any{version}
	}
	rows, err := db.QueryContext(ctx, "SELECT created_at FROM family_contracts WHERE "+cond+"created_at IS NOT NULL "+
		"ORDER BY created_at LIMIT 1", args...)
	if err != nil {
		return time.Time{}, fmt.Errorf("agreement versions: %w", err)
	}
	defer rows.Close()
	var at time.Time
	if rows.Next() {
		var raw any
		if err := rows.Scan(&raw); err != nil {
			return at, fmt.Errorf("agreement versions: %w", err)
		}
		if at, err = asTime(raw); err != nil {
			return at, fmt.Errorf("agreement versions: %s: %w", version, err)
		}
	}
	return at, rows.Err()
}

// asTime reads a datetime as the drivers hand it over: a time, or text
// when the connection does not parse times.
func asTime(raw any) (time.Time, error) {
	switch v := raw.(type) {
	case time.Time:
		return v, nil
	case []byte:
		return parseStoredTime(string(v))
	case string:
		return parseStoredTime(v)
	case nil:
		return time.Time{}, nil
	}
	return time.Time{}, fmt.Errorf("unexpected time value %T", raw)
}

func parseStoredTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a time", s)
}
