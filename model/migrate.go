package model

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// All returns every model, in migration order. Each area keeps its list next
// to its models.
func All() []any {
	var all []any
	for _, area := range [][]any{
		userModels(), householdModels(), catalogModels(), bookingModels(), notificationModels(),
		circleModels(), guidanceModels(), contractModels(), medicineModels(),
		uploadModels(), firstDaysModels(), referralModels(), practiceModels(), adminModels(), outreachModels(),
	} {
		all = append(all, area...)
	}
	return all
}

// Migrate brings the schema up to date. AutoMigrate only adds; it never drops
// a column or an index.
func Migrate(db *gorm.DB) error {
	// Households (issue 14): members became persons. A database of the
	// build before is renamed, and its accounts and members moved into
	// households once, right after the household tables appear.
	m := db.Migrator()
	if m.HasTable("members") && !m.HasTable("persons") {
		if err := m.RenameTable("members", "persons"); err != nil {
			return fmt.Errorf("migrate: rename members: %w", err)
		}
		for _, col := range []string{"user_id", "birth_date", "deleted_at"} {
			if old := "idx_members_" + col; m.HasIndex(&Person{}, old) {
				if err := m.RenameIndex(&Person{}, old, "idx_persons_"+col); err != nil {
					return fmt.Errorf("migrate: rename %s: %w", old, err)
				}
			}
		}
	}
	backfill := !m.HasTable(&Household{})
	// Coverage flags (issue 15): once, when the village column appears on
	// an existing households table.
	coverage := !backfill && !m.HasColumn(&Household{}, "village")
	// Agreement versions (issue 17): once, when their table appears, the
	// versions contracts recorded as text become rows of it.
	agreements := !m.HasTable(&AgreementVersion{})
	// The consultation queue rank (issue 18): once, when the column appears
	// on an existing consultations table, each row gets its status's rank.
	queueRank := m.HasTable(&Consultation{}) && !m.HasColumn(&Consultation{}, "queue_rank")
	opts := db
	if db.Dialector.Name() == "mysql" {
		opts = db.Set("gorm:table_options", "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci /*T![auto_id_cache] AUTO_ID_CACHE=1 */")
	}
	if err := opts.AutoMigrate(All()...); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, extra := range extraMigrations {
		if err := extra(db); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	if backfill {
		for _, q := range HouseholdBackfill {
			if err := db.Exec(q).Error; err != nil {
				return fmt.Errorf("migrate: households: %w", err)
			}
		}
	}
	if coverage {
		if err := CoverageBackfill(context.Background(), db.ConnPool); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	if agreements {
		if err := AgreementVersionBackfill(context.Background(), db.ConnPool, time.Now()); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	if queueRank {
		if err := db.Exec(ConsultQueueRankFill).Error; err != nil {
			return fmt.Errorf("migrate: consultation queue rank: %w", err)
		}
	}
	return nil
}

// extraMigrations run after AutoMigrate, for what GORM tags cannot express
// (full-text indexes, virtual tables). Each must be idempotent.
var extraMigrations = []func(*gorm.DB) error{MigrateGuidanceSearch}
