package migrations

import (
	"context"
	"database/sql"

	"familycare/model"

	"github.com/pressly/goose/v3"
)

// householdBackfill moves every account and member of the build before
// households into them (model.HouseholdBackfill, the same statements the
// SQLite path runs once): the account becomes the guardian of its own
// household, each member a person of it with the relation it had. Down
// leaves the rows: 00080's Down drops their tables.
var householdBackfill = goose.NewGoMigration(81,
	&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
		for _, q := range model.HouseholdBackfill {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	}},
	&goose.GoFunc{RunTx: func(context.Context, *sql.Tx) error { return nil }},
)
