package service

import (
	"log/slog"

	"gorm.io/gorm"
)

// GuidanceService is filled in by its issue.
type GuidanceService struct {
	db  *gorm.DB
	log *slog.Logger
}

// NewGuidanceService builds the service.
func NewGuidanceService(deps Deps) *GuidanceService {
	return &GuidanceService{db: deps.DB, log: deps.Log}
}
