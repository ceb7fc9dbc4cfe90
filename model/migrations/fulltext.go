package migrations

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/pressly/goose/v3"
)

// goMigrationNames name the Go migrations in `migrate status`.
var goMigrationNames = map[int64]string{
	2:   "00002_article_fulltext (go)",
	51:  "00051_idempotency_key_hashes (go)",
	102: "00102_coverage_backfill (go)",
	115: "00115_agreement_version_backfill (go)",
}

// articleFulltext adds the FULLTEXT index of article search where the server
// has the ngram parser (MySQL 8). MariaDB and TiDB have none: search uses the
// article_grams table there, and this migration records itself and does
// nothing. It mirrors model.MigrateGuidanceSearch at the time it was written;
// it is frozen, as every applied migration is.
var articleFulltext = goose.NewGoMigration(2,
	&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
		ok, err := hasNgram(ctx, tx)
		if err != nil || !ok {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'articles' AND index_name = 'ft_articles_text'").Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, "ALTER TABLE articles ADD FULLTEXT INDEX ft_articles_text (title, summary, body_text) WITH PARSER ngram")
		return err
	}},
	&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'articles' AND index_name = 'ft_articles_text'").Scan(&n); err != nil || n == 0 {
			return err
		}
		_, err := tx.ExecContext(ctx, "ALTER TABLE articles DROP INDEX ft_articles_text")
		return err
	}},
)

// hasNgram reports whether the server has MySQL's ngram full-text parser.
func hasNgram(ctx context.Context, tx *sql.Tx) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.plugins WHERE plugin_name = 'ngram' AND plugin_status = 'ACTIVE'").Scan(&n)
	if err != nil {
		return false, fmt.Errorf("article fulltext: look for the ngram parser: %w", err)
	}
	return n > 0, nil
}
