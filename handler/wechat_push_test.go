package handler_test

import (
	"context"
	"net/url"
	"sync"
	"testing"
	"time"

	"familycare/config"
	"familycare/model"
	"familycare/testkit"
)

// pushEvent sends payload to the push endpoint as WeChat would (encrypted
// when the harness has an EncodingAESKey).
func pushEvent(t testing.TB, h *testkit.Harness, payload map[string]any) *testkit.Response {
	t.Helper()
	q, body := testkit.PushRequest(h.Config.WeChatPushToken, h.Config.WeChatPushAESKey, h.Config.WeChatAppID,
		h.Clock.Now().Unix(), payload, h.Config.WeChatPushAESKey != "")
	return h.Do("POST", "/api/v1/wechat/push?"+q, body)
}

func mediaCheckEvent(h *testkit.Harness, trace, suggest string) map[string]any {
	return map[string]any{"ToUserName": "gh_fake", "FromUserName": "system", "CreateTime": h.Clock.Now().Unix(),
		"MsgType": "event", "Event": "wxa_media_check", "appid": h.Config.WeChatAppID, "trace_id": trace, "version": 2,
		"detail":  []any{map[string]any{"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": 20002, "prob": 90}},
		"errcode": 0, "errmsg": "ok", "result": map[string]any{"suggest": suggest, "label": 20002}}
}

func popupEvent(h *testkit.Harness, openid, tpl, status string) map[string]any {
	return map[string]any{"ToUserName": "gh_fake", "FromUserName": openid, "CreateTime": h.Clock.Now().Unix(),
		"MsgType": "event", "Event": "subscribe_msg_popup_event",
		"List": []any{map[string]any{"TemplateId": tpl, "SubscribeStatusString": status, "PopupScene": "0"}}}
}

func TestPush_URLVerification(t *testing.T) {
	h := testkit.New(t)
	tok := h.Config.WeChatPushToken
	good := url.Values{"timestamp": {"1700000000"}, "nonce": {"abc"}, "echostr": {"echo-123"},
		"signature": {testkit.PushSignature(tok, "1700000000", "abc")}}
	res := h.Do("GET", "/api/v1/wechat/push?"+good.Encode(), nil).Expect(200)
	if string(res.Body) != "echo-123" {
		t.Fatalf("echo %q", res.Body)
	}
	forged := url.Values{"timestamp": {"1700000000"}, "nonce": {"abc"}, "echostr": {"x"},
		"signature": {testkit.PushSignature("not-the-token", "1700000000", "abc")}}
	h.Do("GET", "/api/v1/wechat/push?"+forged.Encode(), nil).ExpectError(401, "bad_signature")
}

func TestPush_ForgedSignaturesRefused(t *testing.T) {
	h := testkit.New(t)
	u := h.Login("forged-user")
	ev := popupEvent(h, u.OpenID, "TPL-X", "accept")
	// Wrong token: the plain signature fails.
	q, body := testkit.PushRequest("wrong-token", h.Config.WeChatPushAESKey, h.Config.WeChatAppID, h.Clock.Now().Unix(), ev, true)
	h.Do("POST", "/api/v1/wechat/push?"+q, body).ExpectError(401, "bad_signature")
	// Right signature, but the body was swapped: msg_signature fails.
	q, _ = testkit.PushRequest(h.Config.WeChatPushToken, h.Config.WeChatPushAESKey, h.Config.WeChatAppID, h.Clock.Now().Unix(), ev, true)
	_, other := testkit.PushRequest(h.Config.WeChatPushToken, h.Config.WeChatPushAESKey, h.Config.WeChatAppID, h.Clock.Now().Unix(), popupEvent(h, u.OpenID, "TPL-Y", "accept"), true)
	h.Do("POST", "/api/v1/wechat/push?"+q, other).ExpectError(401, "bad_signature")
	// Safe mode configured: a plain body is refused even with a good signature.
	q, body = testkit.PushRequest(h.Config.WeChatPushToken, h.Config.WeChatPushAESKey, h.Config.WeChatAppID, h.Clock.Now().Unix(), ev, false)
	h.Do("POST", "/api/v1/wechat/push?"+q, body).ExpectError(401, "bad_signature")
	var n int64
	h.DB.Model(&model.PushEvent{}).Count(&n)
	h.DB.Model(&model.SubscriptionQuota{}).Count(&n)
	if n != 0 {
		t.Fatalf("a refused push changed %d rows", n)
	}
}

// TestPush_PlainMode: without an EncodingAESKey the plain (明文) mode works.
func TestPush_PlainMode(t *testing.T) {
	h := testkit.New(t, testkit.WithConfig(func(c *config.Config) { c.WeChatPushAESKey = "" }))
	u := h.Login("plain-user")
	res := pushEvent(t, h, popupEvent(h, u.OpenID, "TPL-P", "accept")).Expect(200)
	if string(res.Body) != "success" {
		t.Fatalf("body %q", res.Body)
	}
	var q model.SubscriptionQuota
	if err := h.DB.Where("user_id = ? AND template_id = ?", u.ID, "TPL-P").First(&q).Error; err != nil || q.Remaining != 1 {
		t.Fatalf("quota %+v %v", q, err)
	}
}

func TestPush_RetriedEventChangesNothing(t *testing.T) {
	h := testkit.New(t)
	u := h.Login("retry-user")
	ev := popupEvent(h, u.OpenID, "TPL-R", "accept")
	for i := 0; i < 3; i++ {
		pushEvent(t, h, ev).Expect(200)
	}
	var q model.SubscriptionQuota
	h.DB.Where("user_id = ? AND template_id = ?", u.ID, "TPL-R").First(&q)
	var events int64
	h.DB.Model(&model.PushEvent{}).Count(&events)
	if q.Remaining != 1 || events != 1 {
		t.Fatalf("after 3 deliveries of one event: remaining %d, %d events stored; want 1 and 1", q.Remaining, events)
	}
	// Keys are kept a week, then purged.
	h.Clock.Advance(6 * 24 * time.Hour)
	if n, err := h.App.Services.Push.Purge(context.Background()); err != nil || n != 0 {
		t.Fatalf("purged %d within the week: %v", n, err)
	}
	h.Clock.Advance(2 * 24 * time.Hour)
	if n, err := h.App.Services.Push.Purge(context.Background()); err != nil || n != 1 {
		t.Fatalf("purged %d after the week, want 1: %v", n, err)
	}
	// A risky verdict delivered twice notifies once.
	var a uploadAnswer
	upload(t, h, u, "p.jpg", testJPEG(t, 16, 16), "post").Expect(201).JSON(&a)
	trace := h.WeChat.MediaChecks()[0].TraceID
	pushEvent(t, h, mediaCheckEvent(h, trace, "risky")).Expect(200)
	pushEvent(t, h, mediaCheckEvent(h, trace, "risky")).Expect(200)
	var notes int64
	h.DB.Model(&model.Notification{}).Where("user_id = ? AND event = ?", u.ID, "image_removed").Count(&notes)
	if notes != 1 {
		t.Fatalf("%d image_removed notifications, want 1", notes)
	}
}

func TestPush_RiskyImageDisappears(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	circles := circleIDs(t, h)
	mom := circleMember(t, h, "mom-risky", circles["yunma"])
	other := circleMember(t, h, "other-risky", circles["yunma"])
	staff := h.Staff("staff-risky", 1)
	var ok1, bad uploadAnswer
	upload(t, h, mom, "bowl.jpg", testJPEG(t, 30, 20), "post").Expect(201).JSON(&ok1)
	upload(t, h, mom, "bad.png", testPNG(t, 12, 12), "post").Expect(201).JSON(&bad)
	// Someone else's upload cannot be attached.
	h.Do("POST", "/api/v1/circles/"+circles["yunma"]+"/posts", map[string]any{"content": "偷图", "upload_ids": []int64{ok1.ID}},
		testkit.Token(other.Token)).ExpectError(422, "upload_not_usable")
	var post struct {
		ID     int64 `json:"id"`
		Images []struct {
			UploadID int64  `json:"upload_id"`
			Check    string `json:"check"`
		} `json:"images"`
		ImageURLs []string `json:"image_urls"`
	}
	h.Do("POST", "/api/v1/circles/"+circles["yunma"]+"/posts", map[string]any{"content": "宝宝第一次吃辅食", "upload_ids": []int64{ok1.ID, bad.ID}},
		testkit.Token(mom.Token)).Expect(201).JSON(&post)
	if len(post.Images) != 2 || post.Images[0].Check != "pending" || len(post.ImageURLs) != 2 {
		t.Fatalf("author's view %+v", post)
	}
	imagesSeenBy := func(tok string) int {
		t.Helper()
		var p struct {
			Images []any `json:"images"`
		}
		h.Do("GET", "/api/v1/posts/"+itoa(post.ID), nil, testkit.Token(tok)).Expect(200).JSON(&p)
		return len(p.Images)
	}
	if n := imagesSeenBy(other.Token); n != 0 {
		t.Fatalf("another resident sees %d images before the check", n)
	}
	if n := imagesSeenBy(staff.Token); n != 2 {
		t.Fatalf("staff see %d images before the check", n)
	}
	checks := h.WeChat.MediaChecks()
	if len(checks) != 2 {
		t.Fatalf("%d media checks", len(checks))
	}
	pushEvent(t, h, mediaCheckEvent(h, checks[0].TraceID, "pass")).Expect(200)
	pushEvent(t, h, mediaCheckEvent(h, checks[1].TraceID, "risky")).Expect(200)
	for who, tok := range map[string]string{"other": other.Token, "author": mom.Token, "staff": staff.Token} {
		if n := imagesSeenBy(tok); n != 1 {
			t.Fatalf("%s sees %d images after pass+risky, want 1", who, n)
		}
	}
	h.Do("GET", bad.URL, nil).Expect(404)
	h.Do("GET", ok1.URL, nil).Expect(200)
	var n int64
	h.DB.Model(&model.Notification{}).Where("user_id = ? AND event = ?", mom.ID, "image_removed").Count(&n)
	if n != 1 {
		t.Fatalf("%d image_removed notifications", n)
	}
	// Deleting the post deletes its files.
	h.Do("DELETE", "/api/v1/posts/"+itoa(post.ID), nil, testkit.Token(mom.Token)).Expect(204)
	h.Do("GET", ok1.URL, nil).Expect(404)
}

func TestPush_ReviewGoesToStaffQueue(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	u := h.Login("review-user")
	staff := h.Staff("staff-review", 1)
	var a uploadAnswer
	upload(t, h, u, "r.jpg", testJPEG(t, 16, 16), "avatar").Expect(201).JSON(&a)
	if c := h.WeChat.MediaChecks(); len(c) != 1 || c[0].Scene != 1 {
		t.Fatalf("avatar checks %+v (want scene 1)", c)
	}
	pushEvent(t, h, mediaCheckEvent(h, h.WeChat.MediaChecks()[0].TraceID, "review")).Expect(200)
	var q struct {
		Items []uploadAnswer `json:"items"`
	}
	h.Do("GET", "/api/v1/staff/uploads/review", nil, testkit.Token(staff.Token)).Expect(200).JSON(&q)
	if len(q.Items) != 1 || q.Items[0].ID != a.ID || q.Items[0].Check != "review" {
		t.Fatalf("queue %+v", q)
	}
	h.Do("GET", "/api/v1/staff/uploads/review", nil, testkit.Token(u.Token)).ExpectError(403, "forbidden")
	// The avatar waits for the verdict before anyone sees it.
	h.Do("PUT", "/api/v1/me", map[string]any{"avatar_upload_id": a.ID}, testkit.Token(u.Token)).Expect(200)
	if me := h.Do("GET", "/api/v1/me", nil, testkit.Token(u.Token)).Expect(200).Map(); me["avatar_url"] != "" {
		t.Fatalf("avatar shown before the check: %v", me["avatar_url"])
	}
	h.Do("POST", "/api/v1/staff/uploads/"+itoa(a.ID)+"/verdict", map[string]any{"verdict": "pass"}, testkit.Token(staff.Token)).Expect(200)
	if me := h.Do("GET", "/api/v1/me", nil, testkit.Token(u.Token)).Expect(200).Map(); me["avatar_url"] != a.URL {
		t.Fatalf("avatar after pass: %v", me["avatar_url"])
	}
	h.Do("POST", "/api/v1/staff/uploads/"+itoa(a.ID)+"/verdict", map[string]any{"verdict": "risky"}, testkit.Token(staff.Token)).ExpectError(409, "invalid_transition")
}

func TestPush_RejectedPopupStopsSends(t *testing.T) {
	h := testkit.New(t, testkit.WithConfig(func(c *config.Config) {
		c.WeChatTemplates = map[string]string{"image_removed": "TPL-IMG"}
	}))
	rejecter := h.Login("rejecter")
	accepter := h.Login("accepter")
	for _, u := range []testkit.User{rejecter, accepter} {
		// The fast path: the client reports an acceptance.
		h.Do("POST", "/api/v1/me/subscriptions", map[string]any{"template_ids": []string{"TPL-IMG"}}, testkit.Token(u.Token)).Expect(200)
	}
	// WeChat says the first user rejected the popup after all.
	pushEvent(t, h, popupEvent(h, rejecter.OpenID, "TPL-IMG", "reject")).Expect(200)
	for _, u := range []testkit.User{rejecter, accepter} {
		upload(t, h, u, "x.jpg", testJPEG(t, 8, 8), "post").Expect(201)
	}
	for _, c := range h.WeChat.MediaChecks() {
		pushEvent(t, h, mediaCheckEvent(h, c.TraceID, "risky")).Expect(200)
	}
	if _, err := h.App.Services.Notifications.PushPending(context.Background()); err != nil {
		t.Fatal(err)
	}
	sent := h.WeChat.Sent()
	if len(sent) != 1 || sent[0]["touser"] != accepter.OpenID {
		t.Fatalf("sent %v, want one message to the accepter only", sent)
	}
	var skipped int64
	h.DB.Model(&model.Notification{}).Where("user_id = ? AND push_status = ?", rejecter.ID, model.PushSkipped).Count(&skipped)
	if skipped != 1 {
		t.Fatalf("rejecter's notification not skipped")
	}
}

func TestUpload_ArticleCoverByStaff(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	staff := h.Staff("cover-staff", 1)
	var a uploadAnswer
	upload(t, h, staff, "cover.webp", testPNG(t, 64, 36), "article_cover").Expect(201).JSON(&a)
	if a.Check != "none" {
		t.Fatalf("staff uploads are not sent to WeChat: %+v", a)
	}
	art := h.Do("POST", "/api/v1/staff/articles", map[string]any{"title": "辅食添加", "body": "六个月起添加辅食。", "category": "nutrition",
		"stages": []string{"infant_6_12m"}, "cover_upload_id": a.ID}, testkit.Token(staff.Token)).Expect(201).Map()
	if art["cover_url"] != a.URL {
		t.Fatalf("cover_url %v, want %s", art["cover_url"], a.URL)
	}
	var up model.Upload
	h.DB.First(&up, a.ID)
	if up.RefType != "article" || up.AttachedAt == nil {
		t.Fatalf("cover not attached: %+v", up)
	}
}

func TestUpload_CommentImages(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	circles := circleIDs(t, h)
	mom := circleMember(t, h, "mom-comment", circles["baoma"])
	other := circleMember(t, h, "other-comment", circles["baoma"])
	post := h.Do("POST", "/api/v1/circles/"+circles["baoma"]+"/posts", map[string]any{"content": "宝宝湿疹怎么办"}, testkit.Token(mom.Token)).Expect(201).Map()
	pid := itoa(int64(post["id"].(float64)))
	var a, b uploadAnswer
	upload(t, h, other, "rash.jpg", testJPEG(t, 20, 20), "comment").Expect(201).JSON(&a)
	upload(t, h, other, "post.jpg", testJPEG(t, 21, 20), "post").Expect(201).JSON(&b)
	// An upload made for a post cannot go on a comment.
	h.Do("POST", "/api/v1/posts/"+pid+"/comments", map[string]any{"content": "看图", "upload_ids": []int64{b.ID}},
		testkit.Token(other.Token)).ExpectError(422, "upload_not_usable")
	h.Do("POST", "/api/v1/posts/"+pid+"/comments", map[string]any{"content": "我家的也这样", "upload_ids": []int64{a.ID}},
		testkit.Token(other.Token)).Expect(201)
	images := func(tok string) int {
		var list struct {
			Items []struct {
				Images []any `json:"images"`
			} `json:"items"`
		}
		h.Do("GET", "/api/v1/posts/"+pid+"/comments", nil, testkit.Token(tok)).Expect(200).JSON(&list)
		return len(list.Items[0].Images)
	}
	if images(mom.Token) != 0 || images(other.Token) != 1 {
		t.Fatal("a pending comment image is shown to its uploader only")
	}
	var check testkit.MediaCheck
	for _, c := range h.WeChat.MediaChecks() {
		if c.MediaURL == a.URL {
			check = c
		}
	}
	if check.Scene != 2 {
		t.Fatalf("comment image checked with scene %d, want 2", check.Scene)
	}
	pushEvent(t, h, mediaCheckEvent(h, check.TraceID, "pass")).Expect(200)
	if images(mom.Token) != 1 {
		t.Fatal("a passed comment image is shown to everyone")
	}
	// Deleting the post deletes its comments' photos.
	h.Do("DELETE", "/api/v1/posts/"+pid, nil, testkit.Token(mom.Token)).Expect(204)
	h.Do("GET", a.URL, nil).Expect(404)
}

// TestPush_XMLSafeMode: the XML data format in safe mode works as JSON does.
func TestPush_XMLSafeMode(t *testing.T) {
	h := testkit.New(t)
	u := h.Login("xml-user")
	var a uploadAnswer
	upload(t, h, u, "x.jpg", testJPEG(t, 12, 12), "post").Expect(201).JSON(&a)
	trace := h.WeChat.MediaChecks()[0].TraceID
	payload := "<xml><ToUserName><![CDATA[gh_fake]]></ToUserName><FromUserName><![CDATA[system]]></FromUserName>" +
		"<CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[wxa_media_check]]></Event>" +
		"<appid><![CDATA[" + h.Config.WeChatAppID + "]]></appid><trace_id><![CDATA[" + trace + "]]></trace_id><version>2</version>" +
		"<result><suggest><![CDATA[pass]]></suggest><label>100</label></result></xml>"
	q, body := testkit.PushRequestXML(h.Config.WeChatPushToken, h.Config.WeChatPushAESKey, h.Config.WeChatAppID, 1700000000, payload, true)
	h.Do("POST", "/api/v1/wechat/push?"+q, body, testkit.Header("Content-Type", "text/xml")).Expect(200)
	var up model.Upload
	h.DB.First(&up, a.ID)
	if up.CheckState != model.CheckPass {
		t.Fatalf("check %s after an XML pass verdict", up.CheckState)
	}
}

// TestPush_ConcurrentRetriesApplyOnce: WeChat's retry can arrive while the
// first delivery is still being applied; the event still counts once.
func TestPush_ConcurrentRetriesApplyOnce(t *testing.T) {
	h := testkit.New(t)
	u := h.Login("race-user")
	h.Do("POST", "/api/v1/me/subscriptions", map[string]any{"template_ids": []string{"TPL-RACE"}}, testkit.Token(u.Token)).Expect(200)
	h.Do("POST", "/api/v1/me/subscriptions", map[string]any{"template_ids": []string{"TPL-RACE"}}, testkit.Token(u.Token)).Expect(200)
	q, body := testkit.PushRequest(h.Config.WeChatPushToken, h.Config.WeChatPushAESKey, h.Config.WeChatAppID, h.Clock.Now().Unix(),
		map[string]any{"ToUserName": "gh_fake", "FromUserName": u.OpenID, "CreateTime": h.Clock.Now().Unix(), "MsgType": "event",
			"Event": "subscribe_msg_sent_event", "List": map[string]any{"TemplateId": "TPL-RACE", "MsgID": "1", "ErrorCode": "43101", "ErrorStatus": "fail"}}, true)
	const n = 6
	var wg sync.WaitGroup
	status := make([]int, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			status[i] = testkit.Do(t, h.App.Engine, "POST", "/api/v1/wechat/push?"+q, body).Status
		}()
	}
	close(start)
	wg.Wait()
	for i, s := range status {
		if s != 200 {
			t.Fatalf("delivery %d answered %d", i, s)
		}
	}
	var events int64
	h.DB.Model(&model.PushEvent{}).Count(&events)
	var quota model.SubscriptionQuota
	h.DB.Where("user_id = ? AND template_id = ?", u.ID, "TPL-RACE").First(&quota)
	if events != 1 || quota.Remaining != 0 {
		t.Fatalf("%d events stored, remaining %d; want 1 and 0 (a failed delivery clears the acceptance)", events, quota.Remaining)
	}
}
