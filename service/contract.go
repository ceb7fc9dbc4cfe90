package service

import (
	"log/slog"

	"gorm.io/gorm"
)

// ContractService is filled in by its issue.
type ContractService struct {
	db  *gorm.DB
	log *slog.Logger
}

// NewContractService builds the service.
func NewContractService(deps Deps) *ContractService {
	return &ContractService{db: deps.DB, log: deps.Log}
}
