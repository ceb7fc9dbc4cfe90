package service

import (
	"log/slog"
	"time"

	"familycare/config"

	"gorm.io/gorm"
)

// BookingService books seats, runs the booking state machine and the waitlist.
type BookingService struct {
	db     *gorm.DB
	clock  Clock
	loc    *time.Location
	cfg    config.Config
	notify *NotificationService
	log    *slog.Logger
}

// NewBookingService builds the booking service.
func NewBookingService(deps Deps, notify *NotificationService) *BookingService {
	return &BookingService{db: deps.DB, clock: deps.Clock, loc: deps.Loc, cfg: deps.Config, notify: notify, log: deps.Log}
}
