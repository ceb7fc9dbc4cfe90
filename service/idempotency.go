package service

import (
	"log/slog"
	"time"

	"gorm.io/gorm"
)

// IdempotencyService remembers first responses to create requests.
type IdempotencyService struct {
	db    *gorm.DB
	clock Clock
	ttl   time.Duration
	log   *slog.Logger
}

// NewIdempotencyService builds the service.
func NewIdempotencyService(deps Deps) *IdempotencyService {
	return &IdempotencyService{db: deps.DB, clock: deps.Clock, ttl: deps.Config.IdempotencyTTL, log: deps.Log}
}
