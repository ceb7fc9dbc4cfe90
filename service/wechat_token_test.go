package service_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"familycare/config"
	"familycare/testkit"
)

// redisHarness is a harness whose app uses the Redis of TEST_REDIS_ADDR
// under a prefix of its own (removed when the test ends).
func redisHarness(t *testing.T) *testkit.Harness {
	t.Helper()
	addr := os.Getenv("TEST_REDIS_ADDR")
	if addr == "" {
		t.Skip("TEST_REDIS_ADDR is empty: the shared WeChat access token needs Redis (e.g. TEST_REDIS_ADDR=127.0.0.1:6379)")
	}
	prefix := fmt.Sprintf("fctest:%s:%d:%d:", t.Name(), os.Getpid(), time.Now().UnixNano())
	h := testkit.New(t, testkit.WithConfig(func(c *config.Config) {
		c.RedisAddr = addr
		c.RedisPrefix = prefix
	}))
	rdb := h.App.Redis
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := rdb.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	return h
}

// bindPhones binds a phone for each user at once, spread over engines, and
// checks every bind succeeded.
func bindPhones(t *testing.T, engines []http.Handler, users []testkit.User) {
	t.Helper()
	start := make(chan struct{})
	var wg sync.WaitGroup
	status := make([]int, len(users))
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res := testkit.Do(t, engines[i%len(engines)], "POST", "/api/v1/me/phone",
				map[string]any{"code": fmt.Sprintf("phone-1380000%04d", i)}, testkit.Token(u.Token))
			status[i] = res.Status
		}()
	}
	close(start)
	wg.Wait()
	for i, s := range status {
		if s != http.StatusOK {
			t.Fatalf("bind %d answered %d, want 200", i, s)
		}
	}
}

func loginMany(h *testkit.Harness, n int) []testkit.User {
	users := make([]testkit.User, n)
	for i := range users {
		users[i] = h.Login(fmt.Sprintf("tok-user-%d", i))
	}
	return users
}

// Two more replicas on the same Redis prefix: concurrent phone binds over
// the three share one stable access token, each replica asking WeChat at
// most once (a replica that misses while another fetches gets the same
// token: no lock is needed any more); it is stored for expires_in - 300 s.
// The old /cgi-bin/token is never called.
func TestWeChatToken_ReplicasFetchOnce(t *testing.T) {
	h := redisHarness(t)
	engines := []http.Handler{h.App.Engine, h.Replica().Engine, h.Replica().Engine}
	users := loginMany(h, 12)

	bindPhones(t, engines, users)
	if n := h.WeChat.Calls("/cgi-bin/stable_token"); n < 1 || n > 3 {
		t.Fatalf("the stable token was fetched %d times by 3 replicas, want 1 to 3", n)
	}
	if n := h.WeChat.TokensIssued(); n != 1 {
		t.Fatalf("%d tokens issued for one app id, want 1", n)
	}
	if n := h.WeChat.Calls("/cgi-bin/token"); n != 0 {
		t.Fatalf("/cgi-bin/token called %d times; only the stable token is used", n)
	}
	if n := h.WeChat.Calls("/wxa/business/getuserphonenumber"); n != len(users) {
		t.Fatalf("%d phone calls, want %d", n, len(users))
	}
	ctx := context.Background()
	rdb := h.App.Redis
	key := h.Config.RedisPrefix + "wx:access_token:" + h.Config.WeChatAppID
	ttl, err := rdb.TTL(ctx, key).Result()
	if err != nil || ttl < 6890*time.Second || ttl > 6900*time.Second {
		t.Fatalf("token TTL %v (%v), want expires_in 7200 - 300 = 6900s", ttl, err)
	}

	// The cached copy expires: the next storm reads it again (still the
	// one token) and no replica waits on a lock.
	before := h.WeChat.Calls("/cgi-bin/stable_token")
	rdb.Del(ctx, key)
	bindPhones(t, engines, users)
	if n := h.WeChat.Calls("/cgi-bin/stable_token") - before; n < 1 || n > 3 {
		t.Fatalf("after expiry the token was fetched %d more times, want 1 to 3", n)
	}
	if n := h.WeChat.TokensIssued(); n != 1 {
		t.Fatalf("%d tokens issued, want still 1", n)
	}
}

// Without Redis the SDK's own stable-token handle serves the process.
func TestWeChatToken_StableWithoutRedis(t *testing.T) {
	h := testkit.New(t)
	users := loginMany(h, 4)
	bindPhones(t, []http.Handler{h.App.Engine}, users)
	if s, o := h.WeChat.Calls("/cgi-bin/stable_token"), h.WeChat.Calls("/cgi-bin/token"); s != 1 || o != 0 {
		t.Fatalf("stable_token %d calls, token %d; want 1 and 0", s, o)
	}
}

// With Redis unreachable, the token is fetched and kept by this process: the
// service stays up and still fetches it once.
func TestWeChatToken_RedisDownFallsBackToProcess(t *testing.T) {
	h := testkit.New(t, testkit.WithConfig(func(c *config.Config) {
		c.RedisAddr = "127.0.0.1:1" // nothing listens there
		c.RedisPrefix = fmt.Sprintf("fctest:%s:%d:", t.Name(), time.Now().UnixNano())
	}))
	users := loginMany(h, 4)
	bindPhones(t, []http.Handler{h.App.Engine}, users)
	bindPhones(t, []http.Handler{h.App.Engine}, users)
	if n := h.WeChat.Calls("/cgi-bin/stable_token"); n != 1 {
		t.Fatalf("token fetched %d times with Redis down, want 1 (kept in the process)", n)
	}
}
