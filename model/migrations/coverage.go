package migrations

import (
	"context"
	"database/sql"

	"familycare/model"

	"github.com/pressly/goose/v3"
)

// coverageBackfill moves what the build before the coverage flags knew into
// them (model.CoverageBackfill, which the SQLite path runs once too): 失能
// and 特困 written among a person's conditions become the flags, and a
// household gets the village its counter clinic or its contracts name
// unambiguously. Down leaves the values: 00101's Down drops the columns.
var coverageBackfill = goose.NewGoMigration(102,
	&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return model.CoverageBackfill(ctx, tx) }},
	&goose.GoFunc{RunTx: func(context.Context, *sql.Tx) error { return nil }},
)
