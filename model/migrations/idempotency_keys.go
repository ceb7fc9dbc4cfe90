package migrations

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"

	"github.com/pressly/goose/v3"
)

// idempotencyKeyHashes stores every existing Idempotency-Key as the SHA-256
// hex of its bytes, as service.storedKey does from this version on, so a
// client retrying across the upgrade still gets its first answer, and keys
// compare as exact bytes whatever the column's collation. It is frozen, as
// every applied migration is.
var idempotencyKeyHashes = goose.NewGoMigration(51,
	&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT id, `key` FROM idempotency_records")
		if err != nil {
			return err
		}
		type rec struct {
			id  int64
			key string
		}
		var recs []rec
		for rows.Next() {
			var r rec
			if err := rows.Scan(&r.id, &r.key); err != nil {
				rows.Close()
				return err
			}
			recs = append(recs, r)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, r := range recs {
			sum := sha256.Sum256([]byte(r.key))
			if _, err := tx.ExecContext(ctx, "UPDATE idempotency_records SET `key` = ? WHERE id = ?", hex.EncodeToString(sum[:]), r.id); err != nil {
				return err
			}
		}
		return nil
	}},
	// Down: a hash cannot be turned back into its key; the records expire
	// within a day and nothing else refers to them.
	&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM idempotency_records")
		return err
	}},
)
