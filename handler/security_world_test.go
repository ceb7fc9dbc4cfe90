package handler_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"familycare/model"
	"familycare/testkit"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"
)

// secWorld is one harness with a resident A (owner) whose objects carry
// secMarker, a resident B (other), staff of clinics 3 and 2 and an admin.
type secWorld struct {
	h                     *testkit.Harness
	owner, other          testkit.User
	staff3, staff2, admin testkit.User
	// manager3 is clinic 3's manager (services are theirs to add and edit).
	manager3 testkit.User
	ids      map[string]int64
	tables   []string
	// childIDNumber is the resident ID number of the "member" fixture.
	childIDNumber string
}

func newSecWorld(t *testing.T) *secWorld {
	t.Helper()
	bw := newBookingWorld(t)
	h := bw.h
	w := &secWorld{h: h, owner: bw.parent, staff3: bw.staff, staff2: bw.staffB, ids: map[string]int64{}}
	w.other = h.Login("sec-other")
	w.admin = h.Admin("sec-admin")
	w.manager3 = h.Manager("sec-manager3", clinicA)
	w.ids["outreachTeam"] = ctID(h.Do("POST", "/api/v1/admin/outreach-teams", map[string]any{"name": "流动专家队", "home_clinic_id": 1,
		"expert_ids": []int64{1}}, testkit.Token(w.admin.Token)).Expect(201).Map())
	w.tables = secTables(t, h.DB)
	A := testkit.Token(w.owner.Token)
	S3 := testkit.Token(w.staff3.Token)
	w.ids["userB"] = w.other.ID
	w.ids["clinic"] = clinicA
	w.ids["service"] = serviceA
	w.ids["servicePackage"] = ctID(h.Do("POST", "/api/v1/staff/service-packages", map[string]any{"code": "chronic_care", "name": "慢病管理包"},
		testkit.Token(w.manager3.Token)).Expect(201).Map())

	// Personal data of A carries the marker.
	h.Do("PUT", "/api/v1/me", map[string]any{"real_name": secMarker}, A).Expect(200)
	w.ids["member"] = bw.child
	w.ids["child2"] = bw.child2
	h.Do("PUT", ctPath("/api/v1/me/members/%d", bw.child), map[string]any{"name": "大宝" + secMarker}, A).Expect(200)
	w.childIDNumber = setResidentID(t, h, w.owner, bw.child)
	w.ids["household"] = firstHousehold(t, h, w.owner)
	// Someone else who knows the child's document asks to link him.
	third := h.Login("sec-third")
	thirdHH := ctID(h.Do("POST", "/api/v1/households", map[string]any{"name": "外婆家"}, testkit.Token(third.Token)).Expect(201).Map())
	w.ids["linkRequest"] = ctID(h.Do("POST", ctPath("/api/v1/persons/%d/link-requests", bw.child), map[string]any{"household_id": thirdHH,
		"relation": "grandchild", "id_type": "resident_id", "id_number": w.childIDNumber}, testkit.Token(third.Token)).Expect(201).Map())
	// A household clinic 3 made at the counter.
	w.ids["staffHousehold"] = ctID(h.Do("POST", "/api/v1/staff/households", map[string]any{"name": "独居" + secMarker}, testkit.Token(bw.staff.Token)).Expect(201).Map())
	h.Do("POST", ctPath("/api/v1/staff/households/%d/persons", w.ids["staffHousehold"]), map[string]any{"name": "王大爷" + secMarker, "relation": "self", "birth_date": "1946-02-03"}, testkit.Token(bw.staff.Token)).Expect(201)
	w.ids["memberFree"] = h.Member(w.owner, map[string]any{"name": "三宝" + secMarker, "relation": "child", "birth_date": h.DateAgo(5, 0, 0)})
	w.ids["elder"] = ctElder(h, w.owner, "外婆"+secMarker, 76)
	elder2 := ctElder(h, w.owner, "外公"+secMarker, 78)
	elder3 := ctElder(h, w.owner, "奶奶"+secMarker, 80)

	// Staff of clinic 3 lead team 1 (their clinic's team): a doctor.
	dtJoin(h, ctTeam3, "lead", w.staff3)
	w.ids["invitation"] = ctID(h.Do("POST", "/api/v1/admin/staff-invitations", map[string]any{"clinic_id": clinicA, "position": "nurse"},
		testkit.Token(w.admin.Token)).Expect(201).Map())
	w.ids["team"] = ctID(h.Do("POST", "/api/v1/admin/doctor-teams", dtBody(ctClinic3, w.staff3.ID), testkit.Token(w.admin.Token)).Expect(201).Map())

	// A booking at clinic 3, pending.
	w.ids["session"] = bw.session(5, 72*time.Hour)
	w.ids["booking"] = ctID(h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": w.ids["session"], "member_id": bw.child,
		"note": "备注" + secMarker}, A).Expect(201).Map())

	referral := func() int64 {
		return ctID(h.Do("POST", "/api/v1/staff/referrals", map[string]any{"person_id": bw.child, "service_id": serviceA,
			"reason": "转诊" + secMarker, "urgency": "urgent"}, S3).Expect(201).Map())
	}
	w.ids["referral"], w.ids["referralFree"], w.ids["referralStaffFree"] = referral(), referral(), referral()

	// Contracts with team 1 (clinic 3): three active, one pending.
	w.ids["contract"] = ctContract(h, w.owner, w.staff3, ctTeam3, w.ids["elder"])
	w.ids["contract2"] = ctContract(h, w.owner, w.staff3, ctTeam3, elder2)
	w.ids["contract3"] = ctContract(h, w.owner, w.staff3, ctTeam3, elder3)
	w.ids["contractPending"] = ctID(ctApply(h, w.owner, ctTeam3, bw.child2))
	var n model.Notification
	if err := h.DB.Where("user_id = ?", w.owner.ID).Order("id DESC").First(&n).Error; err != nil {
		t.Fatalf("owner has no notification: %v", err)
	}
	w.ids["notification"] = n.ID

	// Medicine orders of the elder in every state staff act on.
	order := func() int64 {
		b := mdBody(w.ids["elder"])
		b["address"], b["note"] = mdAddress+secMarker, "备注"+secMarker
		return ctID(h.Do("POST", "/api/v1/medicine-orders", b, A).Expect(201).Map())
	}
	w.ids["order"], w.ids["orderReject"] = order(), order()
	w.ids["orderApproved"] = order()
	mdPharmacist(h, w.staff3)
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/approve", w.ids["orderApproved"]), nil, S3).Expect(200)
	w.ids["orderDispatched"] = order()
	mdDispatch(h, w.staff3, w.ids["orderDispatched"])
	w.ids["orderDelivered"] = order()
	mdDeliver(h, w.staff3, w.owner, w.ids["orderDelivered"], time.Hour)

	// Consultations about the elder with team 1 (the marker in the text).
	for _, k := range []string{"consultation", "consultation2"} {
		w.ids[k] = ctID(h.Do("POST", "/api/v1/consultations", map[string]any{"person_id": w.ids["elder"], "text": "头晕" + secMarker}, A).Expect(201).Map())
	}

	// Follow-up plans; the elder's first visit recorded (the marker in the
	// notes), the second one planned.
	if _, err := h.App.Services.FollowUps.GeneratePlans(t.Context()); err != nil {
		t.Fatal(err)
	}
	var visits []model.FollowUpVisit
	h.DB.Where("person_id = ?", w.ids["elder"]).Order("due_date, id").Find(&visits)
	h.Do("POST", ctPath("/api/v1/staff/follow-ups/%d/record", visits[0].ID), map[string]any{"method": "home", "notes": "随访" + secMarker}, S3).Expect(200)
	w.ids["followup"] = visits[1].ID

	h.Do("PUT", ctPath("/api/v1/staff/persons/%d/medications", w.ids["elder"]), mlBody("降压药"+secMarker), S3).Expect(200)

	// A draft article of clinic 3; a published (seeded) one.
	w.ids["article"] = ctID(h.Do("POST", "/api/v1/staff/articles", map[string]any{"title": "草稿" + secMarker, "body": "<p>" + secMarker + "</p>",
		"category": "nutrition", "stages": []string{"pregnancy"}}, S3).Expect(201).Map())
	var arts struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	h.Do("GET", "/api/v1/articles", nil).Expect(200).JSON(&arts)
	if len(arts.Items) == 0 {
		t.Fatal("no published article seeded")
	}
	w.ids["articlePublished"] = arts.Items[0].ID
	var experts struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	h.Do("GET", "/api/v1/experts", nil).Expect(200).JSON(&experts)
	w.ids["expert"] = experts.Items[0].ID

	// Circles: A's published post with a comment, reported by B; A's post
	// waiting for review carries the marker (only A and staff see it).
	circle := mustAtoi(circleIDs(t, h)["yunma"])
	w.ids["circle"] = circle
	h.Do("POST", ctPath("/api/v1/circles/%d/join", circle), nil, A).Expect(200)
	w.ids["post"] = ctID(h.Do("POST", ctPath("/api/v1/circles/%d/posts", circle), map[string]any{"content": "大家好，公开的帖子"}, A).Expect(201).Map())
	w.ids["comment"] = ctID(h.Do("POST", ctPath("/api/v1/posts/%d/comments", w.ids["post"]), map[string]any{"content": "公开的评论"}, A).Expect(201).Map())
	reviewUpload := &model.Upload{UserID: w.owner.ID, Purpose: model.UploadPost, BlobKey: strings.Repeat("ab", 32) + ".jpg",
		ContentType: "image/jpeg", Size: 1, Width: 1, Height: 1, CheckState: model.CheckReview, CreatedAt: h.Clock.Now()}
	h.Create(reviewUpload)
	w.ids["upload"] = reviewUpload.ID
	w.ids["report"] = ctID(h.Do("POST", ctPath("/api/v1/posts/%d/report", w.ids["post"]), map[string]any{"reason": "广告"}, testkit.Token(w.other.Token)).Expect(201).Map())
	h.WeChat.SetVerdict("review")
	pending := h.Do("POST", ctPath("/api/v1/circles/%d/posts", circle), map[string]any{"content": "等审核" + secMarker}, A).Expect(201).Map()
	h.WeChat.SetVerdict("pass")
	if pending["status"] != "pending_review" {
		t.Fatalf("a review verdict must hold the post: %v", pending)
	}
	w.ids["postPending"] = ctID(pending)
	return w
}

func (w *secWorld) sessionBody(service int64) map[string]any {
	start := w.h.Clock.Now().Add(96 * time.Hour).Truncate(time.Hour)
	return map[string]any{"service_id": service, "starts_at": start.Format(time.RFC3339),
		"ends_at": start.Add(time.Hour).Format(time.RFC3339), "capacity": 10}
}

func (w *secWorld) scheduleBody(service int64) map[string]any {
	loc := w.h.Config.Location()
	return map[string]any{"service_id": service, "weekdays": []int{3}, "start_time": "14:00", "end_time": "15:00", "capacity": 8,
		"from_date": w.h.Clock.Now().In(loc).AddDate(0, 0, 20).Format("2006-01-02"),
		"to_date":   w.h.Clock.Now().In(loc).AddDate(0, 0, 27).Format("2006-01-02")}
}

// user returns the caller named by who.
func (w *secWorld) user(who string) testkit.Req {
	switch who {
	case "owner":
		return testkit.Token(w.owner.Token)
	case "other":
		return testkit.Token(w.other.Token)
	case "staff3":
		return testkit.Token(w.staff3.Token)
	case "staff2":
		return testkit.Token(w.staff2.Token)
	case "manager3":
		return testkit.Token(w.manager3.Token)
	case "admin":
		return testkit.Token(w.admin.Token)
	}
	return func(*http.Request) {}
}

// legit is who calls a route for real.
func (r secRoute) legit() string {
	if r.as != "" {
		return r.as
	}
	switch r.class {
	case secPublic:
		return "none"
	case secClinic, secClinicList, secNetwork:
		return "staff3"
	case secAdmin:
		return "admin"
	}
	return "owner"
}

// path fills :id with the fixture (1 without one).
func (w *secWorld) path(route, fixture string) string {
	id := int64(1)
	if fixture != "" {
		v, ok := w.ids[fixture]
		if !ok {
			w.h.T.Fatalf("no fixture %q", fixture)
		}
		id = v
	}
	return strings.ReplaceAll(route, ":id", fmt.Sprint(id))
}

// secTables are the tables of every model.
func secTables(t testing.TB, db *gorm.DB) []string {
	var out []string
	for _, m := range model.All() {
		stmt := &gorm.Statement{DB: db}
		if err := stmt.Parse(m); err != nil {
			t.Fatalf("parse %T: %v", m, err)
		}
		out = append(out, stmt.Schema.Table)
	}
	return out
}

// snapshot is every row of every table, to prove a call changed nothing.
func (w *secWorld) snapshot() map[string]string {
	w.h.T.Helper()
	out := make(map[string]string, len(w.tables))
	for _, tb := range w.tables {
		var rows []map[string]any
		if err := w.h.DB.Table(tb).Find(&rows).Error; err != nil {
			w.h.T.Fatalf("snapshot %s: %v", tb, err)
		}
		lines := make([]string, len(rows))
		for i, r := range rows {
			lines[i] = fmt.Sprint(r)
		}
		sort.Strings(lines)
		out[tb] = strings.Join(lines, "\n")
	}
	return out
}

// changed names the tables that differ between two snapshots.
func secChanged(before, after map[string]string) []string {
	var out []string
	for tb, v := range before {
		if after[tb] != v {
			out = append(out, tb)
		}
	}
	sort.Strings(out)
	return out
}

// counts is the number of rows of every table, in one query.
func (w *secWorld) counts() map[string]int64 {
	w.h.T.Helper()
	parts := make([]string, len(w.tables))
	for i, tb := range w.tables {
		parts[i] = fmt.Sprintf("SELECT '%s' AS tb, COUNT(*) AS n FROM %s", tb, tb)
	}
	var rows []struct {
		Tb string
		N  int64
	}
	if err := w.h.DB.Raw(strings.Join(parts, " UNION ALL ")).Scan(&rows).Error; err != nil {
		w.h.T.Fatalf("count rows: %v", err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Tb] = r.N
	}
	return out
}

// secV1Routes are the engine's /api/v1 routes as "METHOD path".
func secV1Routes(e *gin.Engine) []string {
	var out []string
	for _, r := range e.Routes() {
		if strings.HasPrefix(r.Path, "/api/v1/") {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	sort.Strings(out)
	return out
}

func secSplit(key string) (method, path string) {
	method, path, _ = strings.Cut(key, " ")
	return method, path
}

// envelope fails unless r is the error envelope.
func secEnvelope(t testing.TB, r *testkit.Response, what string) {
	t.Helper()
	var env struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &env); err != nil || env.Error == nil || env.Error.Code == "" || env.Error.Message == "" {
		t.Errorf("%s: %d is not the error envelope: %.300s", what, r.Status, r.Body)
	}
}
