package migrations

import (
	"context"
	"database/sql"
	"time"

	"familycare/model"

	"github.com/pressly/goose/v3"
)

// agreementVersionBackfill moves the agreement versions contracts recorded
// as text into agreement_versions (model.AgreementVersionBackfill, which the
// SQLite path runs once too). On a database migrated from nothing this runs
// before 00126 adds the column: there are no contracts then, and it records
// itself and does nothing. Down leaves the rows: 00114's Down drops the
// table.
var agreementVersionBackfill = goose.NewGoMigration(115,
	&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() "+
			"AND table_name = 'family_contracts' AND column_name = 'agreement_version'").Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		return model.AgreementVersionBackfill(ctx, tx, time.Now())
	}},
	&goose.GoFunc{RunTx: func(context.Context, *sql.Tx) error { return nil }},
)
