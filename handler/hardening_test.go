package handler_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"familycare/config"
	"familycare/model"
	"familycare/testkit"
)

// Issue 10 #5: one user's concurrent writes on two replicas (subscriptions,
// likes and unlikes, circle join and leave, favorites) never answer 500: a
// deadlock is retried, and what still fails is a 503 with Retry-After.
func TestWrites_ConcurrentSameUserNeverFail(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	engines := []http.Handler{h.App.Engine, h.Replica().Engine}
	ids := circleIDs(t, h)
	u := circleMember(t, h, "busy-mother", ids["yunma"])
	post := circlePost(t, h, u, ids["yunma"], "宝宝今天会翻身了")
	pid := circleIDOf(post)
	var article model.Article
	if err := h.DB.Where("status = ?", model.ArticlePublished).First(&article).Error; err != nil {
		t.Fatal(err)
	}
	calls := []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/v1/me/subscriptions", map[string]any{"template_ids": []string{"TPL-CONFIRM", "TPL-REMIND"}}},
		{"POST", "/api/v1/posts/" + pid + "/like", nil},
		{"DELETE", "/api/v1/posts/" + pid + "/like", nil},
		{"POST", "/api/v1/circles/" + ids["baoma"] + "/join", nil},
		{"POST", "/api/v1/circles/" + ids["baoma"] + "/leave", nil},
		{"POST", fmt.Sprintf("/api/v1/articles/%d/favorite", article.ID), nil},
		{"DELETE", fmt.Sprintf("/api/v1/articles/%d/favorite", article.ID), nil},
	}
	const rounds = 8
	var subscribed atomic.Int64
	parallel(len(calls)*rounds, func(i int) {
		c := calls[i%len(calls)]
		res := testkit.Do(t, engines[i%2], c.method, c.path, c.body, testkit.Token(u.Token))
		switch {
		case res.Status/100 == 2:
			if i%len(calls) == 0 {
				subscribed.Add(1)
			}
		case res.Status == 503 && res.ErrorCode() == "database_busy" && res.Header.Get("Retry-After") != "":
		default:
			t.Errorf("%s %s: %d %s", c.method, c.path, res.Status, res.Body)
		}
	})
	if subscribed.Load() != rounds {
		t.Errorf("%d of %d subscriptions succeeded", subscribed.Load(), rounds)
	}
	var q model.SubscriptionQuota
	if err := h.DB.Where("user_id = ? AND template_id = ?", u.ID, "TPL-CONFIRM").First(&q).Error; err != nil {
		t.Fatal(err)
	}
	if q.Remaining != rounds {
		t.Fatalf("quota %d after %d subscriptions", q.Remaining, rounds)
	}
}

// Issue 10 #2: a stored idempotent answer holds no readable personal data
// (the order's address, phone and hand-over code), and its replay is byte
// for byte the first answer.
func TestIdempotency_StoredAnswersAreSealed(t *testing.T) {
	h := testkit.New(t)
	_, u, member := mdSetup(h)
	key := testkit.Header("Idempotency-Key", "order-1")
	first := h.Do("POST", "/api/v1/medicine-orders", mdBody(member), testkit.Token(u.Token), key).Expect(201)
	code := first.Map()["handover_code"]
	var rec model.IdempotencyRecord
	if err := h.DB.First(&rec).Error; err != nil {
		t.Fatal(err)
	}
	for _, clear := range []string{mdAddress, mdPhone, fmt.Sprint(code), "苯磺酸氨氯地平片"} {
		if clear != "" && strings.Contains(string(rec.ResponseBody), clear) {
			t.Errorf("stored answer holds %q in clear", clear)
		}
	}
	if rec.Key == "order-1" || !rec.Sealed {
		t.Errorf("stored key %q sealed %v", rec.Key, rec.Sealed)
	}
	again := h.Do("POST", "/api/v1/medicine-orders", mdBody(member), testkit.Token(u.Token), key).Expect(201)
	if string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay differs:\n%s\n%s", first.Body, again.Body)
	}
}

// Issue 10 #2: answers stored in clear by an older build still replay, and
// the job seals them.
func TestIdempotency_LegacyClearAnswersSealedByJob(t *testing.T) {
	h := testkit.New(t)
	_, u, member := mdSetup(h)
	key := testkit.Header("Idempotency-Key", "legacy-1")
	first := h.Do("POST", "/api/v1/medicine-orders", mdBody(member), testkit.Token(u.Token), key).Expect(201)
	// As the build before sealing left it.
	if err := h.DB.Model(&model.IdempotencyRecord{}).Where("1 = 1").
		Updates(map[string]any{"response_body": first.Body, "sealed": false}).Error; err != nil {
		t.Fatal(err)
	}
	if again := h.Do("POST", "/api/v1/medicine-orders", mdBody(member), testkit.Token(u.Token), key).Expect(201); string(again.Body) != string(first.Body) {
		t.Fatalf("legacy replay differs")
	}
	n, err := h.App.Services.Idempotency.SealLegacy(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("sealed %d: %v", n, err)
	}
	var rec model.IdempotencyRecord
	if err := h.DB.First(&rec).Error; err != nil {
		t.Fatal(err)
	}
	if !rec.Sealed || strings.Contains(string(rec.ResponseBody), mdAddress) {
		t.Fatalf("not sealed: %s", rec.ResponseBody)
	}
	if again := h.Do("POST", "/api/v1/medicine-orders", mdBody(member), testkit.Token(u.Token), key).Expect(201); string(again.Body) != string(first.Body) {
		t.Fatalf("sealed replay differs")
	}
}

// Issue 10 #8 and #7: keys are opaque bytes on every database (case and
// accents matter); a key that is not printable UTF-8 is 422, not a 500.
func TestIdempotency_KeysAreExactBytes(t *testing.T) {
	w := newBookingWorld(t)
	s := w.session(10, 48*time.Hour)
	post := func(key string, member int64) *testkit.Response {
		return w.h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": s, "member_id": member},
			testkit.Token(w.parent.Token), testkit.Header("Idempotency-Key", key))
	}
	post("Case-x", w.child).Expect(201)
	post("case-x", w.child2).Expect(201) // another key: another request, not "reused"
	w2 := w.session(10, 72*time.Hour)
	for _, k := range []string{"accent-a", "accent-ä"} {
		w.h.Do("POST", "/api/v1/bookings", map[string]any{"session_id": w2, "member_id": map[string]int64{"accent-a": w.child, "accent-ä": w.child2}[k]},
			testkit.Token(w.parent.Token), testkit.Header("Idempotency-Key", k)).Expect(201)
	}
	for _, bad := range []string{"\xff\xfe", "a\x00b", "tab\there"} {
		post(bad, w.child).ExpectError(422, "invalid_request")
	}
}

// Issue 10 #3 and #7: every accepted time has a sane range for its meaning,
// checked before anything is written.
func TestTimes_FarFutureRefusedAtBinding(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	now := h.Clock.Now()
	session := func(start time.Time) *testkit.Response {
		return h.Do("POST", "/api/v1/staff/sessions", map[string]any{"service_id": serviceA, "starts_at": start.Format(time.RFC3339),
			"ends_at": start.Add(time.Hour).Format(time.RFC3339), "capacity": 5}, testkit.Token(w.staff.Token))
	}
	session(time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC)).ExpectError(422, "invalid_request")
	session(now.AddDate(3, 0, 0)).ExpectError(422, "invalid_request")
	session(now.AddDate(1, 0, 0)).Expect(201)
	for _, q := range []string{"from=0000-01-01T00:00:00Z", "to=9999-12-31T23:59:59-14:00", "from=0001-01-01", "to=1899-12-31"} {
		h.Do("GET", "/api/v1/sessions?"+q, nil).ExpectError(422, "invalid_request")
	}
	h.Do("GET", "/api/v1/staff/bookings?date=0000-01-01", nil, testkit.Token(w.staff.Token)).ExpectError(422, "invalid_request")
	h.Do("POST", "/api/v1/me/members", map[string]any{"name": "太奶奶", "relation": "other", "birth_date": "1899-12-31"},
		testkit.Token(w.parent.Token)).ExpectError(422, "invalid_request")

	// A mute: at most a year, or "permanent" said explicitly.
	mod := h.Staff("moderator", clinicA)
	path := "/api/v1/staff/users/" + fmt.Sprint(w.parent.ID) + "/mute"
	h.Do("POST", path, map[string]any{"until": "9999-12-31", "reason": "刷屏"}, testkit.Token(mod.Token)).ExpectError(422, "invalid_request")
	h.Do("POST", path, map[string]any{"until": now.AddDate(2, 0, 0).Format("2006-01-02"), "reason": "刷屏"}, testkit.Token(mod.Token)).ExpectError(422, "invalid_request")
	m := h.Do("POST", path, map[string]any{"until": "permanent", "reason": "刷屏"}, testkit.Token(mod.Token)).Expect(200).Map()
	if until, _ := time.Parse(time.RFC3339, fmt.Sprint(m["until"])); until.Before(now.AddDate(40, 0, 0)) {
		t.Fatalf("permanent mute until %v", m["until"])
	}
	h.Do("GET", "/api/v1/sessions?limit=100", nil).Expect(200)
}

// Issue 10 #3: an answer that cannot be encoded (a year-10000 time stored
// before the ranges) is a 500 envelope, never an empty 2xx.
func TestTimes_EncodingFailureIsNever2xx(t *testing.T) {
	w := newBookingWorld(t)
	s := w.session(5, 48*time.Hour)
	if err := w.h.DB.Model(&model.Session{}).Where("id = ?", s).Updates(map[string]any{
		"starts_at": time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC), "ends_at": time.Date(9999, 12, 31, 23, 30, 0, 0, time.UTC)}).Error; err != nil {
		t.Fatal(err)
	}
	w.h.Do("GET", "/api/v1/sessions/"+fmt.Sprint(s), nil).ExpectError(500, "internal")
}

// Issue 10 #9: zero-width characters, soft hyphens, word joiners and
// fullwidth letters do not get a blocked word past the local list, in posts
// and comments.
func TestCircle_BlockedWordsNormalised(t *testing.T) {
	h := testkit.New(t, testkit.WithConfig(func(c *config.Config) {
		c.BlockedWords = []string{"spamword", "加微信", `re:加\s*[vV]\s*[xX]`}
	}))
	h.Seed()
	ids := circleIDs(t, h)
	circle := ids["baoma"]
	u := circleMember(t, h, "u", circle)
	tricks := []string{"spam\u200bword", "ｓｐａｍｗｏｒｄ", "SPAM\u00adWORD", "spam\u2060word", "加\u200d微信", "加\ufeff微\u200c信", "加 ｖ ｘ"}
	for _, text := range tricks {
		h.Do("POST", "/api/v1/circles/"+circle+"/posts", map[string]any{"content": "hello " + text}, testkit.Token(u.Token)).ExpectError(422, "content_rejected")
	}
	post := circlePost(t, h, u, circle, "宝宝湿疹怎么护理")
	pid := circleIDOf(post)
	for _, text := range tricks {
		h.Do("POST", "/api/v1/posts/"+pid+"/comments", map[string]any{"content": text}, testkit.Token(u.Token)).ExpectError(422, "content_rejected")
	}
	if got := h.WeChat.Checked(); len(got) != 1 {
		t.Fatalf("only the clean post reaches WeChat: %v", got)
	}
}

// Issue 10 #7: a NUL (or another control character) in a query value is
// 422, on every database (it broke SQLite's FTS5 MATCH).
func TestArticles_SearchWithNULIs422(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	for _, q := range []string{"ab%00cd", "%E8%BE%85%00%E9%A3%9F", "abc%01", "%FF%FE"} {
		h.Do("GET", "/api/v1/articles?q="+q, nil).ExpectError(422, "invalid_request")
	}
	h.Do("GET", "/api/v1/sessions?kind=%00", nil).ExpectError(422, "invalid_request")
	h.Do("GET", "/api/v1/articles?q=%E8%BE%85%E9%A3%9F", nil).Expect(200)
}

// Issue 10 #10: signing in as the kept openid of a deleted account is a
// clear 409 at once, not a loop.
func TestDevLogin_DeletedAccountIsBounded4xx(t *testing.T) {
	h := testkit.New(t)
	u := h.Login("leaving")
	h.Do("DELETE", "/api/v1/me", nil, testkit.Token(u.Token)).Expect(204)
	for i := 0; i < 2; i++ {
		h.Do("POST", "/api/v1/auth/dev/login", map[string]any{"openid": fmt.Sprintf("deleted:%d", u.ID)}).ExpectError(409, "account_deleted")
	}
	if _, err := h.App.Services.Auth.SetRoleByOpenID(context.Background(), fmt.Sprintf("deleted:%d", u.ID), model.RoleStaff, 1); err == nil {
		t.Fatal("grant-role on a deleted account must fail")
	}
	h.Login("leaving") // the person may sign up afresh
}

// Issue 10 #6: deleting a member races booking that member: never both.
func TestMember_DeleteRacesBooking(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	s := w.session(50, 48*time.Hour)
	engines := []http.Handler{h.App.Engine, h.Replica().Engine}
	for round := 0; round < 6; round++ {
		m := h.Member(w.parent, map[string]any{"name": fmt.Sprintf("孩子%d", round), "relation": "child", "birth_date": h.DateAgo(2, 0, round)})
		var booked, deleted atomic.Int64
		parallel(2, func(i int) {
			if i == 0 {
				r := testkit.Do(t, engines[0], "POST", "/api/v1/bookings", map[string]any{"session_id": s, "member_id": m}, testkit.Token(w.parent.Token))
				switch r.Status {
				case 201:
					booked.Add(1)
				case 404, 503:
				default:
					t.Errorf("book: %d %s", r.Status, r.Body)
				}
				return
			}
			r := testkit.Do(t, engines[1], "DELETE", fmt.Sprintf("/api/v1/me/members/%d", m), nil, testkit.Token(w.parent.Token))
			switch r.Status {
			case 204:
				deleted.Add(1)
			case 409, 503:
			default:
				t.Errorf("delete: %d %s", r.Status, r.Body)
			}
		})
		if booked.Load()+deleted.Load() != 1 {
			t.Fatalf("round %d: %d booked and %d deleted", round, booked.Load(), deleted.Load())
		}
		var orphans int64
		if err := h.DB.Unscoped().Model(&model.Booking{}).Joins("JOIN persons ON persons.id = bookings.member_id").
			Where("bookings.active = ? AND persons.deleted_at IS NOT NULL", true).Count(&orphans).Error; err != nil {
			t.Fatal(err)
		}
		if orphans != 0 {
			t.Fatalf("round %d: %d active bookings of deleted members", round, orphans)
		}
	}
}

// Issue 10 #6: deleting the account races its own bookings: afterwards it
// holds no seat, and the session's counters match its bookings.
func TestAccount_DeleteRacesBookings(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	sessions := []int64{w.session(50, 48*time.Hour), w.session(50, 72*time.Hour), w.session(50, 96*time.Hour)}
	engines := []http.Handler{h.App.Engine, h.Replica().Engine}
	parallel(len(sessions)+1, func(i int) {
		if i == len(sessions) {
			if r := testkit.Do(t, engines[1], "DELETE", "/api/v1/me", nil, testkit.Token(w.parent.Token)); r.Status != 204 && r.Status != 503 {
				t.Errorf("delete account: %d %s", r.Status, r.Body)
			}
			return
		}
		r := testkit.Do(t, engines[0], "POST", "/api/v1/bookings", map[string]any{"session_id": sessions[i], "member_id": w.child}, testkit.Token(w.parent.Token))
		if r.Status != 201 && r.Status != 404 && r.Status != 401 && r.Status != 503 {
			t.Errorf("book: %d %s", r.Status, r.Body)
		}
	})
	var held int64
	if err := h.DB.Model(&model.Booking{}).Where("user_id = ? AND active = ?", w.parent.ID, true).Count(&held).Error; err != nil {
		t.Fatal(err)
	}
	if held != 0 {
		t.Fatalf("deleted account holds %d active bookings", held)
	}
	for _, s := range sessions {
		assertCounters(t, h, s)
	}
}

// Issue 10 #4: a no-show suspension outlives deleting and re-adding the
// child, and no-shows count across the re-added record.
func TestBooking_SuspensionOutlivesMemberDelete(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	noShow := func(member int64) {
		t.Helper()
		s := w.session(5, 3*time.Hour)
		b := w.book(w.parent, s, member, false).Expect(201).Map()
		h.Do("POST", "/api/v1/staff/bookings/"+id(b)+"/confirm", nil, testkit.Token(w.staff.Token)).Expect(200)
		h.Clock.Advance(5 * time.Hour)
		h.Do("POST", "/api/v1/staff/bookings/"+id(b)+"/no-show", nil, testkit.Token(w.staff.Token)).Expect(200)
	}
	child := map[string]any{"name": "豆豆", "relation": "child", "birth_date": h.DateAgo(2, 0, 0)}
	m := h.Member(w.parent, child)
	noShow(m)
	noShow(m)
	// Two no-shows, then delete and re-add: the count goes on.
	h.Do("DELETE", fmt.Sprintf("/api/v1/me/members/%d", m), nil, testkit.Token(w.parent.Token)).Expect(204)
	m = h.Member(w.parent, child)
	noShow(m)
	w.book(w.parent, w.session(5, 48*time.Hour), m, false).ExpectError(409, "booking_suspended")
	// Suspended: the record cannot be deleted to shed it.
	h.Do("DELETE", fmt.Sprintf("/api/v1/me/members/%d", m), nil, testkit.Token(w.parent.Token)).ExpectError(409, "member_suspended")
}

// Issue 10 #1: staff cannot enrol (or read through an enrolment) a family
// outside their clinic's work: such a member answers exactly like a member
// that does not exist, and nothing is written.
func TestContract_StaffCannotEnrolOutOfReach(t *testing.T) {
	h := ctNew(t)
	h.Seed()
	staff := h.Staff("staff-3", ctClinic3)
	stranger := h.Login("stranger")
	elder := ctElder(h, stranger, "钱奶奶", 83)
	out := h.Do("POST", "/api/v1/staff/family-contracts", map[string]any{"team_id": ctTeam3, "member_ids": []int64{elder}},
		testkit.Token(staff.Token)).ExpectError(404, "not_found")
	none := h.Do("POST", "/api/v1/staff/family-contracts", map[string]any{"team_id": ctTeam3, "member_ids": []int64{elder + 1000}},
		testkit.Token(staff.Token)).ExpectError(404, "not_found")
	strip := func(b []byte) string { return strings.ReplaceAll(string(b), fmt.Sprint(elder+1000), fmt.Sprint(elder)) }
	if string(out.Body) != strip(none.Body) {
		t.Fatalf("out of reach must look like nonexistent:\n%s\n%s", out.Body, none.Body)
	}
	if strings.Contains(string(out.Body), "钱奶奶") {
		t.Fatal("the answer names the member")
	}
	var n int64
	if err := h.DB.Model(&model.FamilyContract{}).Count(&n).Error; err != nil || n != 0 {
		t.Fatalf("%d contracts written (%v)", n, err)
	}
	// Once the family applies to this clinic's team itself, the member is
	// within its work: staff may act (approve) on it.
	c := ctApply(h, stranger, ctTeam3, elder)
	h.Do("POST", ctPath("/api/v1/staff/family-contracts/%d/approve", ctID(c)), nil, testkit.Token(staff.Token)).Expect(200)
}

// Issue 10, also fix: personal answers are never cached; every answer says
// nosniff.
func TestHeaders_PersonalAnswersNoStoreAndNosniff(t *testing.T) {
	w := newBookingWorld(t)
	tok := testkit.Token(w.parent.Token)
	for _, path := range []string{"/api/v1/me", "/api/v1/me/members", "/api/v1/bookings", "/api/v1/family-contracts", "/api/v1/medicine-orders", "/api/v1/me/export"} {
		r := w.h.Do("GET", path, nil, tok).Expect(200)
		if r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: Cache-Control %q, X-Content-Type-Options %q", path, r.Header.Get("Cache-Control"), r.Header.Get("X-Content-Type-Options"))
		}
	}
	for _, path := range []string{"/api/v1/sessions", "/healthz", "/api/v1/nothing-here"} {
		if r := w.h.Do("GET", path, nil); r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", path)
		}
	}
}

// Issue 10, also fix: nobody mutes a user of a higher role.
func TestMute_NeverAHigherRole(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	staff := h.Staff("mod", 1)
	admin := h.Admin("boss")
	resident := h.Login("someone")
	mute := func(by testkit.User, target int64) *testkit.Response {
		return h.Do("POST", fmt.Sprintf("/api/v1/staff/users/%d/mute", target), map[string]any{"until": "permanent", "reason": "测试"}, testkit.Token(by.Token))
	}
	mute(staff, admin.ID).ExpectError(403, "forbidden")
	mute(staff, resident.ID).Expect(200)
	mute(admin, staff.ID).Expect(200)
}

// Issue 10, also fix: a hand-over code is reset at most 3 times per order,
// each reset in the history with who did it.
func TestMedicine_HandoverResetLimited(t *testing.T) {
	h := testkit.New(t)
	staff, u, member := mdSetup(h)
	id := mdOrder(h, u, member)
	mdDispatch(h, staff, id)
	path := ctPath("/api/v1/staff/medicine-orders/%d/reset-handover", id)
	for i := 0; i < 3; i++ {
		h.Do("POST", path, nil, testkit.Token(staff.Token)).Expect(200)
	}
	h.Do("POST", path, nil, testkit.Token(staff.Token)).ExpectError(409, "handover_reset_limit")
	var n int64
	if err := h.DB.Model(&model.MedicineOrderEvent{}).Where("order_id = ? AND reason = ? AND by_user_id = ?", id, "hand-over code reset", staff.ID).
		Count(&n).Error; err != nil || n != 3 {
		t.Fatalf("%d audited resets (%v)", n, err)
	}
}

// Issue 10, also fix: names and nicknames shown to staff refuse bidi
// overrides, zero-width and control characters.
func TestNames_HiddenCharactersRefused(t *testing.T) {
	h := testkit.New(t)
	u := h.Login("spoofer")
	for _, name := range []string{"王\u202e伟", "李\u200b明", "张\u2066三\u2069", "赵\x07四"} {
		h.Do("POST", "/api/v1/me/members", map[string]any{"name": name, "relation": "child"}, testkit.Token(u.Token)).ExpectError(422, "invalid_request")
		h.Do("PUT", "/api/v1/me", map[string]any{"nickname": name}, testkit.Token(u.Token)).ExpectError(422, "invalid_request")
		h.Do("PUT", "/api/v1/me", map[string]any{"real_name": name}, testkit.Token(u.Token)).ExpectError(422, "invalid_request")
	}
	h.Do("PUT", "/api/v1/me", map[string]any{"nickname": "豆豆妈"}, testkit.Token(u.Token)).Expect(200)
}
