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
// the three fetch the access token from WeChat once; the token is stored for
// expires_in - 1500 s and the lock is released. When it expires, it is
// fetched once again.
func TestWeChatToken_ReplicasFetchOnce(t *testing.T) {
	h := redisHarness(t)
	engines := []http.Handler{h.App.Engine, h.Replica().Engine, h.Replica().Engine}
	users := loginMany(h, 12)

	bindPhones(t, engines, users)
	if n := h.WeChat.Calls("/cgi-bin/token"); n != 1 {
		t.Fatalf("the access token was fetched %d times by 3 replicas, want 1", n)
	}
	if n := h.WeChat.Calls("/wxa/business/getuserphonenumber"); n != len(users) {
		t.Fatalf("%d phone calls, want %d", n, len(users))
	}
	ctx := context.Background()
	rdb := h.App.Redis
	key := h.Config.RedisPrefix + "wx:access_token:" + h.Config.WeChatAppID
	ttl, err := rdb.TTL(ctx, key).Result()
	if err != nil || ttl < 5690*time.Second || ttl > 5700*time.Second {
		t.Fatalf("token TTL %v (%v), want expires_in 7200 - 1500 = 5700s", ttl, err)
	}
	if n, _ := rdb.Exists(ctx, h.Config.RedisPrefix+"wx:access_token_lock:"+h.Config.WeChatAppID).Result(); n != 0 {
		t.Fatal("the refresh lock was not released")
	}

	// The token expires: the next storm fetches exactly one new token.
	rdb.Del(ctx, key)
	bindPhones(t, engines, users)
	if n := h.WeChat.Calls("/cgi-bin/token"); n != 2 {
		t.Fatalf("after expiry the token was fetched %d more times, want 1", n-1)
	}
}

// A replica that died holding the lock blocks the refresh only until the
// lock's lease ends; a lock of another holder is never deleted by us.
func TestWeChatToken_DeadLockHolder(t *testing.T) {
	h := redisHarness(t)
	u := h.Login("tok-dead-lock")
	ctx := context.Background()
	rdb := h.App.Redis
	lockKey := h.Config.RedisPrefix + "wx:access_token_lock:" + h.Config.WeChatAppID
	if err := rdb.Set(ctx, lockKey, "another-replica", 300*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	h.Do("POST", "/api/v1/me/phone", map[string]any{"code": "phone-13800001111"}, testkit.Token(u.Token)).Expect(200)
	if n := h.WeChat.Calls("/cgi-bin/token"); n != 1 {
		t.Fatalf("token fetched %d times, want 1", n)
	}

	// A lock taken by someone else while we hold none stays theirs.
	if err := rdb.Set(ctx, lockKey, "another-replica", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	h.Do("POST", "/api/v1/me/phone", map[string]any{"code": "phone-13800001112"}, testkit.Token(u.Token)).Expect(200)
	if v, _ := rdb.Get(ctx, lockKey).Result(); v != "another-replica" {
		t.Fatalf("the other holder's lock became %q", v)
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
	if n := h.WeChat.Calls("/cgi-bin/token"); n != 1 {
		t.Fatalf("token fetched %d times with Redis down, want 1 (kept in the process)", n)
	}
}
