package service

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"familycare/config"
	"familycare/model"

	"gorm.io/gorm"
)

// SubscribeEvents are the notification events a subscribe-message template
// may be configured for. An area that adds an event adds it here.
var SubscribeEvents = []string{
	EventBookingConfirmed, EventBookingRejected, EventBookingPromoted, EventSessionCancelled,
	EventBookingReminder, EventBookingNoShow, EventBookingMadeByStaff,
	EventContractApproved, EventContractRejected, EventContractTerminated, EventContractExpiring,
	EventContractExpired, EventContractActivated,
	EventMedicineApproved, EventMedicineRejected, EventMedicineCancelled, EventMedicineDispatched, EventMedicineDelivered,
	EventPostHidden, EventPostRejected, EventCommentHidden, EventImageRemoved,
	// Announced by the first-1000-days and family-doctor areas.
	EventVaccineDueSoon, EventVaccineOverdue, "consultation_replied",
	EventReferralIssued, EventReferralCancelled, EventReferralExpired,
}

// Event fields a template key may name. Every event has the common ones;
// the others come from the object the notification refers to (empty when
// it has none).
var (
	subscribeTimeFields   = []string{"created_at", "starts_at", "valid_until"}
	subscribeNumberFields = []string{"ref_id"}
	subscribeTextFields   = []string{"title", "body", "service", "clinic", "expert", "member", "team", "status",
		"courier", "order_no"}
)

// keyTypeRe splits a template data key into its type and number
// (thing1 → thing, character_string12 → character_string).
var keyTypeRe = regexp.MustCompile(`^([a-z_]+?)(\d+)$`)

// subscribeKeyTypes are the key types we know how to fill.
var subscribeKeyTypes = []string{"thing", "time", "date", "phrase", "number", "character_string", "name", "phone_number", "amount", "letter"}

// subscribeTemplate is a validated template of one event.
type subscribeTemplate struct {
	Event, TemplateID, Page string
	Scenes                  []string
	Keys                    []subscribeKey
}

type subscribeKey struct {
	Key, Type, Field string
}

// SubscribeTemplates are the validated templates, by event.
type SubscribeTemplates map[string]subscribeTemplate

// ParseSubscribeTemplates validates the configuration: every event known,
// every key of a type we can fill from a field that exists and suits it.
// Legacy WECHAT_TEMPLATES entries (event=template id, no keys) get the old
// keys thing1 (title), thing2 (body), time3 (created_at), with a warning
// each (as before, so a running deployment keeps running). It returns the
// problems; app.New refuses to start on them in prod and logs them in dev
// (the faulty templates are left out).
func ParseSubscribeTemplates(cfg config.Config) (_ SubscribeTemplates, problems, warnings []error) {
	out := SubscribeTemplates{}
	for event, id := range cfg.WeChatTemplates {
		if _, ok := cfg.WeChatSubscribe[event]; ok || id == "" {
			continue
		}
		warnings = append(warnings, fmt.Errorf("WECHAT_TEMPLATES %s: no data keys configured; sending thing1/thing2/time3, which a real template may refuse (configure wechat_subscribe)", event))
		cfg.WeChatSubscribe = mapsWith(cfg.WeChatSubscribe, event, config.SubscribeTemplate{TemplateID: id, Page: "pages/notifications/index",
			Data: map[string]string{"thing1": "title", "thing2": "body", "time3": "created_at"}})
	}
	events := make([]string, 0, len(cfg.WeChatSubscribe))
	for e := range cfg.WeChatSubscribe {
		events = append(events, e)
	}
	sort.Strings(events)
	for _, event := range events {
		t := cfg.WeChatSubscribe[event]
		var errs []error
		if !slices.Contains(SubscribeEvents, event) {
			errs = append(errs, fmt.Errorf("wechat_subscribe.%s: unknown event", event))
		}
		if t.TemplateID == "" || len(t.TemplateID) > 64 {
			errs = append(errs, fmt.Errorf("wechat_subscribe.%s: template_id must be 1 to 64 characters", event))
		}
		if len(t.Data) == 0 {
			errs = append(errs, fmt.Errorf("wechat_subscribe.%s: data has no keys", event))
		}
		st := subscribeTemplate{Event: event, TemplateID: t.TemplateID, Page: t.Page, Scenes: t.Scenes}
		for key, field := range t.Data {
			m := keyTypeRe.FindStringSubmatch(key)
			if m == nil || !slices.Contains(subscribeKeyTypes, m[1]) {
				errs = append(errs, fmt.Errorf("wechat_subscribe.%s.data.%s: a key type we cannot fill", event, key))
				continue
			}
			typ := m[1]
			isTime, isNumber := slices.Contains(subscribeTimeFields, field), slices.Contains(subscribeNumberFields, field)
			switch {
			case !isTime && !isNumber && !slices.Contains(subscribeTextFields, field):
				errs = append(errs, fmt.Errorf("wechat_subscribe.%s.data.%s: unknown field %q", event, key, field))
			case (typ == "time" || typ == "date") && !isTime:
				errs = append(errs, fmt.Errorf("wechat_subscribe.%s.data.%s: a %s key needs a time field, not %q", event, key, typ, field))
			case (typ == "number" || typ == "amount") && !isNumber:
				errs = append(errs, fmt.Errorf("wechat_subscribe.%s.data.%s: a %s key needs a number field, not %q", event, key, typ, field))
			default:
				st.Keys = append(st.Keys, subscribeKey{Key: key, Type: typ, Field: field})
			}
		}
		sort.Slice(st.Keys, func(i, j int) bool { return st.Keys[i].Key < st.Keys[j].Key })
		if len(errs) > 0 {
			problems = append(problems, errs...)
			continue
		}
		out[event] = st
	}
	return out, problems, warnings
}

func mapsWith(m map[string]config.SubscribeTemplate, k string, v config.SubscribeTemplate) map[string]config.SubscribeTemplate {
	out := make(map[string]config.SubscribeTemplate, len(m)+1)
	for a, b := range m {
		out[a] = b
	}
	out[k] = v
	return out
}

// Scenes maps each scene to the template ids wx.requestSubscribeMessage
// should ask for there (at most 3 per call, WeChat's limit, in event order).
func (ts SubscribeTemplates) Scenes() map[string][]string {
	out := map[string][]string{}
	events := make([]string, 0, len(ts))
	for e := range ts {
		events = append(events, e)
	}
	sort.Strings(events)
	for _, e := range events {
		for _, sc := range ts[e].Scenes {
			if !slices.Contains(out[sc], ts[e].TemplateID) && len(out[sc]) < 3 {
				out[sc] = append(out[sc], ts[e].TemplateID)
			}
		}
	}
	return out
}

// formatValue makes v obey the rules of a key type, truncating or
// reformatting (never leaving something WeChat refuses with 47003).
func formatValue(typ string, v string, t *time.Time, loc *time.Location) string {
	switch typ {
	case "time":
		if t == nil {
			return "-"
		}
		return t.In(loc).Format("2006-01-02 15:04")
	case "date":
		if t == nil {
			return "-"
		}
		return t.In(loc).Format("2006-01-02")
	case "number":
		return keepRunes(v, 32, func(r rune) bool { return r >= '0' && r <= '9' || r == '.' }, "0")
	case "amount":
		return "¥" + keepRunes(v, 10, func(r rune) bool { return r >= '0' && r <= '9' || r == '.' }, "0")
	case "phrase": // up to 5 Chinese characters, nothing else
		return keepRunes(v, 5, func(r rune) bool { return unicode.Is(unicode.Han, r) }, "已更新")
	case "character_string": // up to 32 digits, letters and symbols, no Chinese
		return keepRunes(v, 32, func(r rune) bool { return r > 32 && r < 127 }, "-")
	case "letter":
		return keepRunes(v, 32, func(r rune) bool { return r < 128 && unicode.IsLetter(r) }, "a")
	case "phone_number":
		return keepRunes(v, 17, func(r rune) bool { return r >= '0' && r <= '9' || r == '+' || r == '-' }, "-")
	case "name": // 10 Chinese characters or 20 letters
		v = strings.TrimSpace(v)
		if v == "" {
			return "-"
		}
		for _, r := range v {
			if r >= 128 {
				return truncateRunes(v, 10)
			}
		}
		return truncateRunes(v, 20)
	}
	// thing: 20 characters of any kind; WeChat counts a line break too.
	v = strings.Join(strings.Fields(v), " ")
	if v == "" {
		return "-"
	}
	return truncateRunes(v, 20)
}

// truncateRunes cuts s to n characters, the last one an ellipsis when cut.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func keepRunes(s string, n int, ok func(rune) bool, empty string) string {
	var b []rune
	for _, r := range s {
		if ok(r) {
			b = append(b, r)
			if len(b) == n {
				break
			}
		}
	}
	if len(b) == 0 {
		return empty
	}
	return string(b)
}

// statusPhrases are the Chinese phrases (≤ 5 characters) of states.
var statusPhrases = map[string]string{
	"pending": "待确认", "confirmed": "已确认", "rejected": "未通过", "cancelled": "已取消", "waitlisted": "候补中",
	"checked_in": "已签到", "no_show": "未到", "active": "已生效", "expired": "已到期", "terminated": "已解约",
	"requested": "已提交", "approved": "已通过", "dispatched": "配送中", "delivered": "已送达", "hidden": "已隐藏",
}

// eventFields gathers the fields of a notification's event.
func (s *NotificationService) eventFields(ctx context.Context, n model.Notification) (map[string]string, map[string]*time.Time, error) {
	created := n.CreatedAt
	texts := map[string]string{"title": n.Title, "body": n.Body, "ref_id": strconv.FormatInt(n.RefID, 10)}
	times := map[string]*time.Time{"created_at": &created}
	db := s.db.WithContext(ctx)
	var err error
	switch n.RefType {
	case "booking":
		var row struct {
			Status   string
			StartsAt time.Time
			Service  string
			Clinic   string
		}
		err = db.Table("bookings b").Select("b.status, b.starts_at, sv.name AS service, c.name AS clinic").
			Joins("JOIN sessions se ON se.id = b.session_id").Joins("JOIN services sv ON sv.id = se.service_id").
			Joins("JOIN clinics c ON c.id = b.clinic_id").Where("b.id = ?", n.RefID).Take(&row).Error
		if err == nil {
			texts["service"], texts["clinic"], texts["status"] = row.Service, row.Clinic, statusPhrases[row.Status]
			st := row.StartsAt
			times["starts_at"] = &st
		}
	case "family_contract":
		var row struct {
			Status     string
			ValidUntil string
			Team       string
		}
		err = db.Table("family_contracts fc").Select("fc.status, fc.valid_until, t.name AS team").
			Joins("JOIN doctor_teams t ON t.id = fc.team_id").Where("fc.id = ?", n.RefID).Take(&row).Error
		if err == nil {
			texts["team"], texts["status"] = row.Team, statusPhrases[row.Status]
			if d, perr := time.ParseInLocation("2006-01-02", row.ValidUntil, s.loc); perr == nil {
				times["valid_until"] = &d
			}
		}
	case "medicine_order":
		var row struct{ Status string }
		err = db.Table("medicine_orders").Select("status").Where("id = ?", n.RefID).Take(&row).Error
		if err == nil {
			texts["status"] = statusPhrases[row.Status]
			texts["order_no"] = "MO" + strconv.FormatInt(n.RefID, 10)
		}
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		err = nil // the object is gone: the common fields still make a message
	}
	return texts, times, err
}

// render builds a subscribe message's data and page for a notification.
func (s *NotificationService) render(ctx context.Context, n model.Notification, t subscribeTemplate) (map[string]string, string, error) {
	texts, times, err := s.eventFields(ctx, n)
	if err != nil {
		return nil, "", err
	}
	data := make(map[string]string, len(t.Keys))
	for _, k := range t.Keys {
		data[k.Key] = formatValue(k.Type, texts[k.Field], times[k.Field], s.loc)
	}
	page := strings.ReplaceAll(t.Page, "{id}", strconv.FormatInt(n.RefID, 10))
	if page == "" {
		page = "pages/notifications/index"
	}
	return data, page, nil
}
