package handler

import "familycare/service"

// SpecEnums are the closed sets whose values live in the services' lists
// rather than in an `enums` tag: docs/specgen writes each as the enum of a
// definition's property ("handler.NotificationDTO.event") or of an
// operation's query parameter ("GET /api/v1/staff/audit-logs ?action"), so
// the spec follows the code without a second copy.
func SpecEnums() map[string][]string {
	booking, care := service.BookingHistoryStates(), service.CareHistoryStates()
	return map[string][]string{
		"handler.NotificationDTO.event":        service.NotificationEvents,
		"handler.NotificationDTO.ref_type":     service.NotificationRefTypes,
		"handler.BookingEventDTO.from":         booking,
		"handler.BookingEventDTO.status":       booking,
		"handler.CareEventDTO.from_status":     care,
		"handler.CareEventDTO.status":          care,
		"handler.AuditLogDTO.action":           service.AuditActions,
		"GET /api/v1/staff/audit-logs ?action": service.AuditActions,
	}
}
