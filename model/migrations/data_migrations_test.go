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
