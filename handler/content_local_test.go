package handler_test

import (
	"strings"
	"testing"

	"familycare/config"
	"familycare/model"
	"familycare/service"
	"familycare/testkit"
)

// devWithoutWeChat is `go run .` on a laptop: dev, no WeChat credentials.
func devWithoutWeChat(c *config.Config) {
	c.Env = config.EnvDev
	c.WeChatAppID, c.WeChatSecret = "", ""
	c.BlockedWords = []string{"代孕"}
}

// In dev without WeChat credentials a post is published at once; the
// documented test words give review and risky; blocked words are refused;
// the start-up log names the checker.
func TestLocalContentChecker_DevWithoutCredentials(t *testing.T) {
	h := testkit.New(t, testkit.WithConfig(devWithoutWeChat))
	if log := h.Log.String(); !strings.Contains(log, `"checker":"local"`) {
		t.Fatalf("start-up log does not name the local checker:\n%s", log)
	}
	h.Seed()
	circle := circleIDs(t, h)["baoma"]
	u := circleMember(t, h, "dev-mum", circle)

	post := circlePost(t, h, u, circle, "宝宝今天会翻身了")
	if post["status"] != model.PostPublished {
		t.Fatalf("plain post: status %v, want published at once", post["status"])
	}
	comment := h.Do("POST", "/api/v1/posts/"+circleIDOf(post)+"/comments", map[string]any{"content": "真棒"}, testkit.Token(u.Token)).
		Expect(201).Map()
	if comment["status"] != model.PostPublished {
		t.Fatalf("plain comment: status %v, want published", comment["status"])
	}

	review := circlePost(t, h, u, circle, "这条帖子用来"+service.LocalCheckReviewWord)
	if review["status"] != model.PostPendingReview {
		t.Fatalf("review word: status %v, want pending_review", review["status"])
	}
	var queued int64
	h.DB.Model(&model.Post{}).Where("id = ? AND check_state = ?", review["id"], model.PostCheckStaff).Count(&queued)
	if queued != 1 {
		t.Fatalf("review word: the post is not in the staff queue")
	}

	for _, text := range []string{"这条帖子用来" + service.LocalCheckRiskyWord, "介绍代孕"} {
		r := h.Do("POST", "/api/v1/circles/"+circle+"/posts", map[string]any{"content": text}, testkit.Token(u.Token)).Expect(422)
		if code := r.Map()["error"].(map[string]any)["code"]; code != "content_rejected" {
			t.Fatalf("%q: code %v, want content_rejected", text, code)
		}
	}
	if n := len(h.WeChat.Checked()); n != 0 {
		t.Fatalf("WeChat was asked %d times; the local checker answers in dev without credentials", n)
	}
}

// With credentials (and in test and prod) WeChat checks the text.
func TestLocalContentChecker_NotWithCredentials(t *testing.T) {
	h := testkit.New(t)
	if log := h.Log.String(); !strings.Contains(log, `"checker":"wechat"`) {
		t.Fatalf("start-up log does not name WeChat's checker:\n%s", log)
	}
	_, err := config.Load(func(k string) string {
		return map[string]string{"APP_ENV": "prod", "JWT_SECRET": strings.Repeat("s", 40)}[k]
	})
	if err == nil || !strings.Contains(err.Error(), "WECHAT_APPID") {
		t.Fatalf("prod without WeChat credentials: err %v, want a refusal naming WECHAT_APPID", err)
	}
}
