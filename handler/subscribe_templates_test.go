package handler_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"familycare/config"
	"familycare/testkit"
)

func TestSubscribeTemplates_PerEventKeysAndPage(t *testing.T) {
	w := newBookingWorld(t, testkit.WithConfig(func(c *config.Config) {
		c.WeChatSubscribe = map[string]config.SubscribeTemplate{
			"booking_confirmed": {TemplateID: "TPL-BOOKED", Page: "pages/booking/detail?id={id}", Scenes: []string{"after_booking"},
				Data: map[string]string{"thing1": "service", "time2": "starts_at", "thing3": "clinic", "phrase4": "status", "character_string5": "ref_id"}},
			"booking_reminder": {TemplateID: "TPL-REMIND", Page: "pages/booking/detail?id={id}", Scenes: []string{"after_booking"},
				Data: map[string]string{"thing1": "service", "time2": "starts_at"}},
			"contract_approved": {TemplateID: "TPL-CONTRACT", Page: "pages/contract/detail?id={id}", Scenes: []string{"after_contract_apply"},
				Data: map[string]string{"thing1": "team", "date2": "valid_until"}},
		}
	}))
	h := w.h
	h.WeChat.SetTemplate("TPL-BOOKED", "thing1", "time2", "thing3", "phrase4", "character_string5")
	scenes := h.Do("GET", "/api/v1/subscribe-templates", nil).Expect(200).Map()
	after, _ := scenes["after_booking"].([]any)
	if len(after) != 2 || after[0] != "TPL-BOOKED" || after[1] != "TPL-REMIND" {
		t.Fatalf("scenes %v", scenes)
	}
	if c, _ := scenes["after_contract_apply"].([]any); len(c) != 1 {
		t.Fatalf("scenes %v", scenes)
	}
	h.Do("POST", "/api/v1/me/subscriptions", map[string]any{"template_ids": []string{"TPL-BOOKED"}}, testkit.Token(w.parent.Token)).Expect(200)
	s := w.session(5, 48*time.Hour)
	b := id(w.book(w.parent, s, w.child, false).Expect(201).Map())
	h.Do("POST", "/api/v1/staff/bookings/"+b+"/confirm", nil, testkit.Token(w.staff.Token)).Expect(200)
	if n, err := h.App.Services.Notifications.PushPending(context.Background()); err != nil || n != 1 {
		t.Fatalf("pushed %d: %v (fake refuses keys or values that break the template)", n, err)
	}
	msg := h.WeChat.Sent()[0]
	if msg["page"] != "pages/booking/detail?id="+b {
		t.Fatalf("page %v", msg["page"])
	}
	data := msg["data"].(map[string]any)
	val := func(k string) string { return data[k].(map[string]any)["value"].(string) }
	if val("phrase4") != "已确认" || val("character_string5") != b || !strings.Contains(val("time2"), ":") {
		t.Fatalf("data %v", data)
	}
}

func TestSubscribeTemplates_ValuesFormattedNeverRefused(t *testing.T) {
	// A reminder whose service name is long and whose status is English
	// must still be accepted by the template's rules.
	w := newBookingWorld(t, testkit.WithConfig(func(c *config.Config) {
		c.WeChatSubscribe = map[string]config.SubscribeTemplate{
			"booking_confirmed": {TemplateID: "TPL-LONG", Page: "pages/booking/detail?id={id}",
				Data: map[string]string{"thing1": "body", "thing2": "title", "phrase3": "status", "number4": "ref_id", "date5": "starts_at"}},
		}
	}))
	h := w.h
	h.WeChat.SetTemplate("TPL-LONG", "thing1", "thing2", "phrase3", "number4", "date5")
	h.Do("POST", "/api/v1/me/subscriptions", map[string]any{"template_ids": []string{"TPL-LONG"}}, testkit.Token(w.parent.Token)).Expect(200)
	s := w.session(5, 48*time.Hour)
	b := id(w.book(w.parent, s, w.child, false).Expect(201).Map())
	h.Do("POST", "/api/v1/staff/bookings/"+b+"/confirm", nil, testkit.Token(w.staff.Token)).Expect(200)
	if n, err := h.App.Services.Notifications.PushPending(context.Background()); err != nil || n != 1 {
		t.Fatalf("pushed %d: %v", n, err)
	}
}

func TestSubscribeTemplates_BadConfigRefusedInProd(t *testing.T) {
	bad := map[string]config.SubscribeTemplate{
		"no_such_event":     {TemplateID: "T1", Data: map[string]string{"thing1": "title"}},
		"booking_confirmed": {TemplateID: "T2", Data: map[string]string{"car_number1": "title", "time2": "service"}},
	}
	// Dev: the server starts and warns.
	h := testkit.New(t, testkit.WithConfig(func(c *config.Config) { c.WeChatSubscribe = bad }))
	if !strings.Contains(h.Log.String(), "refused in prod") {
		t.Fatal("no warning in dev")
	}
	scenes := h.Do("GET", "/api/v1/subscribe-templates", nil).Expect(200).Map()
	if len(scenes) != 0 {
		t.Fatalf("faulty templates offered: %v", scenes)
	}
}
