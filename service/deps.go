package service

import (
	"log/slog"
	"time"

	"familycare/config"
	"familycare/pii"

	"github.com/redis/go-redis/v9"

	"gorm.io/gorm"
)

// Deps are what most services are built from.
type Deps struct {
	DB     *gorm.DB
	Clock  Clock
	Loc    *time.Location
	Log    *slog.Logger
	Config config.Config
	// Redis is nil unless REDIS_ADDR is set; what uses it must work without.
	Redis *redis.Client
	// PII seals personal data at rest.
	PII *pii.Box
}
