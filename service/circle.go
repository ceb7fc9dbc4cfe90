package service

import (
	"log/slog"

	"gorm.io/gorm"
)

// CircleService is filled in by its issue.
type CircleService struct {
	db  *gorm.DB
	log *slog.Logger
}

// NewCircleService builds the service.
func NewCircleService(deps Deps) *CircleService {
	return &CircleService{db: deps.DB, log: deps.Log}
}
