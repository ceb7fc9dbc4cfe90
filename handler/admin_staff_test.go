package handler_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"familycare/model"
	"familycare/testkit"
)

func invite(t *testing.T, h *testkit.Harness, by testkit.User, clinic int64, position string) (int64, string) {
	t.Helper()
	m := h.Do("POST", "/api/v1/admin/staff-invitations", map[string]any{"clinic_id": clinic, "position": position},
		testkit.Token(by.Token)).Expect(201).Map()
	code := m["code"].(string)
	if len(code) != 10 || m["share_path"] != "/pages/staff/join?code="+code {
		t.Fatalf("invitation: %v", m)
	}
	return int64(m["id"].(float64)), code
}

type redeemed struct {
	Token string `json:"token"`
	User  struct {
		ID       int64  `json:"id"`
		Role     string `json:"role"`
		ClinicID int64  `json:"clinic_id"`
		Position string `json:"position"`
	} `json:"user"`
}

func TestStaffInvitation_OneCodeRedeemedOnce(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	admin := h.Admin("inv-admin")
	_, code := invite(t, h, admin, 3, "nurse")
	const n = 8
	users := make([]testkit.User, n)
	for i := range users {
		users[i] = h.Login(fmt.Sprintf("inv-race-%d", i))
	}
	var wg sync.WaitGroup
	status := make([]int, n)
	codes := make([]string, n)
	bodies := make([]redeemed, n)
	start := make(chan struct{})
	for i := range users {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			res := h.Do("POST", "/api/v1/staff-invitations/redeem", map[string]any{"code": code}, testkit.Token(users[i].Token))
			status[i], codes[i] = res.Status, res.ErrorCode()
			if res.Status == 200 {
				res.JSON(&bodies[i])
			}
		}(i)
	}
	close(start)
	wg.Wait()
	won := -1
	for i := range users {
		switch {
		case status[i] == 200 && won < 0:
			won = i
		case status[i] == 409 && codes[i] == "invitation_used":
		default:
			t.Errorf("redeemer %d: %d %s", i, status[i], codes[i])
		}
	}
	if won < 0 {
		t.Fatal("nobody redeemed the code")
	}
	b := bodies[won]
	if b.User.Role != "staff" || b.User.ClinicID != 3 || b.User.Position != "nurse" {
		t.Fatalf("winner: %+v", b.User)
	}
	if n := countRows(t, h, &model.User{}, "role = ? AND open_id LIKE ?", "staff", "inv-race-%"); n != 1 {
		t.Fatalf("%d staff made by one code", n)
	}
	if n := countRows(t, h, &model.AuditLog{}, "action = ?", "staff_invitation.redeem"); n != 1 {
		t.Fatalf("%d redeem audit rows", n)
	}
	// The new token is a staff token of clinic 3 at once.
	h.Do("GET", "/api/v1/staff/bookings", nil, testkit.Token(b.Token)).Expect(200)
}

func TestStaffInvitation_Rules(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	admin := h.Admin("inv-admin")

	// Only the code's hash is kept.
	_, code := invite(t, h, admin, 3, "doctor")
	if n := countRows(t, h, &model.StaffInvitation{}, "code_hash = ? OR code_hash = ?", code, strings.ToLower(code)); n != 0 {
		t.Fatal("the code is stored as it is")
	}
	// Lower case with dashes works.
	typed := strings.ToLower(code[:4] + "-" + code[4:8] + " " + code[8:])
	doc := h.Login("inv-doctor")
	var r redeemed
	h.Do("POST", "/api/v1/staff-invitations/redeem", map[string]any{"code": typed}, testkit.Token(doc.Token)).Expect(200).JSON(&r)
	if r.User.Position != "doctor" {
		t.Fatalf("redeemed: %+v", r.User)
	}
	h.Do("POST", "/api/v1/staff-invitations/redeem", map[string]any{"code": code}, testkit.Token(h.Login("inv-late").Token)).
		ExpectError(409, "invitation_used")
	h.Do("POST", "/api/v1/staff-invitations/redeem", map[string]any{"code": "2345678923"}, testkit.Token(doc.Token)).
		ExpectError(404, "invitation_invalid")

	// Expiry (72 h by default).
	_, old := invite(t, h, admin, 3, "nurse")
	h.Clock.Advance(72*time.Hour + time.Second)
	h.Do("POST", "/api/v1/staff-invitations/redeem", map[string]any{"code": old}, testkit.Token(h.Login("inv-slow").Token)).
		ExpectError(409, "invitation_expired")

	// Revoked: 404; revoking twice is fine; a used one cannot be revoked.
	rid, revoked := invite(t, h, admin, 3, "nurse")
	h.Do("DELETE", fmt.Sprintf("/api/v1/admin/staff-invitations/%d", rid), nil, testkit.Token(admin.Token)).Expect(204)
	h.Do("DELETE", fmt.Sprintf("/api/v1/admin/staff-invitations/%d", rid), nil, testkit.Token(admin.Token)).Expect(204)
	h.Do("POST", "/api/v1/staff-invitations/redeem", map[string]any{"code": revoked}, testkit.Token(h.Login("inv-r").Token)).
		ExpectError(404, "invitation_invalid")
	uid, used := invite(t, h, admin, 2, "pharmacist")
	h.Do("POST", "/api/v1/staff-invitations/redeem", map[string]any{"code": used}, testkit.Token(h.Login("inv-ph").Token)).Expect(200)
	h.Do("DELETE", fmt.Sprintf("/api/v1/admin/staff-invitations/%d", uid), nil, testkit.Token(admin.Token)).ExpectError(409, "invitation_used")

	// A manager (made by invitation) invites for their branch and its
	// stations, not elsewhere and not managers; a nurse invites nobody.
	_, mcode := invite(t, h, admin, 2, "manager")
	var m redeemed
	h.Do("POST", "/api/v1/staff-invitations/redeem", map[string]any{"code": mcode}, testkit.Token(h.Login("inv-mgr").Token)).Expect(200).JSON(&m)
	manager := testkit.User{ID: m.User.ID, Token: m.Token, ClinicID: 2}
	invite(t, h, manager, 2, "nurse")
	mid, _ := invite(t, h, manager, 6, "moderator")
	h.Do("POST", "/api/v1/admin/staff-invitations", map[string]any{"clinic_id": 3, "position": "nurse"}, testkit.Token(manager.Token)).ExpectError(403, "forbidden")
	h.Do("POST", "/api/v1/admin/staff-invitations", map[string]any{"clinic_id": 2, "position": "manager"}, testkit.Token(manager.Token)).ExpectError(403, "forbidden")
	h.Do("DELETE", fmt.Sprintf("/api/v1/admin/staff-invitations/%d", mid), nil, testkit.Token(manager.Token)).Expect(204)
	h.Do("DELETE", fmt.Sprintf("/api/v1/admin/staff-invitations/%d", rid), nil, testkit.Token(manager.Token)).ExpectError(404, "not_found")
	nurse := h.Staff("inv-nurse", 2)
	h.Do("POST", "/api/v1/admin/staff-invitations", map[string]any{"clinic_id": 2, "position": "nurse"}, testkit.Token(nurse.Token)).ExpectError(403, "forbidden")
	var logs struct {
		Items []struct {
			Action string `json:"action"`
		} `json:"items"`
	}
	h.Do("GET", "/api/v1/staff/audit-logs?target_type=invitation", nil, testkit.Token(manager.Token)).Expect(200).JSON(&logs)
	if fmt.Sprint(logs.Items) != "[{staff_invitation.revoke} {staff_invitation.create} {staff_invitation.create} {staff_invitation.redeem} {staff_invitation.create} {staff_invitation.redeem} {staff_invitation.create}]" {
		t.Fatalf("manager's audit log: %v", logs.Items)
	}

	// Staff moved by an invitation lose their old token; admins do not
	// redeem; closed clinics take no invitations.
	_, move := invite(t, h, admin, 3, "nurse")
	h.Do("POST", "/api/v1/staff-invitations/redeem", map[string]any{"code": move}, testkit.Token(nurse.Token)).Expect(200)
	h.Do("GET", "/api/v1/staff/bookings", nil, testkit.Token(nurse.Token)).ExpectError(401, "unauthorized")
	_, adm := invite(t, h, admin, 3, "nurse")
	h.Do("POST", "/api/v1/staff-invitations/redeem", map[string]any{"code": adm}, testkit.Token(admin.Token)).ExpectError(403, "forbidden")
	h.Do("PUT", "/api/v1/admin/clinics/4", map[string]any{"status": "closed"}, testkit.Token(admin.Token)).Expect(200)
	h.Do("POST", "/api/v1/admin/staff-invitations", map[string]any{"clinic_id": 4, "position": "nurse"}, testkit.Token(admin.Token)).ExpectError(409, "clinic_closed")
	h.Do("POST", "/api/v1/admin/staff-invitations", map[string]any{"clinic_id": 999, "position": "nurse"}, testkit.Token(admin.Token)).ExpectError(422, "invalid_request")
}

type dirPage struct {
	Items []struct {
		ID         int64  `json:"id"`
		Nickname   string `json:"nickname"`
		Phone      string `json:"phone"`
		Role       string `json:"role"`
		Position   string `json:"position"`
		ClinicID   *int64 `json:"clinic_id"`
		ClinicName string `json:"clinic_name"`
		Suspended  bool   `json:"suspended"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func TestAdminUsers_DirectoryAndChanges(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	admin := h.Admin("dir-admin")
	mum := h.Login("dir-mum")
	h.Do("PUT", "/api/v1/me", map[string]any{"nickname": "小雨妈妈"}, testkit.Token(mum.Token)).Expect(200)
	h.Do("POST", "/api/v1/me/phone", map[string]any{"code": "phone-13800001234"}, testkit.Token(mum.Token)).Expect(200)
	nurse := h.Staff("dir-nurse", 3)
	h.Staff("dir-nurse2", 3)
	h.Staff("dir-nurse3", 2)

	var page dirPage
	h.Do("GET", "/api/v1/admin/users?q=13800001234", nil, testkit.Token(admin.Token)).Expect(200).JSON(&page)
	if len(page.Items) != 1 || page.Items[0].ID != mum.ID || page.Items[0].Phone != "138****1234" {
		t.Fatalf("by phone: %+v", page.Items)
	}
	h.Do("GET", "/api/v1/admin/users?q=雨妈", nil, testkit.Token(admin.Token)).Expect(200).JSON(&page)
	if len(page.Items) != 1 || page.Items[0].Nickname != "小雨妈妈" {
		t.Fatalf("by name: %+v", page.Items)
	}
	h.Do("GET", "/api/v1/admin/users?q=%25", nil, testkit.Token(admin.Token)).Expect(200).JSON(&page)
	if len(page.Items) != 0 {
		t.Fatalf("%% matched: %+v", page.Items)
	}
	h.Do("GET", "/api/v1/admin/users?role=staff&clinic_id=3&limit=1", nil, testkit.Token(admin.Token)).Expect(200).JSON(&page)
	if len(page.Items) != 1 || page.Items[0].ID != nurse.ID || page.Items[0].ClinicName != "石桥镇卫生院" || page.NextCursor == "" {
		t.Fatalf("staff of 3, page 1: %+v", page)
	}
	h.Do("GET", "/api/v1/admin/users?role=staff&clinic_id=3&limit=1&cursor="+page.NextCursor, nil, testkit.Token(admin.Token)).Expect(200).JSON(&page)
	if len(page.Items) != 1 || page.Items[0].ID == nurse.ID || page.NextCursor != "" {
		t.Fatalf("staff of 3, page 2: %+v", page)
	}

	put := func(id int64, body map[string]any) *testkit.Response {
		return h.Do("PUT", fmt.Sprintf("/api/v1/admin/users/%d", id), body, testkit.Token(admin.Token))
	}
	// Suspend: the old token stops, signing in is refused; lifted, it works.
	if m := put(mum.ID, map[string]any{"suspended": true, "reason": "冒用他人信息"}).Expect(200).Map(); m["suspended"] != true {
		t.Fatalf("suspended: %v", m)
	}
	h.Do("GET", "/api/v1/me", nil, testkit.Token(mum.Token)).ExpectError(401, "unauthorized")
	h.Do("POST", "/api/v1/auth/dev/login", map[string]any{"openid": "dir-mum"}).ExpectError(403, "account_suspended")
	put(mum.ID, map[string]any{"suspended": false}).Expect(200)
	mum = h.Login("dir-mum")
	h.Do("GET", "/api/v1/me", nil, testkit.Token(mum.Token)).Expect(200)

	// Move, position, remove: each stops the old token.
	if m := put(nurse.ID, map[string]any{"clinic_id": 2, "position": "doctor"}).Expect(200).Map(); m["clinic_name"] != "青山县人民医院城东分院" || m["position"] != "doctor" {
		t.Fatalf("moved: %v", m)
	}
	h.Do("GET", "/api/v1/staff/bookings", nil, testkit.Token(nurse.Token)).ExpectError(401, "unauthorized")
	var r redeemed
	h.Do("POST", "/api/v1/auth/dev/login", map[string]any{"openid": "dir-nurse"}).Expect(200).JSON(&r)
	if r.User.ClinicID != 2 || r.User.Position != "doctor" {
		t.Fatalf("after move: %+v", r.User)
	}
	put(nurse.ID, map[string]any{"remove_staff": true}).Expect(200)
	h.Do("GET", "/api/v1/staff/bookings", nil, testkit.Token(r.Token)).ExpectError(401, "unauthorized")
	r = redeemed{}
	h.Do("POST", "/api/v1/auth/dev/login", map[string]any{"openid": "dir-nurse"}).Expect(200).JSON(&r)
	if r.User.Role != "resident" || r.User.Position != "" {
		t.Fatalf("after remove: %+v", r.User)
	}
	h.Do("GET", "/api/v1/staff/bookings", nil, testkit.Token(r.Token)).ExpectError(403, "forbidden")

	// What cannot be done.
	put(mum.ID, map[string]any{"clinic_id": 2}).ExpectError(409, "invalid_transition")
	put(admin.ID, map[string]any{"suspended": true}).ExpectError(403, "forbidden")
	put(mum.ID, map[string]any{}).ExpectError(422, "invalid_request")
	put(999999, map[string]any{"suspended": true}).ExpectError(404, "not_found")

	var logs struct {
		Items []struct {
			Action   string         `json:"action"`
			ClinicID int64          `json:"clinic_id"`
			Detail   map[string]any `json:"detail"`
		} `json:"items"`
	}
	h.Do("GET", "/api/v1/staff/audit-logs?target_type=user", nil, testkit.Token(admin.Token)).Expect(200).JSON(&logs)
	var got []string
	for _, l := range logs.Items {
		got = append(got, fmt.Sprintf("%s@%d", l.Action, l.ClinicID))
	}
	if strings.Join(got, " ") != "user.remove_staff@2 user.position@3 user.move@2 user.move@3 user.unsuspend@0 user.suspend@0" {
		t.Fatalf("audit: %v", got)
	}
	if logs.Items[5].Detail["reason"] != "冒用他人信息" {
		t.Fatalf("suspend detail: %v", logs.Items[5].Detail)
	}
}
