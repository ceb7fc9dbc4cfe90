package handler_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"familycare/model"
	"familycare/testkit"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The security suite is generated from the route table: every /api/v1
// route the engine serves must be classified in secRoutes, so a new route
// cannot skip the cross-user, cross-clinic, role and hostile-input checks.

// secClass says who may call a route and whose objects its :id names.
type secClass string

const (
	// secPublic: no token needed (a token, when sent, must be valid).
	secPublic secClass = "public"
	// secSelf: signed in; acts on the caller's own account and names no
	// object of anyone else.
	secSelf secClass = "self"
	// secOwned: :id names an object a resident owns; anyone else's id is 404
	// for every verb and changes nothing.
	secOwned secClass = "owned"
	// secShared: :id names a network-wide object (circle, post, article) any
	// signed-in user may see; the caller acts on their own relation to it.
	// What only its author or staff may see (hidden) is 404 for others.
	secShared secClass = "shared"
	// secClinic: staff; :id names an object of one clinic; staff of another
	// clinic get 404 and change nothing.
	secClinic secClass = "clinic"
	// secClinicList: staff; no :id; lists or creates within the caller's
	// clinic only.
	secClinicList secClass = "clinic-list"
	// secNetwork: staff; network-wide on purpose (why says why).
	secNetwork secClass = "network"
	// secAdmin: admin only; residents and staff get 403.
	secAdmin secClass = "admin"
)

// secRoute classifies one route and holds its fixtures.
type secRoute struct {
	class secClass
	// fixture names the object :id stands for when its legitimate caller
	// calls it (and, for owned and clinic routes, when someone else does).
	fixture string
	// hidden (shared and public routes) names an object the other resident
	// may not see: :id of it is 404 and changes nothing.
	hidden string
	// body is a valid JSON body for routes that read one.
	body func(w *secWorld) map[string]any
	// optional: an empty body ({}) is a valid request.
	optional bool
	// as overrides the legitimate caller (owner, other, staff3, admin, none).
	as string
	// crossQuery / crossBody (clinic-list): the call staff of clinic 2 make
	// about clinic 3; crossStatus is the expected answer (0: any 4xx).
	crossQuery  string
	crossBody   func(w *secWorld) map[string]any
	crossStatus int
	// foreign (self routes): the sample body names the owner's objects (a
	// member), so another resident sending it gets 404 and changes nothing.
	foreign bool
	// signIn: a sign-in route, which reads no token at all.
	signIn bool
	why    string
}

const secMarker = "SECRET-A-秘密"

// secReason is the body of the routes that take an optional reason.
var secReason = secBody(map[string]any{"reason": "测试原因"})

func secBody(m map[string]any) func(*secWorld) map[string]any {
	return func(*secWorld) map[string]any { return m }
}

const (
	whyModeration      = "circles belong to no clinic: every staff member moderates every circle (handler/circle_staff.go)"
	whyCircle          = "circles are open to every signed-in user; join, leave and posting act on the caller's own membership"
	whyImageModeration = "images, like circles, belong to no clinic: every staff member decides the images WeChat hands to a human"
	whyCatalogue       = "the catalogue (clinics, experts, services, sessions, doctor teams) is public"
)

var secRoutes = map[string]secRoute{
	// Auth and profile.
	"POST /api/v1/auth/wechat/login":  {class: secPublic, signIn: true, why: "signing in", body: secBody(map[string]any{"code": "code-sec"})},
	"POST /api/v1/auth/dev/login":     {class: secPublic, signIn: true, why: "signing in (dev only)", body: secBody(map[string]any{"openid": "sec-dev", "role": "resident"})},
	"POST /api/v1/auth/refresh":       {class: secSelf},
	"POST /api/v1/me/phone":           {class: secSelf, body: secBody(map[string]any{"code": "phone-13800000000"})},
	"GET /api/v1/me":                  {class: secSelf},
	"GET /api/v1/me/export":           {class: secSelf},
	"POST /api/v1/uploads":            {class: secSelf, why: "an upload belongs to its uploader; multipart, so the JSON probes get 400 bad_multipart"},
	"GET /api/v1/subscribe-templates": {class: secPublic, why: "template ids are public configuration"},
	"GET /api/v1/wechat/push":         {class: secPublic, signIn: true, why: "WeChat's message push: authenticated by its signature (TestPush_*), not a token"},
	"POST /api/v1/wechat/push":        {class: secPublic, signIn: true, why: "WeChat's message push: authenticated by its signature (TestPush_*), not a token"},
	"DELETE /api/v1/me":               {class: secSelf},
	"PATCH /api/v1/me":                {class: secSelf, optional: true, body: secBody(map[string]any{"nickname": "小雨妈妈", "real_name": "王芳", "avatar_url": "https://img.example.com/a.png"})},
	"GET /api/v1/me/members":          {class: secSelf},
	"POST /api/v1/me/members": {class: secSelf, body: secBody(map[string]any{"name": "小宝", "relation": "child", "gender": "female",
		"birth_date": "2024-05-01", "chronic_conditions": []string{"哮喘"}})},
	"GET /api/v1/me/members/:id":          {class: secOwned, fixture: "member"},
	"PATCH /api/v1/me/members/:id":        {class: secOwned, fixture: "member", optional: true, body: secBody(map[string]any{"name": "大宝", "gender": "male"})},
	"DELETE /api/v1/me/members/:id":       {class: secOwned, fixture: "memberFree"},
	"POST /api/v1/admin/users/:id/role":   {class: secAdmin, fixture: "userB", body: secBody(map[string]any{"role": "staff", "clinic_id": 2})},
	"GET /api/v1/me/favorites":            {class: secSelf},
	"POST /api/v1/me/subscriptions":       {class: secSelf, body: secBody(map[string]any{"template_ids": []string{"tpl-booking"}})},
	"GET /api/v1/notifications":           {class: secSelf},
	"POST /api/v1/notifications/:id/read": {class: secOwned, fixture: "notification"},
	"POST /api/v1/notifications/read-all": {class: secSelf},

	// Catalogue.
	"GET /api/v1/clinics":              {class: secPublic, why: whyCatalogue},
	"GET /api/v1/clinics/:id":          {class: secPublic, fixture: "clinic", why: whyCatalogue},
	"GET /api/v1/experts":              {class: secPublic, why: whyCatalogue},
	"GET /api/v1/experts/:id":          {class: secPublic, fixture: "expert", why: whyCatalogue},
	"GET /api/v1/services":             {class: secPublic, why: whyCatalogue},
	"GET /api/v1/sessions":             {class: secPublic, why: whyCatalogue},
	"GET /api/v1/sessions/:id":         {class: secPublic, fixture: "session", why: whyCatalogue},
	"GET /api/v1/doctor-teams":         {class: secPublic, why: whyCatalogue},
	"GET /api/v1/articles":             {class: secPublic, why: "published articles are public (drafts never listed)"},
	"GET /api/v1/articles/:id":         {class: secPublic, fixture: "articlePublished", hidden: "article", why: "published articles are public; a draft is 404"},
	"GET /api/v1/articles/recommended": {class: secPublic, why: "recommendations from the caller's own members (none without a token)"},
	"GET /api/v1/circles":              {class: secPublic, why: "the list of circles is public"},

	// Bookings.
	"POST /api/v1/bookings": {class: secSelf, foreign: true, body: func(w *secWorld) map[string]any {
		return map[string]any{"session_id": w.ids["session"], "member_id": w.ids["child2"], "note": "第一次来", "join_waitlist": false}
	}},
	"GET /api/v1/bookings":                     {class: secSelf},
	"GET /api/v1/bookings/:id":                 {class: secOwned, fixture: "booking"},
	"POST /api/v1/bookings/:id/cancel":         {class: secOwned, fixture: "booking", optional: true, body: secReason},
	"GET /api/v1/staff/bookings":               {class: secClinicList, crossQuery: "?clinic_id=3"},
	"GET /api/v1/staff/bookings/:id":           {class: secClinic, fixture: "booking"},
	"POST /api/v1/staff/bookings/:id/confirm":  {class: secClinic, fixture: "booking", optional: true, body: secReason},
	"POST /api/v1/staff/bookings/:id/reject":   {class: secClinic, fixture: "booking", body: secReason},
	"POST /api/v1/staff/bookings/:id/check-in": {class: secClinic, fixture: "booking", optional: true, body: secReason},
	"POST /api/v1/staff/bookings/:id/no-show":  {class: secClinic, fixture: "booking", optional: true, body: secReason},
	"POST /api/v1/staff/sessions": {class: secClinicList, body: func(w *secWorld) map[string]any { return w.sessionBody(serviceA) },
		crossBody: func(w *secWorld) map[string]any { return w.sessionBody(serviceA) }},
	"PATCH /api/v1/staff/sessions/:id": {class: secClinic, fixture: "session", body: secBody(map[string]any{"capacity": 6})},
	"POST /api/v1/staff/schedules": {class: secClinicList, body: func(w *secWorld) map[string]any { return w.scheduleBody(serviceA) },
		crossBody: func(w *secWorld) map[string]any { return w.scheduleBody(serviceA) }},

	// Circles.
	"POST /api/v1/circles/:id/join":  {class: secShared, fixture: "circle", why: whyCircle},
	"POST /api/v1/circles/:id/leave": {class: secShared, fixture: "circle", why: whyCircle},
	"GET /api/v1/circles/:id/posts":  {class: secShared, fixture: "circle", why: whyCircle},
	"POST /api/v1/circles/:id/posts": {class: secShared, fixture: "circle", why: whyCircle,
		body: secBody(map[string]any{"content": "孕 20 周，腿抽筋怎么办？", "image_urls": []string{"https://img.example.com/1.jpg"}, "anonymous": false})},
	"GET /api/v1/posts/:id":                  {class: secShared, fixture: "post", hidden: "postPending", why: "published posts are seen by every signed-in user"},
	"DELETE /api/v1/posts/:id":               {class: secShared, fixture: "post", hidden: "postPending", why: "author or staff only (others: 403 on a visible post)"},
	"GET /api/v1/posts/:id/comments":         {class: secShared, fixture: "post", hidden: "postPending", why: "comments of a visible post"},
	"POST /api/v1/posts/:id/comments":        {class: secShared, fixture: "post", hidden: "postPending", why: "any circle member comments", body: secBody(map[string]any{"content": "多喝牛奶"})},
	"POST /api/v1/posts/:id/like":            {class: secShared, fixture: "post", hidden: "postPending", why: "the caller's own like"},
	"DELETE /api/v1/posts/:id/like":          {class: secShared, fixture: "post", hidden: "postPending", why: "the caller's own like"},
	"POST /api/v1/posts/:id/report":          {class: secShared, fixture: "post", hidden: "postPending", as: "other", why: "the caller's own report", body: secBody(map[string]any{"reason": "广告推销"})},
	"POST /api/v1/staff/circles":             {class: secAdmin, body: secBody(map[string]any{"slug": "erhai", "name": "二胎妈妈圈", "description": "二胎家庭", "stage": "postpartum"})},
	"GET /api/v1/staff/posts":                {class: secNetwork, why: whyModeration},
	"POST /api/v1/staff/posts/:id/hide":      {class: secNetwork, fixture: "post", why: whyModeration, body: secBody(map[string]any{"reason": "广告"})},
	"POST /api/v1/staff/posts/:id/unhide":    {class: secNetwork, fixture: "post", why: whyModeration, optional: true, body: secBody(map[string]any{"reason": "误判"})},
	"GET /api/v1/staff/comments":             {class: secNetwork, why: whyModeration},
	"POST /api/v1/staff/comments/:id/hide":   {class: secNetwork, fixture: "comment", why: whyModeration, body: secBody(map[string]any{"reason": "广告"})},
	"POST /api/v1/staff/comments/:id/unhide": {class: secNetwork, fixture: "comment", why: whyModeration, optional: true, body: secBody(map[string]any{"reason": "误判"})},
	"GET /api/v1/staff/uploads/review":       {class: secNetwork, why: whyImageModeration},
	"POST /api/v1/staff/uploads/:id/verdict": {class: secNetwork, fixture: "upload", why: whyImageModeration, body: secBody(map[string]any{"verdict": "pass"})},
	"GET /api/v1/staff/reports":              {class: secNetwork, why: whyModeration},
	"POST /api/v1/staff/reports/:id/dismiss": {class: secNetwork, fixture: "report", why: whyModeration, optional: true, body: secBody(map[string]any{"reason": "没问题"})},
	"POST /api/v1/staff/users/:id/mute":      {class: secNetwork, fixture: "userB", why: whyModeration, body: secBody(map[string]any{"until": "2026-12-31", "reason": "刷屏"})},
	"DELETE /api/v1/staff/users/:id/mute":    {class: secNetwork, fixture: "userB", why: whyModeration, optional: true, body: secBody(map[string]any{"reason": "解除"})},
	"GET /api/v1/staff/moderation-logs":      {class: secNetwork, why: whyModeration},

	// Guidance.
	"POST /api/v1/articles/:id/favorite":   {class: secShared, fixture: "articlePublished", hidden: "article", why: "the caller's own favorite of a published article"},
	"DELETE /api/v1/articles/:id/favorite": {class: secShared, fixture: "articlePublished", hidden: "article", why: "the caller's own favorite of a published article"},
	"GET /api/v1/staff/articles":           {class: secClinicList},
	"POST /api/v1/staff/articles": {class: secClinicList, why: "creates at the caller's clinic",
		body: secBody(map[string]any{"title": "宝宝辅食", "summary": "从米粉开始", "body": "<p>一次只加一种新食物。</p>", "category": "nutrition", "stages": []string{"infant_6_12m"}, "cover_url": "https://img.example.com/c.jpg"})},
	"PATCH /api/v1/staff/articles/:id":        {class: secClinic, fixture: "article", optional: true, body: secBody(map[string]any{"title": "新的标题", "summary": "新的摘要"})},
	"POST /api/v1/staff/articles/:id/publish": {class: secClinic, fixture: "article"},
	"POST /api/v1/staff/articles/:id/archive": {class: secClinic, fixture: "article"},

	// Family-doctor contracts.
	"POST /api/v1/family-contracts": {class: secSelf, foreign: true, body: func(w *secWorld) map[string]any {
		return map[string]any{"team_id": ctTeam3, "member_ids": []int64{w.ids["memberFree"]}}
	}},
	"GET /api/v1/family-contracts":                {class: secSelf},
	"GET /api/v1/family-contracts/:id":            {class: secOwned, fixture: "contract"},
	"POST /api/v1/family-contracts/:id/renew":     {class: secOwned, fixture: "contract"},
	"POST /api/v1/family-contracts/:id/terminate": {class: secOwned, fixture: "contract2", body: secBody(map[string]any{"reason": "搬离本镇"})},
	"POST /api/v1/staff/family-contracts": {class: secClinicList, body: func(w *secWorld) map[string]any {
		return map[string]any{"team_id": ctTeam3, "member_ids": []int64{w.ids["memberFree"]}}
	}, crossBody: func(w *secWorld) map[string]any {
		return map[string]any{"team_id": ctTeam3, "member_ids": []int64{w.ids["memberFree"]}}
	}},
	"GET /api/v1/staff/family-contracts":                {class: secClinicList},
	"GET /api/v1/staff/family-contracts/:id":            {class: secClinic, fixture: "contract"},
	"POST /api/v1/staff/family-contracts/:id/approve":   {class: secClinic, fixture: "contractPending"},
	"POST /api/v1/staff/family-contracts/:id/reject":    {class: secClinic, fixture: "contractPending", body: secBody(map[string]any{"reason": "资料不全"})},
	"POST /api/v1/staff/family-contracts/:id/terminate": {class: secClinic, fixture: "contract3", body: secBody(map[string]any{"reason": "居民要求"})},
	"GET /api/v1/staff/stats/family-doctor":             {class: secClinicList, crossQuery: "?clinic_id=3", crossStatus: http.StatusForbidden},

	// Medicine delivery.
	"POST /api/v1/medicine-orders":                          {class: secSelf, foreign: true, body: func(w *secWorld) map[string]any { return mdBody(w.ids["elder"]) }},
	"GET /api/v1/medicine-orders":                           {class: secSelf},
	"GET /api/v1/medicine-orders/:id":                       {class: secOwned, fixture: "order"},
	"POST /api/v1/medicine-orders/:id/cancel":               {class: secOwned, fixture: "order", optional: true, body: secReason},
	"POST /api/v1/medicine-orders/:id/reorder":              {class: secOwned, fixture: "orderDelivered"},
	"GET /api/v1/staff/medicine-orders":                     {class: secClinicList},
	"GET /api/v1/staff/medicine-orders/:id":                 {class: secClinic, fixture: "order"},
	"POST /api/v1/staff/medicine-orders/:id/approve":        {class: secClinic, fixture: "order"},
	"POST /api/v1/staff/medicine-orders/:id/reject":         {class: secClinic, fixture: "orderReject", body: secBody(map[string]any{"reason": "处方已过期"})},
	"POST /api/v1/staff/medicine-orders/:id/dispatch":       {class: secClinic, fixture: "orderApproved", optional: true, body: secBody(map[string]any{"courier": "孙梅", "eta": "2026-11-24T15:00:00+08:00"})},
	"POST /api/v1/staff/medicine-orders/:id/deliver":        {class: secClinic, fixture: "orderDispatched", body: secBody(map[string]any{"handover_code": "123456"})},
	"POST /api/v1/staff/medicine-orders/:id/reset-handover": {class: secClinic, fixture: "orderDispatched"},
}

// secWorld is one harness with a resident A (owner) whose objects carry
// secMarker, a resident B (other), staff of clinics 3 and 2 and an admin.
type secWorld struct {
	h                     *testkit.Harness
	owner, other          testkit.User
	staff3, staff2, admin testkit.User
	ids                   map[string]int64
	tables                []string
}

func newSecWorld(t *testing.T) *secWorld {
	t.Helper()
	bw := newBookingWorld(t)
	h := bw.h
	w := &secWorld{h: h, owner: bw.parent, staff3: bw.staff, staff2: bw.staffB, ids: map[string]int64{}}
	w.other = h.Login("sec-other")
	w.admin = h.Admin("sec-admin")
	w.tables = secTables(t, h.DB)
	A := testkit.Token(w.owner.Token)
	S3 := testkit.Token(w.staff3.Token)
	w.ids["userB"] = w.other.ID
	w.ids["clinic"] = clinicA

	// Personal data of A carries the marker.
	h.Do("PATCH", "/api/v1/me", map[string]any{"real_name": secMarker}, A).Expect(200)
	w.ids["member"] = bw.child
	w.ids["child2"] = bw.child2
	h.Do("PATCH", ctPath("/api/v1/me/members/%d", bw.child), map[string]any{"name": "大宝" + secMarker}, A).Expect(200)
	w.ids["memberFree"] = h.Member(w.owner, map[string]any{"name": "三宝" + secMarker, "relation": "child", "birth_date": h.DateAgo(5, 0, 0)})
	w.ids["elder"] = ctElder(h, w.owner, "外婆"+secMarker, 76)
	elder2 := ctElder(h, w.owner, "外公"+secMarker, 78)
	elder3 := ctElder(h, w.owner, "奶奶"+secMarker, 80)

	// A booking at clinic 3, pending.
	w.ids["session"] = bw.session(5, 72*time.Hour)
	w.ids["booking"] = ctID(h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": w.ids["session"], "member_id": bw.child,
		"note": "备注" + secMarker}, A).Expect(201).Map())

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
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/approve", w.ids["orderApproved"]), nil, S3).Expect(200)
	w.ids["orderDispatched"] = order()
	mdDispatch(h, w.staff3, w.ids["orderDispatched"])
	w.ids["orderDelivered"] = order()
	mdDeliver(h, w.staff3, w.owner, w.ids["orderDelivered"], time.Hour)

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

func TestSecurity_EveryRouteClassified(t *testing.T) {
	h := testkit.New(t)
	routes := secV1Routes(h.App.Engine)
	served := map[string]bool{}
	for _, key := range routes {
		served[key] = true
		r, ok := secRoutes[key]
		if !ok {
			t.Errorf("%s is not classified in secRoutes (handler/security_test.go): say who may call it and add its fixtures", key)
			continue
		}
		method, path := secSplit(key)
		hasID := strings.Contains(path, ":id")
		switch {
		case strings.HasPrefix(path, "/api/v1/admin/") && r.class != secAdmin:
			t.Errorf("%s: /admin routes must be class admin", key)
		case strings.HasPrefix(path, "/api/v1/staff/") && r.class != secClinic && r.class != secClinicList && r.class != secNetwork && r.class != secAdmin:
			t.Errorf("%s: /staff routes must be clinic, clinic-list, network or admin", key)
		case !strings.HasPrefix(path, "/api/v1/staff/") && !strings.HasPrefix(path, "/api/v1/admin/") && (r.class == secClinic || r.class == secClinicList || r.class == secNetwork):
			t.Errorf("%s: staff classes belong under /staff", key)
		}
		if (r.class == secOwned || r.class == secClinic) && (!hasID || r.fixture == "") {
			t.Errorf("%s: class %s needs :id and a fixture", key, r.class)
		}
		if hasID && r.fixture == "" {
			t.Errorf("%s: a route with :id needs a fixture", key)
		}
		if (r.class == secPublic || r.class == secNetwork || r.class == secShared) && r.why == "" {
			t.Errorf("%s: class %s must say why", key, r.class)
		}
		if r.body != nil && method == "GET" {
			t.Errorf("%s: GET takes no body", key)
		}
	}
	for key := range secRoutes {
		if !served[key] {
			t.Errorf("secRoutes classifies %s, which the engine does not serve", key)
		}
	}
	// Every route whose spec documents a JSON body has a sample body here
	// (the hostile-body test mutates it), and no other route has one; a body
	// the spec calls optional may be empty.
	spec := secSpec(t)
	for _, key := range routes {
		r, o := secRoutes[key], spec[key]
		if o.body != (r.body != nil) {
			t.Errorf("%s: docs/swagger.json body parameter %v, sample body in secRoutes %v", key, o.body, r.body != nil)
		}
		if o.body && !o.required && !r.optional {
			t.Errorf("%s: the spec says the body is optional: mark it optional", key)
		}
	}
}

// secSpec is the generated spec: for every operation its body parameter
// (required or not) and its query parameters.
type secSpecOp struct {
	body     bool
	required bool
	query    []string
}

func secSpec(t testing.TB) map[string]secSpecOp {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "docs", "swagger.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				In       string `json:"in"`
				Name     string `json:"name"`
				Required bool   `json:"required"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	out := map[string]secSpecOp{}
	for p, ops := range spec.Paths {
		ginPath := strings.ReplaceAll(p, "{id}", ":id")
		for m, op := range ops {
			var o secSpecOp
			for _, prm := range op.Parameters {
				switch prm.In {
				case "body":
					o.body, o.required = true, prm.Required
				case "query":
					o.query = append(o.query, prm.Name)
				}
			}
			sort.Strings(o.query)
			out[strings.ToUpper(m)+" "+ginPath] = o
		}
	}
	return out
}

func TestSecurity_NoTokenIs401(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	for _, key := range secV1Routes(h.App.Engine) {
		r := secRoutes[key]
		method, path := secSplit(key)
		p := strings.ReplaceAll(path, ":id", "1")
		if r.signIn {
			continue
		}
		if r.class == secPublic {
			// A public route says more to a signed-in user, so a bad token
			// is still refused.
			res := h.Do(method, p, nil, testkit.Header("Authorization", "Bearer not-a-token"))
			if res.Status != http.StatusUnauthorized || res.ErrorCode() != "unauthorized" {
				t.Errorf("%s with a bad token: %d %s", key, res.Status, res.Body)
			}
			continue
		}
		for name, hdr := range map[string]string{"no header": "", "empty bearer": "Bearer ", "basic": "Basic dXNlcjpwYXNz"} {
			var opt testkit.Req = func(*http.Request) {}
			if hdr != "" {
				opt = testkit.Header("Authorization", hdr)
			}
			res := h.Do(method, p, nil, opt)
			if res.Status != http.StatusUnauthorized || res.ErrorCode() != "unauthorized" {
				t.Errorf("%s (%s): %d %s, want 401 unauthorized", key, name, res.Status, res.Body)
			}
		}
	}
}

func TestSecurity_RolesOnStaffAndAdminRoutes(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	resident := h.Login("sec-resident")
	staff := h.Staff("sec-staff", 2)
	before := secCountsOf(t, h)
	for _, key := range secV1Routes(h.App.Engine) {
		r := secRoutes[key]
		method, path := secSplit(key)
		p := strings.ReplaceAll(path, ":id", "1")
		var body any
		if r.body != nil {
			body = map[string]any{} // the role check comes before the body
		}
		staffOnly := strings.HasPrefix(path, "/api/v1/staff/") || strings.HasPrefix(path, "/api/v1/admin/")
		if staffOnly {
			res := h.Do(method, p, body, testkit.Token(resident.Token))
			if res.Status != http.StatusForbidden || res.ErrorCode() != "forbidden" {
				t.Errorf("resident on %s: %d %s, want 403 forbidden", key, res.Status, res.Body)
			}
		}
		if r.class == secAdmin {
			if r.body != nil {
				body = r.body(&secWorld{h: h, ids: map[string]int64{}})
			}
			res := h.Do(method, p, body, testkit.Token(staff.Token))
			if res.Status != http.StatusForbidden || res.ErrorCode() != "forbidden" {
				t.Errorf("staff on admin route %s: %d %s, want 403 forbidden", key, res.Status, res.Body)
			}
		}
	}
	if after := secCountsOf(t, h); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("refused calls changed rows:\nbefore %v\nafter  %v", before, after)
	}
}

func secCountsOf(t testing.TB, h *testkit.Harness) map[string]int64 {
	w := &secWorld{h: h, tables: secTables(t, h.DB)}
	return w.counts()
}

// TestSecurity_OtherUsersObjects404 calls every owned route with resident
// A's object as resident B, and every hidden shared object as B: 404, and
// not one row changes.
func TestSecurity_OtherUsersObjects404(t *testing.T) {
	w := newSecWorld(t)
	h := w.h
	base := w.snapshot()
	checked := 0
	for _, key := range secV1Routes(h.App.Engine) {
		r := secRoutes[key]
		method, path := secSplit(key)
		fixture := ""
		switch {
		case r.class == secOwned:
			fixture = r.fixture
		case r.hidden != "":
			fixture = r.hidden
		case r.foreign:
		default:
			continue
		}
		var body any
		if r.body != nil {
			body = r.body(w)
		}
		res := h.Do(method, w.path(path, fixture), body, w.user("other"))
		if res.Status != http.StatusNotFound || res.ErrorCode() != "not_found" {
			t.Errorf("B on A's %s via %s: %d %.300s, want 404 not_found", fixture, key, res.Status, res.Body)
		}
		if bytes.Contains(res.Body, []byte(secMarker)) {
			t.Errorf("B on %s sees A's data: %s", key, res.Body)
		}
		if now := w.snapshot(); len(secChanged(base, now)) > 0 {
			t.Errorf("B on %s changed %v", key, secChanged(base, now))
			base = now
		}
		checked++
	}
	if checked < 20 {
		t.Fatalf("only %d cross-user calls made", checked)
	}
	t.Logf("%d cross-user calls", checked)
	// B may not delete A's (visible) post either; it stays.
	h.Do("DELETE", w.path("/api/v1/posts/:id", "post"), nil, w.user("other")).ExpectError(403, "forbidden")
	if ch := secChanged(base, w.snapshot()); len(ch) > 0 {
		t.Fatalf("B's delete of A's post changed %v", ch)
	}
	// The fixtures are real: A reads each of them.
	for _, key := range secV1Routes(h.App.Engine) {
		r := secRoutes[key]
		method, path := secSplit(key)
		if method != "GET" || r.class != secOwned {
			continue
		}
		res := h.Do(method, w.path(path, r.fixture), nil, w.user("owner")).Expect(200)
		if !bytes.Contains(res.Body, []byte(secMarker)) {
			t.Errorf("A's own %s lacks the marker: %.300s", key, res.Body)
		}
	}
	h.Do("GET", w.path("/api/v1/posts/:id", "postPending"), nil, w.user("owner")).Expect(200)
}

// TestSecurity_OtherClinicsObjects404 calls every clinic route with clinic
// 3's object as staff of clinic 2: 404, and not one row changes; the
// clinic-list routes never show or create clinic 3's objects for them.
func TestSecurity_OtherClinicsObjects404(t *testing.T) {
	w := newSecWorld(t)
	h := w.h
	base := w.snapshot()
	checked := 0
	for _, key := range secV1Routes(h.App.Engine) {
		r := secRoutes[key]
		method, path := secSplit(key)
		switch r.class {
		case secClinic:
			var body any
			if r.body != nil {
				body = r.body(w)
			}
			res := h.Do(method, w.path(path, r.fixture), body, w.user("staff2"))
			if res.Status != http.StatusNotFound || res.ErrorCode() != "not_found" {
				t.Errorf("clinic-2 staff on clinic 3's %s via %s: %d %.300s, want 404 not_found", r.fixture, key, res.Status, res.Body)
			}
		case secClinicList:
			var body any
			switch {
			case r.crossBody != nil:
				body = r.crossBody(w)
			case method != "GET":
				continue // creates at the caller's own clinic only
			}
			res := h.Do(method, path+r.crossQuery, body, w.user("staff2"))
			switch {
			case r.crossStatus != 0 && res.Status != r.crossStatus:
				t.Errorf("clinic-2 staff on %s%s: %d %.300s, want %d", key, r.crossQuery, res.Status, res.Body, r.crossStatus)
			case method != "GET" && (res.Status < 400 || res.Status >= 500):
				t.Errorf("clinic-2 staff creating for clinic 3 via %s: %d %.300s, want 4xx", key, res.Status, res.Body)
			}
			if bytes.Contains(res.Body, []byte(secMarker)) {
				t.Errorf("clinic-2 staff see clinic 3's data on %s%s: %.300s", key, r.crossQuery, res.Body)
			}
		default:
			continue
		}
		if now := w.snapshot(); len(secChanged(base, now)) > 0 {
			t.Errorf("clinic-2 staff on %s changed %v", key, secChanged(base, now))
			base = now
		}
		checked++
	}
	if checked < 25 {
		t.Fatalf("only %d cross-clinic calls made", checked)
	}
	t.Logf("%d cross-clinic calls", checked)
	// The fixtures are real: staff of clinic 3 read them, and their lists
	// show them.
	for _, key := range secV1Routes(h.App.Engine) {
		r := secRoutes[key]
		method, path := secSplit(key)
		if method != "GET" || (r.class != secClinic && r.class != secClinicList) {
			continue
		}
		res := h.Do(method, w.path(path, r.fixture), nil, w.user("staff3")).Expect(200)
		if r.class == secClinic && !bytes.Contains(res.Body, []byte(secMarker)) {
			t.Errorf("clinic 3's own %s lacks the marker: %.300s", key, res.Body)
		}
	}
}

// TestSecurity_NoLeakInAnyRead reads every GET route as resident B (and the
// staff routes as staff of clinic 2): A's personal data never shows.
func TestSecurity_NoLeakInAnyRead(t *testing.T) {
	w := newSecWorld(t)
	h := w.h
	for _, key := range secV1Routes(h.App.Engine) {
		r := secRoutes[key]
		method, path := secSplit(key)
		if method != "GET" {
			continue
		}
		fixture := r.fixture
		if r.hidden != "" {
			fixture = r.hidden
		}
		callers := []string{"other"}
		if r.class == secClinic || r.class == secClinicList {
			callers = append(callers, "staff2")
		}
		for _, who := range callers {
			for _, q := range []string{"", "?limit=100", "?status=pending", "?unread=true"} {
				res := h.Do(method, w.path(path, fixture)+q, nil, w.user(who))
				if res.Status >= 500 {
					t.Errorf("%s as %s: %d %s", key+q, who, res.Status, res.Body)
				}
				if bytes.Contains(res.Body, []byte(secMarker)) {
					t.Errorf("%s as %s shows A's data: %.300s", key+q, who, res.Body)
				}
			}
		}
	}
	// Network-wide moderation is on purpose: staff of clinic 2 see A's
	// post waiting for review.
	res := h.Do("GET", "/api/v1/staff/posts?status=pending_review", nil, w.user("staff2")).Expect(200)
	if !bytes.Contains(res.Body, []byte(secMarker)) {
		t.Fatalf("moderation is network-wide: clinic-2 staff must see the pending post: %s", res.Body)
	}
}

// TestSecurity_JWTAlgorithmConfusion adds to TestAuth_BadTokens (tampering,
// alg none, expired, wrong secret, HS512): a token that names RS256 — signed
// with a real RSA key, or HMAC-signed with the secret as if it were the
// public key — is refused.
func TestSecurity_JWTAlgorithmConfusion(t *testing.T) {
	h := testkit.New(t)
	u := h.Login("p1")
	for name, tok := range secConfusedTokens(t, []byte(h.Config.JWTSecret), u.ID, h.Clock.Now()) {
		res := h.Do("GET", "/api/v1/me", nil, testkit.Header("Authorization", "Bearer "+tok))
		if res.Status != http.StatusUnauthorized || res.ErrorCode() != "unauthorized" {
			t.Errorf("%s: %d %s", name, res.Status, res.Body)
		}
	}
	h.Do("GET", "/api/v1/me", nil, testkit.Token(u.Token)).Expect(200)
}

// TestSecurity_HostileQueries sends hostile values in every documented query
// parameter (and cursor and limit) of every GET route: never a 5xx.
func TestSecurity_HostileQueries(t *testing.T) {
	w := newSecWorld(t)
	h := w.h
	spec := secSpec(t)
	cursor := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	values := []string{
		"' OR 1=1 --", "1; DROP TABLE users", `"`, `\`, "%_", "+-~<>()@*\"", "*", "null", "[]", "{}", "-1", "0",
		"99999999999999999999", "1e400", "true", strings.Repeat("长", 3000), "\x00", "\xff\xfe", "😀",
		cursor(`{"t":"0000-01-01T00:00:00Z","id":-1}`), cursor(`{"t":"9999-12-31T23:59:59+14:00","id":9223372036854775807}`),
		cursor(`{"h":-5,"p":"0001-01-01T00:00:00Z","id":0}`), cursor(`{"id":1e400}`), cursor(`[]`), cursor(`"x"`),
		cursor(`{"id":"1 OR 1=1"}`), strings.Repeat("A", 600),
	}
	checked := 0
	for _, key := range secV1Routes(h.App.Engine) {
		r := secRoutes[key]
		method, path := secSplit(key)
		if method != "GET" {
			continue
		}
		params := []string{"cursor", "limit"}
		for _, q := range spec[key].query {
			if q != "cursor" && q != "limit" {
				params = append(params, q)
			}
		}
		who := r.legit()
		for _, prm := range params {
			for _, v := range values {
				p := w.path(path, r.fixture) + "?" + url.Values{prm: {v}}.Encode()
				res := h.Do(method, p, nil, w.user(who))
				checked++
				if res.Status >= 500 {
					t.Errorf("%s ?%s=%.40q: %d %s", key, prm, v, res.Status, res.Body)
				} else if res.Status >= 400 {
					secEnvelope(t, res, key+" ?"+prm)
				}
			}
		}
	}
	t.Logf("%d hostile queries", checked)
}

// secConfusedTokens are tokens that claim another algorithm than HS256.
func secConfusedTokens(t *testing.T, secret []byte, userID int64, now time.Time) map[string]string {
	t.Helper()
	claims := jwt.MapClaims{"sub": fmt.Sprint(userID), "role": "admin", "iss": "familycare", "exp": now.Add(time.Hour).Unix()}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(m jwt.SigningMethod, key any) string {
		s, err := jwt.NewWithClaims(m, claims).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// The classic confusion: the header says RS256, the signature is an
	// HMAC made with what the server holds as its key.
	b64 := func(v any) string { raw, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(raw) }
	unsigned := b64(map[string]any{"alg": "RS256", "typ": "JWT"}) + "." + b64(claims)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(unsigned))
	hmacAsRSA := unsigned + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	// Header alg in another case, and a key id pointing elsewhere.
	unsignedLower := b64(map[string]any{"alg": "hs256", "typ": "JWT"}) + "." + b64(claims)
	mac = hmac.New(sha256.New, secret)
	mac.Write([]byte(unsignedLower))
	return map[string]string{
		"RS256 with a real RSA key":      sign(jwt.SigningMethodRS256, rsaKey),
		"PS256 with a real RSA key":      sign(jwt.SigningMethodPS256, rsaKey),
		"ES256 with a real EC key":       sign(jwt.SigningMethodES256, ecKey),
		"RS256 header, HMAC signature":   hmacAsRSA,
		"lower-case alg, HMAC signature": unsignedLower + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)),
	}
}

// secMut is one hostile value for a field.
type secMut struct {
	name    string
	val     any
	raw     string // sent as raw JSON instead of val
	isRaw   bool
	invalid bool   // clearly invalid: 4xx and nothing stored
	inject  string // an injection string that may be stored as text
}

const (
	secHuge  = 100_000
	secDepth = 20_000
)

// secDerived are tables derived from others' text (the MariaDB search
// index of articles): an edit that shortens a title rewrites them.
var secDerived = map[string]bool{"article_grams": true}

var secInjections = []string{"' OR 1=1 --", "1; DROP TABLE users", "'); DELETE FROM bookings; --", `" OR ""="`}

// secMutations are the hostile values for a field whose valid value is v.
func secMutations(v any) []secMut {
	bad := func(name string, val any) secMut { return secMut{name: name, val: val, invalid: true} }
	rawBad := func(name, raw string) secMut { return secMut{name: name, raw: raw, isRaw: true, invalid: true} }
	deep := strings.Repeat("[", secDepth) + strings.Repeat("]", secDepth)
	deepObj := strings.Repeat(`{"a":`, secDepth) + "1" + strings.Repeat("}", secDepth)
	common := []secMut{
		rawBad("nested arrays 20000 deep", deep),
		rawBad("nested objects 20000 deep", deepObj),
		rawBad("raw NUL", "\"a\x00b\""),
		bad("escaped NUL", "a\u0000b"),
		rawBad("invalid UTF-8", "\"\xff\xfe\xfd\""),
		// Decoded as U+FFFD, which is valid text: it may be accepted.
		{name: "lone surrogate escape", raw: `"\ud800"`, isRaw: true},
	}
	var out []secMut
	switch x := v.(type) {
	case string:
		for _, s := range secInjections {
			out = append(out, secMut{name: "injection " + s, val: s, inject: s})
		}
		out = append(out,
			bad("100k characters", strings.Repeat("a", secHuge)),
			bad("100k Chinese characters", strings.Repeat("测", secHuge)),
			bad("number for string", 12345),
			bad("object for string", map[string]any{"$ne": ""}),
			bad("array for string", []any{"x"}),
			bad("bool for string", true),
			bad("100k-element array for string", secHugeArray("a")),
		)
	case float64:
		for _, s := range secInjections[:2] {
			out = append(out, bad("injection string for number "+s, s))
		}
		out = append(out,
			bad("numeric string", "1"),
			bad("object for number", map[string]any{"a": 1}),
			bad("array for number", []any{1}),
			bad("bool for number", true),
			bad("fraction", 1.5),
			bad("negative", -1),
			rawBad("overflow 1e400", "1e400"),
			rawBad("int64 overflow", "99999999999999999999"),
			bad("100k-element array for number", secHugeArray(1)),
		)
	case bool:
		out = append(out, bad("string for bool", "true"), bad("number for bool", 1), bad("object for bool", map[string]any{}))
	case []any:
		var elem any = "a"
		if len(x) > 0 {
			elem = x[0]
		}
		var wrongElem any = map[string]any{"a": 1}
		if _, isObj := elem.(map[string]any); isObj {
			wrongElem = []any{1}
		}
		min := any("a")
		switch elem.(type) {
		case float64:
			min = 1
		case map[string]any:
			min = map[string]any{}
		}
		out = append(out,
			bad("object for array", map[string]any{"a": 1}),
			bad("string for array", "x"),
			bad("wrong element type", []any{wrongElem}),
			bad("null element", []any{nil}),
			bad("100k elements", secHugeArray(min)),
		)
	case map[string]any:
		out = append(out, bad("array for object", []any{x}), bad("string for object", "x"))
	}
	return append(out, common...)
}

func secHugeArray(elem any) []any {
	out := make([]any, secHuge)
	for i := range out {
		out[i] = elem
	}
	return out
}

// secCase is one hostile body.
type secCase struct {
	name    string
	raw     []byte
	invalid bool
	inject  string
	chunked bool
}

const secPlaceholder = "\u2603SEC-PLACEHOLDER\u2603"

// secHostileBodies are the hostile bodies derived from a route's valid
// sample: whole-body attacks and every field (and every field of the first
// element of an array of objects) replaced by each hostile value.
func secHostileBodies(t testing.TB, sample map[string]any, optional bool) []secCase {
	t.Helper()
	// Normalise the sample to what JSON decoding gives (float64, []any…).
	raw, err := json.Marshal(sample)
	if err != nil {
		t.Fatal(err)
	}
	var norm map[string]any
	if err := json.Unmarshal(raw, &norm); err != nil {
		t.Fatal(err)
	}
	clone := func() map[string]any {
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		return m
	}
	encode := func(m map[string]any, mut secMut, set func(map[string]any, any)) []byte {
		if mut.isRaw {
			set(m, secPlaceholder)
		} else {
			set(m, mut.val)
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if mut.isRaw {
			b = bytes.Replace(b, []byte(`"`+secPlaceholder+`"`), []byte(mut.raw), 1)
		}
		return b
	}
	emptyOK := !optional
	pad := clone()
	pad["pad"] = strings.Repeat("a", 2<<20)
	twoMiB, _ := json.Marshal(pad)
	cases := []secCase{
		{name: "empty body", raw: []byte{}, invalid: emptyOK},
		{name: "{}", raw: []byte("{}"), invalid: emptyOK},
		{name: "null", raw: []byte("null"), invalid: emptyOK},
		{name: "whitespace", raw: []byte(" \n\t "), invalid: emptyOK},
		{name: "top-level array", raw: []byte("[]"), invalid: true},
		{name: "array for object", raw: append(append([]byte("["), raw...), ']'), invalid: true},
		{name: "top-level string", raw: []byte(`"x"`), invalid: true},
		{name: "top-level number", raw: []byte("123"), invalid: true},
		{name: "top-level bool", raw: []byte("true"), invalid: true},
		{name: "truncated", raw: raw[:len(raw)-1], invalid: true},
		{name: "trailing garbage", raw: append(append([]byte{}, raw...), 'x'), invalid: true},
		{name: "two objects", raw: append(append([]byte{}, raw...), raw...), invalid: true},
		{name: "nested arrays 20000 deep", raw: []byte(strings.Repeat("[", secDepth) + strings.Repeat("]", secDepth)), invalid: true},
		{name: "nested objects 20000 deep", raw: []byte(strings.Repeat(`{"a":`, secDepth) + "1" + strings.Repeat("}", secDepth)), invalid: true},
		{name: "100k-element array", raw: []byte("[" + strings.TrimSuffix(strings.Repeat("1,", secHuge), ",") + "]"), invalid: true},
		{name: "2 MiB body", raw: twoMiB, invalid: true},
		{name: "2 MiB body, no Content-Length", raw: twoMiB, invalid: true, chunked: true},
		{name: "invalid UTF-8 in an extra field", raw: encode(clone(), secMut{raw: "\"\xc3\x28\"", isRaw: true}, func(m map[string]any, v any) { m["zz_extra"] = v }), invalid: true},
		{name: "NUL in an extra field", raw: encode(clone(), secMut{val: "\x00"}, func(m map[string]any, v any) { m["zz_extra"] = v }), invalid: true},
		{name: "UTF-8 BOM", raw: append([]byte("\xef\xbb\xbf"), raw...)},
	}
	keys := make([]string, 0, len(norm))
	for k := range norm {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, mut := range secMutations(norm[k]) {
			cases = append(cases, secCase{name: k + ": " + mut.name, invalid: mut.invalid, inject: mut.inject,
				raw: encode(clone(), mut, func(m map[string]any, v any) { m[k] = v })})
		}
		// Fields of the first element of an array of objects (items[0].x).
		arr, _ := norm[k].([]any)
		if len(arr) == 0 {
			continue
		}
		elem, ok := arr[0].(map[string]any)
		if !ok {
			continue
		}
		inner := make([]string, 0, len(elem))
		for kk := range elem {
			inner = append(inner, kk)
		}
		sort.Strings(inner)
		for _, kk := range inner {
			for _, mut := range secMutations(elem[kk]) {
				cases = append(cases, secCase{name: k + "[0]." + kk + ": " + mut.name, invalid: mut.invalid, inject: mut.inject,
					raw: encode(clone(), mut, func(m map[string]any, v any) { m[k].([]any)[0].(map[string]any)[kk] = v })})
			}
		}
	}
	return cases
}

// secContains reports whether s is one of the strings (values or keys)
// in the JSON document raw.
func secContains(raw []byte, s string) bool {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case string:
			return strings.Contains(x, s)
		case []any:
			for _, e := range x {
				if walk(e) {
					return true
				}
			}
		case map[string]any:
			for k, e := range x {
				if strings.Contains(k, s) || walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

// stored reports whether some text column of some table holds s.
func (w *secWorld) stored(s string) bool {
	for _, m := range model.All() {
		stmt := &gorm.Statement{DB: w.h.DB}
		if err := stmt.Parse(m); err != nil {
			w.h.T.Fatal(err)
		}
		for _, f := range stmt.Schema.Fields {
			if f.DBName == "" || f.FieldType.Kind() != reflect.String {
				continue
			}
			var n int64
			like := clause.Like{Column: clause.Column{Name: f.DBName}, Value: "%" + s + "%"}
			if err := w.h.DB.Table(stmt.Schema.Table).Where(like).Count(&n).Error; err != nil {
				w.h.T.Fatalf("search %s.%s: %v", stmt.Schema.Table, f.DBName, err)
			}
			if n > 0 {
				return true
			}
		}
	}
	return false
}

// TestSecurity_HostileBodies sends hostile bodies to every route that reads
// a JSON body, as its legitimate caller on a real object: every answer is a
// 4xx error envelope (never a 5xx); clearly invalid bodies are never
// accepted and change no row count; an injection string in a free-text
// field may be accepted, and is then stored as plain text and nothing else
// happens (no table loses rows).
func TestSecurity_HostileBodies(t *testing.T) {
	w := newSecWorld(t)
	h := w.h
	total := 0
	for _, key := range secV1Routes(h.App.Engine) {
		r := secRoutes[key]
		if r.body == nil {
			continue
		}
		method, path := secSplit(key)
		p := w.path(path, r.fixture)
		who := w.user(r.legit())
		before := w.counts()
		for _, c := range secHostileBodies(t, r.body(w), r.optional) {
			opts := []testkit.Req{who}
			if c.chunked {
				opts = append(opts, func(req *http.Request) { req.ContentLength = -1 })
			}
			res := h.Do(method, p, c.raw, opts...)
			total++
			what := fmt.Sprintf("%s [%s]", key, c.name)
			if res.Status >= 500 {
				t.Errorf("%s: %d %.300s", what, res.Status, res.Body)
			} else if res.Status >= 400 {
				secEnvelope(t, res, what)
			}
			after := w.counts()
			switch {
			case c.invalid:
				if res.Status < 400 {
					t.Errorf("%s: accepted with %d: %.300s", what, res.Status, res.Body)
				}
				if fmt.Sprint(after) != fmt.Sprint(before) {
					t.Errorf("%s: rows changed:\nbefore %v\nafter  %v", what, before, after)
				}
			case c.inject != "" && res.Status < 300:
				// Accepted: stored verbatim (as the answer shows or a column
				// holds), or a no-op that stored nothing.
				if !secContains(res.Body, c.inject) && !w.stored(c.inject) && fmt.Sprint(after) != fmt.Sprint(before) {
					t.Errorf("%s: accepted and wrote rows, but the text is neither echoed nor stored verbatim: %.300s", what, res.Body)
				}
				for tb, n := range before {
					if after[tb] < n && !secDerived[tb] {
						t.Errorf("%s: table %s lost rows (%d → %d)", what, tb, n, after[tb])
					}
				}
			}
			before = after
		}
	}
	t.Logf("%d hostile bodies", total)
}

// TestSecurity_MassAssignment sends valid bodies with fields a client must
// never set (owner, role, status, counters, clinic): they are ignored.
func TestSecurity_MassAssignment(t *testing.T) {
	w := newSecWorld(t)
	h := w.h
	A, B := w.owner, w.other
	extra := func(body map[string]any) map[string]any {
		for k, v := range map[string]any{"id": 1, "user_id": B.ID, "role": "admin", "status": "confirmed", "clinic_id": clinicB,
			"like_count": 100, "created_at": "2000-01-01T00:00:00Z", "handover_code": "000000"} {
			if _, set := body[k]; !set {
				body[k] = v
			}
		}
		return body
	}
	row := func(m any, id int64) {
		t.Helper()
		if err := h.DB.First(m, id).Error; err != nil {
			t.Fatal(err)
		}
	}

	me := h.Do("PATCH", "/api/v1/me", extra(map[string]any{"nickname": "新昵称"}), w.user("owner")).Expect(200).Map()
	var u model.User
	row(&u, A.ID)
	if me["role"] != "resident" || u.Role != "resident" || u.ClinicID != nil {
		t.Errorf("PATCH /me set the role: %v / %+v", me, u)
	}

	memberID := ctID(h.Do("POST", "/api/v1/me/members", extra(map[string]any{"name": "四宝", "relation": "child"}), w.user("owner")).Expect(201).Map())
	var m model.Member
	row(&m, memberID)
	if m.UserID != A.ID || memberID == 1 {
		t.Errorf("member created for user %d with id %d", m.UserID, memberID)
	}

	b := h.Do("POST", "/api/v1/bookings", extra(map[string]any{"session_id": w.ids["session"], "member_id": w.ids["child2"]}), w.user("owner")).Expect(201).Map()
	var bk model.Booking
	row(&bk, ctID(b))
	if b["status"] != "pending" || bk.UserID != A.ID || bk.ClinicID != clinicA {
		t.Errorf("booking: %v / %+v", b, bk)
	}

	o := h.Do("POST", "/api/v1/medicine-orders", extra(mdBody(w.ids["elder"])), w.user("owner")).Expect(201).Map()
	var mo model.MedicineOrder
	row(&mo, ctID(o))
	if o["status"] != "requested" || mo.UserID != A.ID || mo.ClinicID != clinicA || o["handover_code"] == "000000" {
		t.Errorf("medicine order: %v / %+v", o, mo)
	}

	h.WeChat.SetVerdict("review")
	p := h.Do("POST", ctPath("/api/v1/circles/%d/posts", w.ids["circle"]), extra(map[string]any{"content": "想被直接发布"}), w.user("owner")).Expect(201).Map()
	h.WeChat.SetVerdict("pass")
	var post model.Post
	row(&post, ctID(p))
	if p["status"] != "pending_review" || p["like_count"] != float64(0) || post.UserID != A.ID {
		t.Errorf("post: %v / %+v", p, post)
	}

	art := h.Do("POST", "/api/v1/staff/articles", extra(map[string]any{"title": "标题", "body": "<p>正文</p>", "category": "tcm",
		"stages": []string{"elderly"}, "status": "published"}), w.user("staff3")).Expect(201).Map()
	if art["status"] != "draft" || art["clinic_id"] != float64(clinicA) {
		t.Errorf("article: %v", art)
	}
}

// FuzzBindJSON sends arbitrary bytes as the body of create and change
// routes through the real engine: the answer is never a 5xx, an error is
// always the envelope and a success is a JSON object.
func FuzzBindJSON(f *testing.F) {
	h := testkit.New(f)
	h.Seed()
	parent := h.Login("fuzz-parent")
	staff := h.Staff("fuzz-staff", clinicA)
	h.Member(parent, map[string]any{"name": "小宝", "relation": "child", "birth_date": h.DateAgo(2, 0, 0)})
	routes := []struct {
		method, path, token string
	}{
		{"POST", "/api/v1/me/members", parent.Token},
		{"PATCH", "/api/v1/me", parent.Token},
		{"POST", "/api/v1/bookings", parent.Token},
		{"POST", "/api/v1/medicine-orders", parent.Token},
		{"POST", "/api/v1/family-contracts", parent.Token},
		{"POST", "/api/v1/me/subscriptions", parent.Token},
		{"POST", "/api/v1/staff/sessions", staff.Token},
		{"POST", "/api/v1/staff/schedules", staff.Token},
	}
	f.Add(uint8(0), []byte(`{"name":"小宝","relation":"child","birth_date":"2024-01-01"}`))
	f.Add(uint8(1), []byte(`{"nickname":"' OR 1=1 --"}`))
	f.Add(uint8(2), []byte(`{"session_id":"1; DROP TABLE users","member_id":1}`))
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := routes[int(route)%len(routes)]
		res := testkit.Do(t, h.App.Engine, r.method, r.path, body, testkit.Token(r.token))
		switch {
		case res.Status >= 500:
			t.Fatalf("%s %s %q: %d %s", r.method, r.path, body, res.Status, res.Body)
		case res.Status >= 400:
			secEnvelope(t, res, r.method+" "+r.path)
		default:
			var obj map[string]any
			if err := json.Unmarshal(res.Body, &obj); err != nil {
				t.Fatalf("%s %s %q: %d is not a JSON object: %s", r.method, r.path, body, res.Status, res.Body)
			}
		}
	})
}

// TestSecurity_LoginCodeNeverReachesWeChatUnchecked: the SDK puts the
// wx.login code into the code2session URL unescaped; a code that is not
// letters, digits, - or _ is refused before any call (it was a 502, and
// "&name=" could add parameters to the request).
func TestSecurity_LoginCodeNeverReachesWeChatUnchecked(t *testing.T) {
	h := testkit.New(t)
	for _, code := range []string{"code-a&appid=other", "code-a b", "code-a#frag", "code-a%26x", "' OR 1=1 --", "code-码", strings.Repeat("a", 129)} {
		r := h.Do("POST", "/api/v1/auth/wechat/login", map[string]any{"code": code})
		if r.Status != http.StatusUnauthorized && r.Status != http.StatusUnprocessableEntity {
			t.Errorf("code %q: %d %s", code, r.Status, r.Body)
		}
	}
	if n := h.WeChat.Calls("/sns/jscode2session"); n != 0 {
		t.Fatalf("%d malformed codes reached WeChat", n)
	}
	h.Do("POST", "/api/v1/auth/wechat/login", map[string]any{"code": "code-Ok_1"}).Expect(200)
}
