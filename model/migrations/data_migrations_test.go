package migrations_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"testing"

	"familycare/model/migrations"
)

// TestMigrations_Issue10IdempotencyKeys fills a database as the build before
// issue 10 left it (schema 40, clear keys and answers), migrates it, and finds
// every key stored as the SHA-256 of its exact bytes, two keys that differ
// only in case or accent kept apart (the schema before could not hold both), and the answers marked unsealed for the
// SealLegacy job.
func TestMigrations_Issue10IdempotencyKeys(t *testing.T) {
	ctx := context.Background()
	db := scratchDB(t, "idem")
	if err := migrations.UpTo(ctx, db.sql, 40); err != nil {
		t.Fatal(err)
	}
	keys := []string{"Case-x", "accent-a"} // the old collation could not hold case-x beside Case-x
	for i, k := range keys {
		if _, err := db.sql.Exec("INSERT INTO idempotency_records (user_id, `key`, request_hash, state, status_code, response_body, created_at, expires_at) VALUES (7, ?, 'h', 'done', 201, ?, NOW(3), NOW(3) + INTERVAL 1 DAY)",
			k, []byte(`{"id":`+string(rune('1'+i))+`}`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := migrations.Up(ctx, db.sql, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		sum := sha256.Sum256([]byte(k))
		var sealed bool
		var n int
		if err := db.sql.QueryRow("SELECT COUNT(*), COALESCE(MAX(sealed), 0) FROM idempotency_records WHERE `key` = ?", hex.EncodeToString(sum[:])).Scan(&n, &sealed); err != nil {
			t.Fatal(err)
		}
		if n != 1 || sealed {
			t.Errorf("key %q: %d rows (sealed %v), want 1 unsealed", k, n, sealed)
		}
	}
}

// TestMigrations_Issue10FarFutureTimes: a session and a mute in the year 9999,
// stored by the build before issue 10, are repaired so that they can be
// written as JSON again; ordinary rows are untouched.
func TestMigrations_Issue10FarFutureTimes(t *testing.T) {
	ctx := context.Background()
	db := scratchDB(t, "times")
	if err := migrations.UpTo(ctx, db.sql, 40); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"INSERT INTO sessions (id, service_id, starts_at, clinic_id, kind, ends_at, capacity) VALUES (1, 1, '9999-12-31 23:00:00', 1, 'vaccination', '9999-12-31 23:30:00', 5)",
		"INSERT INTO sessions (id, service_id, starts_at, clinic_id, kind, ends_at, capacity) VALUES (2, 1, '2027-01-05 01:00:00', 1, 'vaccination', '2027-01-05 02:00:00', 5)",
		"INSERT INTO circle_mutes (user_id, ends_at, muted_by) VALUES (5, '9999-12-31 00:00:00', 1)",
		"INSERT INTO circle_mutes (user_id, ends_at, muted_by) VALUES (6, '2027-01-01 00:00:00', 1)",
	} {
		if _, err := db.sql.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := migrations.Up(ctx, db.sql, io.Discard); err != nil {
		t.Fatal(err)
	}
	var st1, st2, starts1, starts2, mute5, mute6 string
	if err := db.sql.QueryRow("SELECT s1.status, s2.status, DATE_FORMAT(s1.starts_at, '%Y'), DATE_FORMAT(s2.starts_at, '%Y'), "+
		"(SELECT DATE_FORMAT(ends_at, '%Y') FROM circle_mutes WHERE user_id = 5), (SELECT DATE_FORMAT(ends_at, '%Y') FROM circle_mutes WHERE user_id = 6) "+
		"FROM sessions s1, sessions s2 WHERE s1.id = 1 AND s2.id = 2").Scan(&st1, &st2, &starts1, &starts2, &mute5, &mute6); err != nil {
		t.Fatal(err)
	}
	if st1 != "cancelled" || starts1 != "2199" || st2 != "open" || starts2 != "2027" || mute5 != "2076" || mute6 != "2027" {
		t.Fatalf("after migration: sessions %s %s / %s %s, mutes %s %s", st1, starts1, st2, starts2, mute5, mute6)
	}
}
