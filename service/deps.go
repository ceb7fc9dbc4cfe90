package service

import (
	"log/slog"
	"time"

	"familycare/config"

	"gorm.io/gorm"
)

// Deps are what most services are built from.
type Deps struct {
	DB     *gorm.DB
	Clock  Clock
	Loc    *time.Location
	Log    *slog.Logger
	Config config.Config
}
