package handler_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"familycare/config"
	"familycare/model"
	"familycare/testkit"
)

// circleRateLimits runs the rate-limit scenario with limits of 3 posts and 2
// comments per hour; shared says whether a second replica shares the counts.
func circleRateLimits(t *testing.T, shared bool, opts ...func(*config.Config)) {
	h := testkit.New(t, testkit.WithConfig(func(c *config.Config) {
		c.PostRateLimit, c.CommentRateLimit = 3, 2
		for _, o := range opts {
			o(c)
		}
	}))
	h.Seed()
	ids := circleIDs(t, h)
	circle := ids["beiyun"]
	u := circleMember(t, h, "busy", circle)
	other := circleMember(t, h, "calm", circle)
	h.Clock.Advance(10 * time.Minute) // 10:10 Shanghai: 50 minutes left in the window
	var post string
	for i := 0; i < 3; i++ {
		post = circleIDOf(circlePost(t, h, u, circle, fmt.Sprintf("第 %d 条", i+1)))
	}
	r := h.Do("POST", "/api/v1/circles/"+circle+"/posts", map[string]any{"content": "第 4 条"}, testkit.Token(u.Token)).ExpectError(429, "rate_limited")
	if ra := r.Header.Get("Retry-After"); ra != "3000" {
		t.Fatalf("Retry-After %q, want 3000", ra)
	}
	// Another user has a budget of their own.
	circlePost(t, h, other, circle, "我还可以发")
	// A second replica: shared through Redis, its own count in memory.
	replica := h.Replica()
	rr := testkit.Do(t, replica.Engine, "POST", "/api/v1/circles/"+circle+"/posts", map[string]any{"content": "换个实例"}, testkit.Token(u.Token))
	if shared {
		rr.ExpectError(429, "rate_limited")
	} else {
		rr.Expect(201)
	}

	for i := 0; i < 2; i++ {
		h.Do("POST", "/api/v1/posts/"+post+"/comments", map[string]any{"content": fmt.Sprintf("评论 %d", i+1)}, testkit.Token(u.Token)).Expect(201)
	}
	h.Do("POST", "/api/v1/posts/"+post+"/comments", map[string]any{"content": "评论 3"}, testkit.Token(u.Token)).ExpectError(429, "rate_limited")
	var n int64
	if err := h.DB.Model(&model.PostComment{}).Where("user_id = ?", u.ID).Count(&n).Error; err != nil || n != 2 {
		t.Fatalf("limited comments stored: %d %v", n, err)
	}

	// The next window starts on the hour.
	h.Clock.Advance(50 * time.Minute)
	circlePost(t, h, u, circle, "新的一小时")
	h.Do("POST", "/api/v1/posts/"+post+"/comments", map[string]any{"content": "评论 3"}, testkit.Token(u.Token)).Expect(201)
}

func TestCircle_RateLimitInMemory(t *testing.T) { circleRateLimits(t, false) }

func TestCircle_RateLimitRedis(t *testing.T) {
	addr := os.Getenv("TEST_REDIS_ADDR")
	if addr == "" {
		t.Skip("TEST_REDIS_ADDR is not set")
	}
	circleRateLimits(t, true, func(c *config.Config) {
		c.RedisAddr = addr
		c.RedisPrefix = fmt.Sprintf("t-%s-%d:", t.Name(), time.Now().UnixNano())
	})
}

// A Redis that does not answer must not stop the limits: they are counted
// in this process meanwhile. (The texts carry a blocked word, so they are
// counted and then refused locally without a WeChat call: the WeChat
// client's token cache would be slow with Redis down.)
func TestCircle_RateLimitRedisDownFallsBack(t *testing.T) {
	h := testkit.New(t, testkit.WithConfig(func(c *config.Config) {
		c.PostRateLimit = 2
		c.BlockedWords = []string{"代购"}
		c.RedisAddr = "127.0.0.1:1" // nothing listens there
	}))
	h.Seed()
	circle := circleIDs(t, h)["baoma"]
	u := circleMember(t, h, "u", circle)
	path := "/api/v1/circles/" + circle + "/posts"
	body := map[string]any{"content": "代购奶粉"}
	for i := 0; i < 2; i++ {
		h.Do("POST", path, body, testkit.Token(u.Token)).ExpectError(422, "content_rejected")
	}
	h.Do("POST", path, body, testkit.Token(u.Token)).ExpectError(429, "rate_limited")
	h.Clock.Advance(time.Hour)
	u = h.Login("u")
	h.Do("POST", path, body, testkit.Token(u.Token)).ExpectError(422, "content_rejected")
}
