package handler

import "time"

// Contracts and medicine orders show the same members and history steps.

// CareEventDTO is one transition in a contract's, an order's or a
// consultation's history; its statuses are those machines' (enum from
// handler.SpecEnums).
type CareEventDTO struct {
	Status     string    `json:"status" example:"active"`
	FromStatus string    `json:"from_status,omitempty" example:"pending"`
	At         time.Time `json:"at"`
	ByRole     string    `json:"by_role" example:"staff" enums:"resident,staff,admin,system"`
	Reason     string    `json:"reason,omitempty"`
}

func (a *API) toCareEvent(from, to string, at time.Time, byRole, reason string) CareEventDTO {
	return CareEventDTO{Status: to, FromStatus: from, At: a.timeIn(at), ByRole: byRole, Reason: reason}
}

// careAge is an age in years, nil when the birth date is unknown.
func careAge(age int) *int {
	if age < 0 {
		return nil
	}
	return &age
}

// careStrings is a list never null in JSON.
func careStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
