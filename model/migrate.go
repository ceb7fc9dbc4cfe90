package model

import (
	"fmt"

	"gorm.io/gorm"
)

// All returns every model, in migration order. Each area keeps its list next
// to its models.
func All() []any {
	var all []any
	for _, area := range [][]any{
		userModels(), catalogModels(), bookingModels(), notificationModels(),
		circleModels(), guidanceModels(), contractModels(), medicineModels(),
		uploadModels(), firstDaysModels(), referralModels(), practiceModels(), adminModels(),
	} {
		all = append(all, area...)
	}
	return all
}

// Migrate brings the schema up to date. AutoMigrate only adds; it never drops
// a column or an index.
func Migrate(db *gorm.DB) error {
	opts := db
	if db.Dialector.Name() == "mysql" {
		opts = db.Set("gorm:table_options", "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci")
	}
	if err := opts.AutoMigrate(All()...); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, extra := range extraMigrations {
		if err := extra(db); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	return nil
}

// extraMigrations run after AutoMigrate, for what GORM tags cannot express
// (full-text indexes, virtual tables). Each must be idempotent.
var extraMigrations = []func(*gorm.DB) error{MigrateGuidanceSearch}
