package handler_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"familycare/model"
	"familycare/testkit"
)

func TestAccount_PersonalDataEncryptedAtRest(t *testing.T) {
	h := ctNew(t)
	staff, u, member := mdSetup(h)
	h.Do("POST", "/api/v1/auth/wechat/login", map[string]any{"code": "code-daughter"}).Expect(200)
	h.Do("POST", "/api/v1/me/phone", map[string]any{"code": "phone-13812345678"}, testkit.Token(u.Token)).Expect(200)
	order := mdOrder(h, u, member)

	var user model.User
	h.DB.Where("open_id = ?", "daughter").First(&user)
	if !strings.HasPrefix(user.Phone, "enc:v1:") || strings.Contains(user.Phone, "13812345678") || user.PhoneHash == "" {
		t.Fatalf("phone at rest: %q hash %q", user.Phone, user.PhoneHash)
	}
	if !strings.HasPrefix(user.SessionKey, "enc:v1:") || strings.Contains(user.SessionKey, "sk-daughter") {
		t.Fatalf("session key at rest: %q", user.SessionKey)
	}
	var o model.MedicineOrder
	h.DB.First(&o, order)
	for name, v := range map[string]string{"address": o.Address, "contact_phone": o.ContactPhone, "handover_code": o.HandoverCode} {
		if !strings.HasPrefix(v, "enc:v1:") {
			t.Fatalf("%s stored in clear: %q", name, v)
		}
	}
	// The owner and the clinic's staff read them; the owner's profile shows the phone masked.
	mine := h.Do("GET", ctPath("/api/v1/medicine-orders/%d", order), nil, testkit.Token(u.Token)).Expect(200).Map()
	if mine["address"] != mdAddress || mine["contact_phone"] != mdPhone || len(mine["handover_code"].(string)) != 6 {
		t.Fatalf("owner's view: %v", mine)
	}
	staffView := h.Do("GET", ctPath("/api/v1/staff/medicine-orders/%d", order), nil, testkit.Token(staff.Token)).Expect(200).Map()
	if staffView["address"] != mdAddress {
		t.Fatalf("staff need the address: %v", staffView)
	}
	if me := h.Do("GET", "/api/v1/me", nil, testkit.Token(u.Token)).Expect(200).Map(); me["phone"] != "138****5678" {
		t.Fatalf("profile phone: %v", me["phone"])
	}
	// Delivery still checks the (sealed) hand-over code.
	mdDispatch(h, staff, order)
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/deliver", order), map[string]any{"handover_code": mine["handover_code"]},
		testkit.Token(staff.Token)).Expect(200)
}

func TestAccount_ExportThenDelete(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	h.Do("POST", "/api/v1/me/phone", map[string]any{"code": "phone-13900001111"}, testkit.Token(w.parent.Token)).Expect(200)
	full := w.session(1, 48*time.Hour)
	bid := id(w.book(w.parent, full, w.child, false).Expect(201).Map())
	other := h.Login("waiting-parent")
	otherChild := h.Member(other, map[string]any{"name": "候补", "relation": "child"})
	waiting := id(w.book(other, full, otherChild, true).Expect(201).Map())
	h.Do("POST", "/api/v1/circles/1/join", nil, testkit.Token(w.parent.Token)).Expect(200)
	post := h.Do("POST", "/api/v1/circles/1/posts", map[string]any{"content": "宝宝夜里总醒怎么办？"}, testkit.Token(w.parent.Token)).Expect(201).Map()

	exp := h.Do("GET", "/api/v1/me/export", nil, testkit.Token(w.parent.Token)).Expect(200)
	var doc struct {
		User struct {
			Phone string `json:"phone"`
		} `json:"user"`
		Members  []map[string]any `json:"members"`
		Bookings []map[string]any `json:"bookings"`
		Posts    []map[string]any `json:"posts"`
	}
	if err := json.Unmarshal(exp.Body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.User.Phone != "13900001111" || len(doc.Members) != 2 || len(doc.Bookings) != 1 || len(doc.Posts) != 1 {
		t.Fatalf("export: %s", exp.Body)
	}

	h.Do("DELETE", "/api/v1/me", nil, testkit.Token(w.parent.Token)).Expect(204)

	// The seat went to the waitlist; the booking row stays, cancelled.
	if got := h.Do("GET", "/api/v1/bookings/"+waiting, nil, testkit.Token(other.Token)).Expect(200).Map(); got["status"] != "pending" {
		t.Fatalf("the freed seat must go to the waitlist: %v", got)
	}
	var b model.Booking
	h.DB.First(&b, bid)
	if b.Status != "cancelled" {
		t.Fatalf("booking: %s", b.Status)
	}
	assertCounters(t, h, full)
	// Personal data is gone.
	var u model.User
	h.DB.Unscoped().First(&u, w.parent.ID)
	if u.Phone != "" || u.OpenID == "parent" || u.SessionKey != "" || !u.DeletedAt.Valid {
		t.Fatalf("user after deletion: %+v", u)
	}
	var members []model.Person
	h.DB.Unscoped().Where("user_id = ?", w.parent.ID).Find(&members)
	for _, m := range members {
		if m.Name != "已注销" || m.BirthDate != "" {
			t.Fatalf("member after deletion: %+v", m)
		}
	}
	var p model.Post
	h.DB.First(&p, int64(post["id"].(float64)))
	if p.Content != "" || p.Status != "deleted" {
		t.Fatalf("post after deletion: %+v", p)
	}
	circle := h.Do("GET", "/api/v1/circles", nil).Expect(200).Map()["items"].([]any)[0].(map[string]any)
	if circle["member_count"] != float64(0) || circle["post_count"] != float64(0) {
		t.Fatalf("circle counts after deletion: %v", circle)
	}
	// The old token stops working at once.
	h.Do("GET", "/api/v1/me", nil, testkit.Token(w.parent.Token)).ExpectError(401, "unauthorized")
	h.Do("GET", "/api/v1/bookings", nil, testkit.Token(w.parent.Token)).ExpectError(401, "unauthorized")
	h.Do("POST", "/api/v1/auth/refresh", nil, testkit.Token(w.parent.Token)).ExpectError(401, "unauthorized")
	// Signing in again with WeChat starts a new, empty account.
	again := h.Do("POST", "/api/v1/auth/wechat/login", map[string]any{"code": "code-parent"}).Expect(200).Map()
	if again["is_new"] != true || again["user"].(map[string]any)["id"] == float64(w.parent.ID) {
		t.Fatalf("login after deletion: %v", again)
	}
	if strings.Contains(h.Log.String(), "13900001111") {
		t.Fatal("phone number in logs")
	}
}

func TestAccount_DeleteRefusedWhileMedicineIsOnItsWay(t *testing.T) {
	h := ctNew(t)
	staff, u, member := mdSetup(h)
	order := mdOrder(h, u, member)
	mdDispatch(h, staff, order)
	h.Do("DELETE", "/api/v1/me", nil, testkit.Token(u.Token)).ExpectError(409, "delivery_in_progress")
	h.Do("GET", "/api/v1/me", nil, testkit.Token(u.Token)).Expect(200)
}
