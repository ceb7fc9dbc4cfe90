package handler_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"familycare/config"
	"familycare/model"
	"familycare/testkit"
)

// Seeded teams: team 1 at clinic 3 (石桥镇卫生院), team 2 at clinic 4 (河口镇卫生院).
const (
	ctTeam3   = 1
	ctTeam4   = 2
	ctClinic3 = 3
	ctClinic4 = 4
)

var ctLoc, _ = time.LoadLocation("Asia/Shanghai")

// ctNew is a harness whose tokens outlive the clock moves of these tests
// (contracts run for a year).
func ctNew(t *testing.T) *testkit.Harness {
	return testkit.New(t, testkit.WithConfig(func(c *config.Config) { c.JWTTTL = 5 * 365 * 24 * time.Hour }))
}

// ctDate is the business date of t.
func ctDate(t time.Time) string { return t.In(ctLoc).Format("2006-01-02") }

// ctBirth is a birth date years (and days) before the harness start.
func ctBirth(years, days int) string {
	return testkit.Start.In(ctLoc).AddDate(-years, 0, -days).Format("2006-01-02")
}

func ctID(m map[string]any) int64 { return int64(m["id"].(float64)) }

func ctPath(format string, id int64) string { return fmt.Sprintf(format, id) }

// ctElder adds an elderly parent with chronic conditions.
func ctElder(h *testkit.Harness, u testkit.User, name string, age int) int64 {
	h.T.Helper()
	return h.Member(u, map[string]any{"name": name, "relation": "parent", "gender": "female",
		"birth_date": ctBirth(age, 30), "chronic_conditions": []string{"高血压", "2型糖尿病"}})
}

func ctApply(h *testkit.Harness, u testkit.User, team int64, members ...int64) map[string]any {
	h.T.Helper()
	return h.Do("POST", "/api/v1/family-contracts", map[string]any{"team_id": team, "member_ids": members},
		testkit.Token(u.Token)).Expect(201).Map()
}

func ctApprove(h *testkit.Harness, staff testkit.User, id int64) map[string]any {
	h.T.Helper()
	return h.Do("POST", ctPath("/api/v1/staff/family-contracts/%d/approve", id), nil, testkit.Token(staff.Token)).Expect(200).Map()
}

// ctContract makes an active contract of team for members and returns its id.
func ctContract(h *testkit.Harness, u, staff testkit.User, team int64, members ...int64) int64 {
	h.T.Helper()
	id := ctID(ctApply(h, u, team, members...))
	ctApprove(h, staff, id)
	return id
}

func ctCount(h *testkit.Harness, m any, where string, args ...any) int64 {
	h.T.Helper()
	var n int64
	if err := h.DB.Model(m).Where(where, args...).Count(&n).Error; err != nil {
		h.T.Fatalf("count: %v", err)
	}
	return n
}

func ctNotices(h *testkit.Harness, userID int64, event string) int64 {
	h.T.Helper()
	return ctCount(h, &model.Notification{}, "user_id = ? AND event = ?", userID, event)
}

func ctErrDetails(r *testkit.Response) map[string]any {
	d, _ := r.Map()["error"].(map[string]any)["details"].(map[string]any)
	return d
}

func TestContract_DoctorTeams(t *testing.T) {
	h := ctNew(t)
	h.Seed()
	var list struct {
		Items []struct {
			ID       int64  `json:"id"`
			ClinicID int64  `json:"clinic_id"`
			Name     string `json:"name"`
			Doctors  []struct {
				Role string `json:"role"`
			} `json:"doctors"`
		} `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	h.Do("GET", "/api/v1/doctor-teams", nil).Expect(200).JSON(&list)
	if len(list.Items) != 2 || list.Items[0].ClinicID != ctClinic3 || list.Items[1].ClinicID != ctClinic4 || list.NextCursor != "" {
		t.Fatalf("teams: %+v", list)
	}
	roles := map[string]bool{}
	for _, d := range list.Items[0].Doctors {
		roles[d.Role] = true
	}
	if len(roles) != 4 || !roles["lead_doctor"] || !roles["nurse"] || !roles["public_health"] || !roles["pharmacist"] {
		t.Fatalf("team 1 roles: %v", roles)
	}
	h.Do("GET", "/api/v1/doctor-teams?clinic_id=4", nil).Expect(200).JSON(&list)
	if len(list.Items) != 1 || list.Items[0].ID != ctTeam4 {
		t.Fatalf("clinic 4 teams: %+v", list)
	}
	h.Do("GET", "/api/v1/doctor-teams?limit=1", nil).Expect(200).JSON(&list)
	if len(list.Items) != 1 || list.NextCursor == "" {
		t.Fatalf("page 1: %+v", list)
	}
	h.Do("GET", "/api/v1/doctor-teams?limit=1&cursor="+list.NextCursor, nil).Expect(200).JSON(&list)
	if len(list.Items) != 1 || list.Items[0].ID != ctTeam4 || list.NextCursor != "" {
		t.Fatalf("page 2: %+v", list)
	}
	h.Do("GET", "/api/v1/doctor-teams?clinic_id=abc", nil).ExpectError(422, "invalid_request")
	h.Do("GET", "/api/v1/doctor-teams?cursor=garbage!", nil).ExpectError(422, "invalid_request")
}

func TestContract_ApplyApproveFlow(t *testing.T) {
	h := ctNew(t)
	h.Seed()
	staff := h.Staff("staff-3", ctClinic3)
	other := h.Staff("staff-4", ctClinic4)
	u := h.Login("daughter")
	self := h.Member(u, map[string]any{"name": "李娟", "relation": "self", "birth_date": "1985-05-01"})
	dad := ctElder(h, u, "李大爷", 72)

	c := ctApply(h, u, ctTeam3, dad, self, dad)
	id := ctID(c)
	if c["status"] != "pending" || c["applied_by"] != "self" || c["clinic_id"] != float64(ctClinic3) {
		t.Fatalf("applied: %v", c)
	}
	members := c["members"].([]any)
	if len(members) != 2 {
		t.Fatalf("members must be deduplicated: %v", members)
	}
	by := map[float64]string{}
	for _, m := range members {
		mm := m.(map[string]any)
		by[mm["member_id"].(float64)] = mm["applied_by"].(string)
		if mm["covered"] != false {
			t.Fatalf("a pending contract covers nobody: %v", mm)
		}
	}
	if by[float64(self)] != "self" || by[float64(dad)] != "relative" {
		t.Fatalf("applied_by per member: %v", by)
	}
	// The staff of the team's clinic are told; another clinic's are not.
	if ctNotices(h, staff.ID, "contract_applied") != 1 || ctNotices(h, other.ID, "contract_applied") != 0 {
		t.Fatal("staff of clinic 3 (only) must be notified of the application")
	}

	var queue struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", "/api/v1/staff/family-contracts?status=pending", nil, testkit.Token(staff.Token)).Expect(200).JSON(&queue)
	if len(queue.Items) != 1 || ctID(queue.Items[0]) != id {
		t.Fatalf("queue: %v", queue.Items)
	}
	h.Do("GET", "/api/v1/staff/family-contracts?status=pending", nil, testkit.Token(other.Token)).Expect(200).JSON(&queue)
	if len(queue.Items) != 0 {
		t.Fatalf("another clinic's queue must be empty: %v", queue.Items)
	}

	got := ctApprove(h, staff, id)
	today := ctDate(h.Clock.Now())
	if got["status"] != "active" || got["valid_from"] != today || got["valid_until"] != ctDate(h.Clock.Now().AddDate(1, 0, 0)) {
		t.Fatalf("approved: %v", got)
	}
	for _, m := range got["members"].([]any) {
		if m.(map[string]any)["covered"] != true {
			t.Fatalf("members must be covered: %v", m)
		}
	}
	if ctNotices(h, u.ID, "contract_approved") != 1 {
		t.Fatal("resident must be notified of the approval")
	}
	h.Do("POST", ctPath("/api/v1/staff/family-contracts/%d/approve", id), nil, testkit.Token(staff.Token)).ExpectError(409, "invalid_transition")

	detail := h.Do("GET", ctPath("/api/v1/family-contracts/%d", id), nil, testkit.Token(u.Token)).Expect(200).Map()
	hist := detail["history"].([]any)
	if len(hist) != 2 || hist[0].(map[string]any)["status"] != "pending" || hist[1].(map[string]any)["status"] != "active" ||
		hist[1].(map[string]any)["by_role"] != "staff" {
		t.Fatalf("history: %v", hist)
	}
	var mine struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", "/api/v1/family-contracts?status=active", nil, testkit.Token(u.Token)).Expect(200).JSON(&mine)
	if len(mine.Items) != 1 {
		t.Fatalf("own list: %v", mine.Items)
	}
	h.Do("GET", ctPath("/api/v1/staff/family-contracts/%d", id), nil, testkit.Token(staff.Token)).Expect(200)

	// A member with an active contract cannot be signed again, at another
	// team either. The error carries ids only (staff may meet another
	// family's member here), never a name.
	r := h.Do("POST", "/api/v1/family-contracts", map[string]any{"team_id": ctTeam4, "member_ids": []int64{dad}},
		testkit.Token(u.Token)).ExpectError(409, "member_already_contracted")
	d := ctErrDetails(r)
	if _, named := d["member_name"]; d["member_id"] != float64(dad) || named || d["contract_id"] != float64(id) || strings.Contains(string(r.Body), "李大爷") {
		t.Fatalf("details: %v", d)
	}
}

// ctBookAt books member into an open session of clinic, which brings the
// member within that clinic's work.
func ctBookAt(h *testkit.Harness, u testkit.User, clinic int64, member int64) {
	h.T.Helper()
	var page struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	h.Do("GET", ctPath("/api/v1/sessions?clinic_id=%d&available=true&limit=1", clinic), nil).Expect(200).JSON(&page)
	if len(page.Items) == 0 {
		h.T.Fatalf("no open session at clinic %d", clinic)
	}
	h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": page.Items[0].ID, "member_id": member}, testkit.Token(u.Token)).Expect(201)
}

func TestContract_RelativeOnBehalfAndStaffOnBehalf(t *testing.T) {
	h := ctNew(t)
	h.Seed()
	staff := h.Staff("staff-3", ctClinic3)
	staff4 := h.Staff("staff-4", ctClinic4)
	son := h.Login("son")
	mum := ctElder(h, son, "王阿姨", 78)
	c := ctApply(h, son, ctTeam3, mum)
	if c["applied_by"] != "relative" {
		t.Fatalf("a son applying for his mother applies as a relative: %v", c)
	}

	// Staff apply for a resident who phoned in.
	grandpa := h.Login("grandpa")
	me := h.Member(grandpa, map[string]any{"name": "赵爷爷", "relation": "self", "birth_date": ctBirth(81, 0)})
	wife := ctElder(h, grandpa, "赵奶奶", 79)
	// Staff enrol only families within their clinic's work: these two
	// have nothing to do with clinic 3 yet, so to its staff they do not
	// exist (issue 10).
	h.Do("POST", "/api/v1/staff/family-contracts", map[string]any{"team_id": ctTeam3, "member_ids": []int64{me, wife}},
		testkit.Token(staff.Token)).ExpectError(404, "not_found")
	ctBookAt(h, grandpa, ctClinic3, me)
	ctBookAt(h, grandpa, ctClinic3, wife)
	r := h.Do("POST", "/api/v1/staff/family-contracts", map[string]any{"team_id": ctTeam3, "member_ids": []int64{me, wife}},
		testkit.Token(staff.Token)).Expect(201).Map()
	if r["applied_by"] != "staff" || r["status"] != "pending" {
		t.Fatalf("staff on behalf: %v", r)
	}
	for _, m := range r["members"].([]any) {
		if m.(map[string]any)["applied_by"] != "staff" {
			t.Fatalf("member applied_by: %v", m)
		}
	}
	if ctNotices(h, grandpa.ID, "contract_applied") != 1 {
		t.Fatal("the family must be told staff applied for them")
	}
	// The family sees it as theirs.
	h.Do("GET", ctPath("/api/v1/family-contracts/%d", ctID(r)), nil, testkit.Token(grandpa.Token)).Expect(200)
	// Staff of another clinic cannot use this clinic's team; members of two
	// families cannot share one application.
	h.Do("POST", "/api/v1/staff/family-contracts", map[string]any{"team_id": ctTeam3, "member_ids": []int64{me}},
		testkit.Token(staff4.Token)).ExpectError(404, "not_found")
	h.Do("POST", "/api/v1/staff/family-contracts", map[string]any{"team_id": ctTeam3, "member_ids": []int64{me, mum}},
		testkit.Token(staff.Token)).ExpectError(422, "invalid_request")
	h.Do("POST", "/api/v1/staff/family-contracts", map[string]any{"team_id": ctTeam3, "member_ids": []int64{99999}},
		testkit.Token(staff.Token)).ExpectError(404, "not_found")
	// Residents cannot use the staff route.
	h.Do("POST", "/api/v1/staff/family-contracts", map[string]any{"team_id": ctTeam3, "member_ids": []int64{mum}},
		testkit.Token(son.Token)).ExpectError(403, "forbidden")
}

func TestContract_RejectAndTerminate(t *testing.T) {
	h := ctNew(t)
	h.Seed()
	staff := h.Staff("staff-3", ctClinic3)
	u := h.Login("family")
	gran := ctElder(h, u, "外婆", 83)

	id := ctID(ctApply(h, u, ctTeam3, gran))
	h.Do("POST", ctPath("/api/v1/staff/family-contracts/%d/reject", id), map[string]any{}, testkit.Token(staff.Token)).ExpectError(422, "invalid_request")
	h.Do("POST", ctPath("/api/v1/staff/family-contracts/%d/reject", id), map[string]any{"reason": "   "}, testkit.Token(staff.Token)).ExpectError(422, "invalid_request")
	rej := h.Do("POST", ctPath("/api/v1/staff/family-contracts/%d/reject", id), map[string]any{"reason": "不在服务范围"},
		testkit.Token(staff.Token)).Expect(200).Map()
	if rej["status"] != "rejected" || rej["reason"] != "不在服务范围" {
		t.Fatalf("rejected: %v", rej)
	}
	if ctNotices(h, u.ID, "contract_rejected") != 1 {
		t.Fatal("resident must be notified of the rejection")
	}
	h.Do("POST", ctPath("/api/v1/staff/family-contracts/%d/reject", id), map[string]any{"reason": "x"}, testkit.Token(staff.Token)).ExpectError(409, "invalid_transition")
	h.Do("POST", ctPath("/api/v1/staff/family-contracts/%d/approve", id), nil, testkit.Token(staff.Token)).ExpectError(409, "invalid_transition")
	h.Do("POST", ctPath("/api/v1/family-contracts/%d/terminate", id), map[string]any{"reason": "x"}, testkit.Token(u.Token)).ExpectError(409, "invalid_transition")

	// Resident terminates an active contract; the member is free again.
	id2 := ctContract(h, u, staff, ctTeam3, gran)
	h.Do("POST", ctPath("/api/v1/family-contracts/%d/terminate", id2), map[string]any{}, testkit.Token(u.Token)).ExpectError(422, "invalid_request")
	term := h.Do("POST", ctPath("/api/v1/family-contracts/%d/terminate", id2), map[string]any{"reason": "搬去城里和子女同住"},
		testkit.Token(u.Token)).Expect(200).Map()
	if term["status"] != "terminated" || term["members"].([]any)[0].(map[string]any)["covered"] != false {
		t.Fatalf("terminated: %v", term)
	}
	hist := term["history"].([]any)
	if last := hist[len(hist)-1].(map[string]any); last["status"] != "terminated" || last["by_role"] != "resident" || last["reason"] != "搬去城里和子女同住" {
		t.Fatalf("history: %v", hist)
	}
	h.Do("POST", ctPath("/api/v1/family-contracts/%d/terminate", id2), map[string]any{"reason": "again"}, testkit.Token(u.Token)).ExpectError(409, "invalid_transition")

	// Staff terminate the next one.
	id3 := ctContract(h, u, staff, ctTeam3, gran)
	h.Do("POST", ctPath("/api/v1/staff/family-contracts/%d/terminate", id3), map[string]any{"reason": "居民已迁出"},
		testkit.Token(staff.Token)).Expect(200)
	if ctNotices(h, u.ID, "contract_terminated") != 2 {
		t.Fatal("resident must be notified of each termination")
	}
	if n := ctCount(h, &model.ContractMember{}, "member_id = ? AND active = ?", gran, true); n != 0 {
		t.Fatalf("no coverage may remain, got %d", n)
	}
}

func TestContract_NotFoundAndValidation(t *testing.T) {
	h := ctNew(t)
	h.Seed()
	staff := h.Staff("staff-3", ctClinic3)
	staff4 := h.Staff("staff-4", ctClinic4)
	mdPharmacist(h, staff4)
	admin := h.Admin("boss")
	u := h.Login("family")
	gran := ctElder(h, u, "外婆", 83)
	stranger := h.Login("stranger")
	id := ctID(ctApply(h, u, ctTeam3, gran))

	h.Do("GET", ctPath("/api/v1/family-contracts/%d", id), nil, testkit.Token(stranger.Token)).ExpectError(404, "not_found")
	h.Do("POST", ctPath("/api/v1/family-contracts/%d/renew", id), nil, testkit.Token(stranger.Token)).ExpectError(404, "not_found")
	h.Do("POST", ctPath("/api/v1/family-contracts/%d/terminate", id), map[string]any{"reason": "x"}, testkit.Token(stranger.Token)).ExpectError(404, "not_found")
	h.Do("GET", "/api/v1/family-contracts/abc", nil, testkit.Token(u.Token)).ExpectError(404, "not_found")
	// Staff of another clinic: 404 for every action.
	h.Do("GET", ctPath("/api/v1/staff/family-contracts/%d", id), nil, testkit.Token(staff4.Token)).ExpectError(404, "not_found")
	h.Do("POST", ctPath("/api/v1/staff/family-contracts/%d/approve", id), nil, testkit.Token(staff4.Token)).ExpectError(404, "not_found")
	h.Do("POST", ctPath("/api/v1/staff/family-contracts/%d/reject", id), map[string]any{"reason": "x"}, testkit.Token(staff4.Token)).ExpectError(404, "not_found")
	h.Do("POST", ctPath("/api/v1/staff/family-contracts/%d/terminate", id), map[string]any{"reason": "x"}, testkit.Token(staff4.Token)).ExpectError(404, "not_found")
	// Residents on staff routes: 403.
	h.Do("GET", "/api/v1/staff/family-contracts", nil, testkit.Token(u.Token)).ExpectError(403, "forbidden")
	h.Do("POST", ctPath("/api/v1/staff/family-contracts/%d/approve", id), nil, testkit.Token(u.Token)).ExpectError(403, "forbidden")
	h.Do("GET", "/api/v1/family-contracts", nil).ExpectError(401, "unauthorized")
	// Admin sees every clinic.
	var all struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", "/api/v1/staff/family-contracts", nil, testkit.Token(admin.Token)).Expect(200).JSON(&all)
	if len(all.Items) != 1 {
		t.Fatalf("admin list: %v", all.Items)
	}

	before := ctCount(h, &model.FamilyContract{}, "1 = 1")
	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"unknown team", map[string]any{"team_id": 999, "member_ids": []int64{gran}}, 404, "not_found"},
		{"another family's member", map[string]any{"team_id": ctTeam3, "member_ids": []int64{gran}}, 404, "not_found"},
		{"no members", map[string]any{"team_id": ctTeam3, "member_ids": []int64{}}, 422, "invalid_request"},
		{"no team", map[string]any{"member_ids": []int64{gran}}, 422, "invalid_request"},
		{"zero member id", map[string]any{"team_id": ctTeam3, "member_ids": []int64{0}}, 422, "invalid_request"},
		{"too many members", map[string]any{"team_id": ctTeam3, "member_ids": make([]int64, 21)}, 422, "invalid_request"},
		{"wrong type", map[string]any{"team_id": "one", "member_ids": []int64{gran}}, 422, "invalid_request"},
		{"malformed", `{"team_id":`, 400, "bad_json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testkit.Do(t, h.App.Engine, "POST", "/api/v1/family-contracts", tc.body, testkit.Token(stranger.Token)).ExpectError(tc.status, tc.code)
		})
	}
	h.Do("GET", "/api/v1/family-contracts?status=weird", nil, testkit.Token(u.Token)).ExpectError(422, "invalid_request")
	h.Do("GET", "/api/v1/staff/family-contracts?limit=0", nil, testkit.Token(staff.Token)).ExpectError(422, "invalid_request")
	if after := ctCount(h, &model.FamilyContract{}, "1 = 1"); after != before {
		t.Fatalf("rejected applications must write nothing: %d → %d", before, after)
	}
}

// Two applications for the same member at once, approved at once by two
// staff members on two API processes: at most one becomes active.
func TestContract_ConcurrentApplicationsOneActive(t *testing.T) {
	h := ctNew(t)
	h.Seed()
	staff := h.Staff("staff-3", ctClinic3)
	staff4 := h.Staff("staff-4", ctClinic4)
	u := h.Login("family")
	gran := ctElder(h, u, "外婆", 83)
	replica := h.Replica()

	ids, teams, engines := make([]int64, 2), []int64{ctTeam3, ctTeam4}, []http.Handler{h.App.Engine, replica.Engine}
	parallel(2, func(i int) {
		r := testkit.Do(t, engines[i], "POST", "/api/v1/family-contracts", map[string]any{"team_id": teams[i], "member_ids": []int64{gran}},
			testkit.Token(u.Token))
		if r.Status != 201 {
			t.Errorf("application %d: %d %s", i, r.Status, r.Body)
			return
		}
		ids[i] = ctID(r.Map())
	})
	if t.Failed() {
		t.FailNow()
	}

	statuses, approvers := make([]int, 2), []testkit.User{staff, staff4}
	parallel(2, func(i int) {
		r := testkit.Do(t, engines[i], "POST", ctPath("/api/v1/staff/family-contracts/%d/approve", ids[i]), nil, testkit.Token(approvers[i].Token))
		statuses[i] = r.Status
		if r.Status != 200 && r.ErrorCode() != "member_already_contracted" {
			t.Errorf("approval %d: %d %s", i, r.Status, r.Body)
		}
	})
	oks := 0
	for _, s := range statuses {
		if s == 200 {
			oks++
		}
	}
	if oks != 1 {
		t.Fatalf("exactly one approval must win, got statuses %v", statuses)
	}
	if n := ctCount(h, &model.ContractMember{}, "member_id = ? AND active = ?", gran, true); n != 1 {
		t.Fatalf("one active coverage row, got %d", n)
	}
	if n := ctCount(h, &model.FamilyContract{}, "status = ?", model.ContractActive); n != 1 {
		t.Fatalf("one active contract, got %d", n)
	}
	if n := ctCount(h, &model.FamilyContract{}, "status = ?", model.ContractPending); n != 1 {
		t.Fatalf("the losing application stays pending, got %d", n)
	}
	// The database itself refuses a second active coverage row.
	yes := true
	if err := h.DB.Create(&model.ContractMember{ContractID: ids[0], MemberID: gran, Active: &yes, AppliedBy: "self"}).Error; err == nil {
		t.Fatal("the unique key (member_id, active) must refuse a second active contract")
	}
}

// The expiry job run twice at once, by two processes, expires each contract
// once: one history row and one notification each.
func TestContract_ExpiryJobExactlyOnce(t *testing.T) {
	h := ctNew(t)
	h.Seed()
	staff := h.Staff("staff-3", ctClinic3)
	const families = 4
	var ids []int64
	for i := 0; i < families; i++ {
		u := h.Login(fmt.Sprintf("family-%d", i))
		ids = append(ids, ctContract(h, u, staff, ctTeam3, ctElder(h, u, "老人", 70+i)))
	}
	// A later contract that must stay.
	h.Clock.Advance(48 * time.Hour)
	late := h.Login("late")
	lateID := ctContract(h, late, staff, ctTeam3, ctElder(h, late, "晚签", 75))

	// On its last day a contract is still active.
	var c model.FamilyContract
	h.DB.First(&c, ids[0])
	h.Clock.Set(time.Date(2027, 11, 23, 12, 0, 0, 0, ctLoc))
	if c.ValidUntil != "2027-11-23" {
		t.Fatalf("valid_until: %s", c.ValidUntil)
	}
	if n, err := h.App.Services.Contracts.ExpireContracts(context.Background()); err != nil || n != 0 {
		t.Fatalf("nothing expires on the last day: %d %v", n, err)
	}

	h.Clock.Advance(24 * time.Hour)
	replica := h.Replica()
	counts := runJobs(t, h.App.Services.Contracts.ExpireContracts, replica.Services.Contracts.ExpireContracts)
	if counts[0]+counts[1] != families {
		t.Fatalf("each contract expires once: %v", counts)
	}
	for _, id := range ids {
		if n := ctCount(h, &model.ContractEvent{}, "contract_id = ? AND to_status = ?", id, model.ContractExpired); n != 1 {
			t.Fatalf("contract %d: %d expiry events", id, n)
		}
		if n := ctCount(h, &model.Notification{}, "ref_id = ? AND event = ?", id, "contract_expired"); n != 1 {
			t.Fatalf("contract %d: %d expiry notices", id, n)
		}
	}
	if n := ctCount(h, &model.FamilyContract{}, "status = ?", model.ContractExpired); n != families {
		t.Fatalf("expired: %d", n)
	}
	if n := ctCount(h, &model.FamilyContract{}, "id = ? AND status = ?", lateID, model.ContractActive); n != 1 {
		t.Fatal("a contract still in its period must stay active")
	}
	if n := ctCount(h, &model.ContractMember{}, "active = ?", true); n != 1 {
		t.Fatalf("expired contracts must release their members, %d covered", n)
	}
	if n, _ := h.App.Services.Contracts.ExpireContracts(context.Background()); n != 0 {
		t.Fatalf("a second run expires nothing, got %d", n)
	}
	var got struct {
		History []map[string]any `json:"history"`
	}
	u0 := h.Login("family-0")
	h.Do("GET", ctPath("/api/v1/family-contracts/%d", ids[0]), nil, testkit.Token(u0.Token)).Expect(200).JSON(&got)
	if last := got.History[len(got.History)-1]; last["status"] != "expired" || last["by_role"] != "system" {
		t.Fatalf("history: %v", got.History)
	}
}

// The 30-days-ahead reminder is sent once, however many processes run it.
func TestContract_ExpiryReminderOnce(t *testing.T) {
	h := ctNew(t)
	h.Seed()
	staff := h.Staff("staff-3", ctClinic3)
	u := h.Login("family")
	id := ctContract(h, u, staff, ctTeam3, ctElder(h, u, "外婆", 83))
	renewing := h.Login("renewing")
	rid := ctContract(h, renewing, staff, ctTeam3, ctElder(h, renewing, "外公", 85))

	// 31 days before the end: too early.
	h.Clock.Set(time.Date(2027, 10, 23, 9, 0, 0, 0, ctLoc))
	if n, err := h.App.Services.Contracts.RemindExpiring(context.Background()); err != nil || n != 0 {
		t.Fatalf("too early: %d %v", n, err)
	}
	// One family renews already: no reminder for them.
	h.Do("POST", ctPath("/api/v1/family-contracts/%d/renew", rid), nil, testkit.Token(renewing.Token)).Expect(201)

	h.Clock.Set(time.Date(2027, 10, 24, 9, 0, 0, 0, ctLoc))
	replica := h.Replica()
	counts := runJobs(t, h.App.Services.Contracts.RemindExpiring, replica.Services.Contracts.RemindExpiring)
	if counts[0]+counts[1] != 1 {
		t.Fatalf("one reminder in all: %v", counts)
	}
	if ctNotices(h, u.ID, "contract_expiring") != 1 || ctNotices(h, renewing.ID, "contract_expiring") != 0 {
		t.Fatal("the reminder goes once, and not to a family that renewed")
	}
	h.Clock.Advance(24 * time.Hour)
	if n, _ := h.App.Services.Contracts.RemindExpiring(context.Background()); n != 0 {
		t.Fatalf("never twice: %d", n)
	}
	got := h.Do("GET", ctPath("/api/v1/family-contracts/%d", id), nil, testkit.Token(u.Token)).Expect(200).Map()
	if got["reminded_at"] == nil {
		t.Fatalf("reminded_at: %v", got)
	}
}

// Renewing an active contract: the next period starts the day after the
// current one ends (scheduled until then) and the expiry job hands over.
func TestContract_RenewActiveWithoutGap(t *testing.T) {
	h := ctNew(t)
	h.Seed()
	staff := h.Staff("staff-3", ctClinic3)
	u := h.Login("family")
	gran := ctElder(h, u, "外婆", 83)
	id := ctContract(h, u, staff, ctTeam3, gran)

	h.Clock.Set(time.Date(2027, 11, 1, 9, 0, 0, 0, ctLoc))
	ren := h.Do("POST", ctPath("/api/v1/family-contracts/%d/renew", id), nil, testkit.Token(u.Token)).Expect(201).Map()
	rid := ctID(ren)
	if ren["status"] != "pending" || ren["renews_id"] != float64(id) {
		t.Fatalf("renewal: %v", ren)
	}
	h.Do("POST", ctPath("/api/v1/family-contracts/%d/renew", id), nil, testkit.Token(u.Token)).ExpectError(409, "contract_already_renewed")
	if ctNotices(h, staff.ID, "contract_applied") != 2 {
		t.Fatal("staff are told about the renewal")
	}

	got := ctApprove(h, staff, rid)
	if got["status"] != "scheduled" || got["valid_from"] != "2027-11-24" || got["valid_until"] != "2028-11-24" {
		t.Fatalf("approved renewal: %v", got)
	}
	old := h.Do("GET", ctPath("/api/v1/family-contracts/%d", id), nil, testkit.Token(u.Token)).Expect(200).Map()
	if old["status"] != "active" || old["renewed_by_id"] != float64(rid) {
		t.Fatalf("the current contract runs on: %v", old)
	}

	h.Clock.Set(time.Date(2027, 11, 24, 0, 30, 0, 0, ctLoc))
	if n, err := h.App.Services.Contracts.ExpireContracts(context.Background()); err != nil || n != 1 {
		t.Fatalf("expire: %d %v", n, err)
	}
	now := h.Do("GET", ctPath("/api/v1/family-contracts/%d", rid), nil, testkit.Token(u.Token)).Expect(200).Map()
	if now["status"] != "active" || now["members"].([]any)[0].(map[string]any)["covered"] != true {
		t.Fatalf("the renewal starts the day after: %v", now)
	}
	if ctNotices(h, u.ID, "contract_activated") != 1 {
		t.Fatal("resident told the renewal started")
	}
	if n := ctCount(h, &model.ContractMember{}, "member_id = ? AND active = ?", gran, true); n != 1 {
		t.Fatalf("coverage: %d", n)
	}
}

func TestContract_RenewExpired(t *testing.T) {
	h := ctNew(t)
	h.Seed()
	staff := h.Staff("staff-3", ctClinic3)
	u := h.Login("family")
	gran := ctElder(h, u, "外婆", 83)
	id := ctContract(h, u, staff, ctTeam3, gran)
	old := h.Login("old")
	oldID := ctContract(h, old, staff, ctTeam3, ctElder(h, old, "老爷爷", 90))
	pend := ctID(ctApply(h, old, ctTeam3, h.Member(old, map[string]any{"name": "孙子", "relation": "child"})))

	// 60 days after the end (2027-11-23): still renewable, no gap.
	h.Clock.Set(time.Date(2028, 1, 22, 9, 0, 0, 0, ctLoc))
	if n, _ := h.App.Services.Contracts.ExpireContracts(context.Background()); n != 2 {
		t.Fatalf("both expire: %d", n)
	}
	rid := ctID(h.Do("POST", ctPath("/api/v1/family-contracts/%d/renew", id), nil, testkit.Token(u.Token)).Expect(201).Map())
	got := ctApprove(h, staff, rid)
	if got["status"] != "active" || got["valid_from"] != "2027-11-24" || got["valid_until"] != "2028-11-24" {
		t.Fatalf("renewal of an expired contract continues its period: %v", got)
	}
	h.Do("POST", ctPath("/api/v1/family-contracts/%d/renew", pend), nil, testkit.Token(old.Token)).ExpectError(409, "invalid_transition")

	// More than 90 days after the end: a new application is needed.
	h.Clock.Set(time.Date(2028, 2, 22, 9, 0, 0, 0, ctLoc))
	h.Do("POST", ctPath("/api/v1/family-contracts/%d/renew", oldID), nil, testkit.Token(old.Token)).ExpectError(409, "renewal_window_closed")

	// A rejected renewal frees the contract for another one.
	h.Clock.Set(time.Date(2028, 11, 1, 9, 0, 0, 0, ctLoc))
	r2 := ctID(h.Do("POST", ctPath("/api/v1/family-contracts/%d/renew", rid), nil, testkit.Token(u.Token)).Expect(201).Map())
	h.Do("POST", ctPath("/api/v1/staff/family-contracts/%d/reject", r2), map[string]any{"reason": "请先到院体检"}, testkit.Token(staff.Token)).Expect(200)
	r3 := ctID(h.Do("POST", ctPath("/api/v1/family-contracts/%d/renew", rid), nil, testkit.Token(u.Token)).Expect(201).Map())
	if got := ctApprove(h, staff, r3); got["status"] != "scheduled" || got["valid_from"] != "2028-11-25" {
		t.Fatalf("second renewal: %v", got)
	}
	// Terminating the current contract ends its scheduled renewal too.
	h.Do("POST", ctPath("/api/v1/family-contracts/%d/terminate", rid), map[string]any{"reason": "不再需要"}, testkit.Token(u.Token)).Expect(200)
	if n := ctCount(h, &model.FamilyContract{}, "id = ? AND status = ?", r3, model.ContractTerminated); n != 1 {
		t.Fatal("the scheduled renewal must end with its contract")
	}
}

func TestContract_IdempotentApply(t *testing.T) {
	h := ctNew(t)
	h.Seed()
	u := h.Login("family")
	gran := ctElder(h, u, "外婆", 83)
	body := map[string]any{"team_id": ctTeam3, "member_ids": []int64{gran}}
	a := h.Do("POST", "/api/v1/family-contracts", body, testkit.Token(u.Token), testkit.Header("Idempotency-Key", "k-1")).Expect(201).Map()
	b := h.Do("POST", "/api/v1/family-contracts", body, testkit.Token(u.Token), testkit.Header("Idempotency-Key", "k-1")).Expect(201).Map()
	if ctID(a) != ctID(b) || ctCount(h, &model.FamilyContract{}, "1 = 1") != 1 {
		t.Fatalf("a retried application must create one contract: %v %v", a["id"], b["id"])
	}
}

// Coverage figures against a seeded population with known numbers.
func TestContract_CoverageStats(t *testing.T) {
	h := ctNew(t)
	h.Seed()
	staff := h.Staff("staff-3", ctClinic3)
	mdPharmacist(h, staff) // staff and staff4 deliver orders below
	staff4 := h.Staff("staff-4", ctClinic4)
	mdPharmacist(h, staff4)
	admin := h.Admin("boss")
	start := testkit.Start

	// 400 days ago: family C's third elder signs with team 2; it has
	// expired by now.
	h.Clock.Set(start.AddDate(0, 0, -400))
	fa, fb, fc := h.Login("family-a"), h.Login("family-b"), h.Login("family-c")
	a1 := h.Member(fa, map[string]any{"name": "A1", "relation": "parent", "birth_date": ctBirth(70, 0), "chronic_conditions": []string{"高血压"}})
	a2 := h.Member(fa, map[string]any{"name": "A2", "relation": "parent", "birth_date": ctBirth(80, 0)})
	a3 := h.Member(fa, map[string]any{"name": "A3", "relation": "child", "birth_date": ctBirth(5, 0)})
	h.Member(fa, map[string]any{"name": "A4", "relation": "self", "birth_date": ctBirth(40, 0)})
	b1 := h.Member(fb, map[string]any{"name": "B1", "relation": "parent", "birth_date": ctBirth(65, 0)})   // 65 today
	h.Member(fb, map[string]any{"name": "B2", "relation": "parent", "birth_date": ctBirth(65, -1)})        // 65 tomorrow
	h.Member(fb, map[string]any{"name": "B3", "relation": "parent", "birth_date": ctBirth(90, 0)})         // never signed
	gone := h.Member(fb, map[string]any{"name": "B4", "relation": "parent", "birth_date": ctBirth(88, 0)}) // removed below
	c1 := h.Member(fc, map[string]any{"name": "C1", "relation": "parent", "birth_date": ctBirth(75, 0)})
	c2 := h.Member(fc, map[string]any{"name": "C2", "relation": "parent", "birth_date": ctBirth(68, 0)})
	c3 := h.Member(fc, map[string]any{"name": "C3", "relation": "parent", "birth_date": ctBirth(66, 0)})
	ctContract(h, fc, staff4, ctTeam4, c3)

	// 340 days ago: B1 signs with team 1 (ends in 25 days) and has an old
	// order delivered then (not this month).
	h.Clock.Set(start.AddDate(0, 0, -340))
	ctContract(h, fb, staff, ctTeam3, b1)
	old := mdOrder(h, fb, b1)
	mdDeliver(h, staff, fb, old, time.Hour)

	// Three days ago: C3's contract has expired; A and C sign; orders.
	h.Clock.Set(start.AddDate(0, 0, -3))
	if n, _ := h.App.Services.Contracts.ExpireContracts(context.Background()); n != 1 {
		t.Fatalf("C3's contract expires: %d", n)
	}
	ctContract(h, fa, staff, ctTeam3, a1, a2, a3)
	ctContract(h, fc, staff4, ctTeam4, c1)
	ctApply(h, fc, ctTeam4, c2) // pending
	h.Do("DELETE", ctPath("/api/v1/me/members/%d", gone), nil, testkit.Token(fb.Token)).Expect(204)

	// This month at clinic 3: delivered after 10 h, 30 h and 20 h; one
	// requested, one cancelled, one rejected. Clinic 4: delivered after 5 h.
	o1 := mdOrder(h, fa, a1)
	mdDeliver(h, staff, fa, o1, 10*time.Hour)
	o2 := mdOrder(h, fa, a2)
	mdDeliver(h, staff, fa, o2, 30*time.Hour)
	o3 := mdOrder(h, fb, b1)
	mdDeliver(h, staff, fb, o3, 20*time.Hour)
	mdOrder(h, fa, a3)
	o5 := mdOrder(h, fa, a1)
	h.Do("POST", ctPath("/api/v1/medicine-orders/%d/cancel", o5), map[string]any{}, testkit.Token(fa.Token)).Expect(200)
	o6 := mdOrder(h, fb, b1)
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/reject", o6), map[string]any{"reason": "请先复诊"}, testkit.Token(staff.Token)).Expect(200)
	o7 := mdOrder(h, fc, c1)
	mdDeliver(h, staff4, fc, o7, 5*time.Hour)
	h.Clock.Set(start)

	type stats struct {
		ClinicID  int64   `json:"clinic_id"`
		AsOf      string  `json:"as_of"`
		Month     string  `json:"month"`
		ClinicIDs []int64 `json:"clinic_ids"`
		Coverage  struct {
			Scope string `json:"scope"`
		} `json:"coverage"`
		CoveredMembers       int64            `json:"covered_members"`
		ActiveContracts      int64            `json:"active_contracts"`
		PendingContracts     int64            `json:"pending_contracts"`
		ContractsExpiring30d int64            `json:"contracts_expiring_30d"`
		Orders               map[string]int64 `json:"medicine_orders_this_month"`
		Delivered            int              `json:"delivered_this_month"`
		Median               *float64         `json:"median_delivery_hours"`
	}
	get := func(tok, query string) stats {
		t.Helper()
		var s stats
		h.Do("GET", "/api/v1/staff/stats/family-doctor"+query, nil, testkit.Token(tok)).Expect(200).JSON(&s)
		return s
	}
	// Staff of clinic 3: the branch and its station (the coverage figures
	// of the catchments are TestCoverage_FamilyDoctorStats').
	var station int64
	h.DB.Model(&model.Clinic{}).Where("parent_id = ?", ctClinic3).Pluck("id", &station)
	s3 := get(staff.Token, "")
	if s3.ClinicID != 0 || fmt.Sprint(s3.ClinicIDs) != fmt.Sprint([]int64{ctClinic3, station}) || s3.Coverage.Scope != "clinic" ||
		s3.AsOf != "2026-11-23" || s3.Month != "2026-11" || s3.CoveredMembers != 4 ||
		s3.ActiveContracts != 2 || s3.PendingContracts != 0 || s3.ContractsExpiring30d != 1 || s3.Delivered != 3 ||
		s3.Median == nil || *s3.Median != 20 {
		t.Fatalf("clinic 3: %+v", s3)
	}
	want3 := map[string]int64{"requested": 1, "approved": 0, "dispatched": 0, "delivered": 3, "rejected": 1, "cancelled": 1}
	for k, v := range want3 {
		if s3.Orders[k] != v {
			t.Fatalf("clinic 3 orders %s: %d, want %d (%v)", k, s3.Orders[k], v, s3.Orders)
		}
	}
	if s := get(staff.Token, "?clinic_id=3"); s.ClinicID != ctClinic3 || s.CoveredMembers != 4 || s.ActiveContracts != 2 {
		t.Fatalf("own clinic by id: %+v", s)
	}
	s4 := get(staff4.Token, "")
	if s4.CoveredMembers != 1 || s4.ActiveContracts != 1 || s4.PendingContracts != 1 ||
		s4.ContractsExpiring30d != 0 || s4.Orders["delivered"] != 1 || s4.Median == nil || *s4.Median != 5 {
		t.Fatalf("clinic 4: %+v", s4)
	}
	all := get(admin.Token, "")
	if all.ClinicID != 0 || all.ClinicIDs != nil || all.Coverage.Scope != "network" ||
		all.CoveredMembers != 5 || all.ActiveContracts != 3 || all.Orders["delivered"] != 4 || all.Median == nil || *all.Median != 15 {
		t.Fatalf("all clinics: %+v", all)
	}
	if s := get(admin.Token, "?clinic_id=4"); s.CoveredMembers != 1 || s.ClinicID != ctClinic4 || s.Coverage.Scope != "clinic" {
		t.Fatalf("admin, clinic 4: %+v", s)
	}
	// An empty clinic: no median.
	if s := get(admin.Token, "?clinic_id=6"); s.CoveredMembers != 0 || s.ActiveContracts != 0 || s.Median != nil {
		t.Fatalf("clinic 6: %+v", s)
	}
	h.Do("GET", "/api/v1/staff/stats/family-doctor?clinic_id=4", nil, testkit.Token(staff.Token)).ExpectError(403, "forbidden")
	h.Do("GET", "/api/v1/staff/stats/family-doctor?clinic_id=999", nil, testkit.Token(admin.Token)).ExpectError(404, "not_found")
	h.Do("GET", "/api/v1/staff/stats/family-doctor?clinic_id=x", nil, testkit.Token(admin.Token)).ExpectError(422, "invalid_request")
	h.Do("GET", "/api/v1/staff/stats/family-doctor", nil, testkit.Token(fa.Token)).ExpectError(403, "forbidden")
	if strings.Contains(h.Log.String(), "13800138000") {
		t.Fatal("phone numbers must never be logged")
	}
}
