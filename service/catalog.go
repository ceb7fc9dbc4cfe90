package service

import (
	"log/slog"
	"time"

	"gorm.io/gorm"
)

// CatalogService serves clinics, experts, services and sessions.
type CatalogService struct {
	db    *gorm.DB
	clock Clock
	loc   *time.Location
	log   *slog.Logger
}

// NewCatalogService builds the catalogue service.
func NewCatalogService(deps Deps) *CatalogService {
	return &CatalogService{db: deps.DB, clock: deps.Clock, loc: deps.Loc, log: deps.Log}
}
