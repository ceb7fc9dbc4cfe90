package migrations

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
)

// UpExcept applies every migration but the versions named, each on its
// own: the database a build without those versions left (a database at
// 00140 before a branch's 00114 and 00115 were merged). Up then applies the
// rest out of order, as a deploy of the merged build does.
func UpExcept(ctx context.Context, db *sql.DB, skip ...int64) error {
	p, err := newProvider(ctx, db)
	if err != nil {
		return err
	}
	src, err := sources()
	if err != nil {
		return err
	}
	for _, m := range src {
		if slices.Contains(skip, m.Version) {
			continue
		}
		if _, err := p.ApplyVersion(ctx, m.Version, true); err != nil {
			return fmt.Errorf("migrations: apply %d: %w", m.Version, err)
		}
	}
	return nil
}
