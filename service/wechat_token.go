package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/cache"
	"github.com/silenceper/wechat/v2/credential"
)

// wxTokenMargin is how long before WeChat's expiry a token is dropped. The
// stable token stays valid for its whole lifetime whoever else asks for
// one, so a short margin is enough (the SDK uses 300 s).
const wxTokenMargin = 300 * time.Second

// redisAccessToken is WeChat's stable access token (getStableAccessToken,
// /cgi-bin/stable_token), one per app id shared by every replica through
// Redis (credential.AccessTokenContextHandle).
//
// The stable token is why this is short: asking for it in normal mode
// (force_refresh false) returns the token in force and never invalidates
// it, so replicas, and other systems using the same app id, no longer
// knock out each other's tokens. The Redis refresh lock (SET NX, lease,
// compare-and-delete unlock, polling) that the old /cgi-bin/token needed is
// gone: two replicas that both miss simply get the same token. Redis only
// saves the calls (stable_token is rate limited); inside one process a
// single goroutine at a time fetches.
//
// When Redis fails, the token is fetched and kept in this process until
// Redis answers again.
//
// It also serves as the WeChatClient's cache (cache.Cache), so that
// withToken's Delete drops a token WeChat rejected.
type redisAccessToken struct {
	rdb    *redis.Client
	appID  string
	prefix string // <REDIS_PREFIX>wx:
	key    string
	stable *credential.StableAccessToken
	log    *slog.Logger

	mu       sync.Mutex // one fetch at a time in this process; guards the local token
	localTok string
	localExp time.Time
	degraded atomic.Bool // Redis failed: log the change once
	// pausedUntil (unix ns): after a Redis failure, skip Redis for a while
	// instead of paying its dial and retry timeouts on every WeChat call.
	pausedUntil atomic.Int64
}

// wxTokenKey is the shared access token's cache key, relative to the
// cache prefix.
func wxTokenKey(appID string) string { return "access_token:" + appID }

// sdkTokenKey is the key under which the SDK's stable handle caches the
// token (credential.StableAccessToken: "<prefix>_stable_access_token_<appid>").
func sdkTokenKey(appID string) string {
	return fmt.Sprintf("%s_stable_access_token_%s", credential.CacheKeyMiniProgramPrefix, appID)
}

// newStableToken is the SDK's stable-token client; only its
// GetAccessTokenDirectly is used here (the cache it wants is unused).
func newStableToken(appID, secret string) *credential.StableAccessToken {
	h, _ := credential.NewStableAccessToken(appID, secret, credential.CacheKeyMiniProgramPrefix, cache.NewMemory()).(*credential.StableAccessToken)
	return h
}

func newRedisAccessToken(rdb *redis.Client, redisPrefix, appID, secret string, log *slog.Logger) *redisAccessToken {
	prefix := redisPrefix + "wx:"
	return &redisAccessToken{rdb: rdb, appID: appID, prefix: prefix, key: prefix + wxTokenKey(appID),
		stable: newStableToken(appID, secret), log: log}
}

// GetAccessToken implements credential.AccessTokenHandle (SDK calls without
// a context).
func (t *redisAccessToken) GetAccessToken() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return t.GetAccessTokenContext(ctx)
}

// GetAccessTokenContext implements credential.AccessTokenContextHandle.
func (t *redisAccessToken) GetAccessTokenContext(ctx context.Context) (string, error) {
	if time.Now().UnixNano() < t.pausedUntil.Load() {
		return t.local(ctx)
	}
	tok, err := t.read(ctx)
	if err != nil {
		return t.redisFailed(ctx, err)
	}
	if tok != "" {
		return tok, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	// Another goroutine of this process (or a replica) may have stored it.
	if tok, err := t.read(ctx); err == nil && tok != "" {
		return tok, nil
	}
	tok, ttl, err := t.fetch(ctx)
	if err != nil {
		return "", err
	}
	if err := t.rdb.Set(ctx, t.key, tok, ttl).Err(); err != nil {
		t.log.Warn("wechat access token: could not store it in redis", "err", err.Error())
		t.localTok, t.localExp = tok, time.Now().Add(ttl)
	}
	t.log.Info("wechat access token fetched", "ttl", ttl.String())
	return tok, nil
}

// fetch asks WeChat for the stable token in force and how long to keep it.
func (t *redisAccessToken) fetch(ctx context.Context) (string, time.Duration, error) {
	res, err := t.stable.GetAccessTokenDirectly(ctx, false)
	if err != nil {
		return "", 0, err
	}
	if res.AccessToken == "" {
		return "", 0, errors.New("wechat /cgi-bin/stable_token: empty access_token")
	}
	ttl := time.Duration(res.ExpiresIn)*time.Second - wxTokenMargin
	if ttl <= 0 {
		ttl = time.Duration(res.ExpiresIn) * time.Second / 2
	}
	if ttl <= 0 {
		ttl = time.Minute
	}
	return res.AccessToken, ttl, nil
}

// read returns the shared token ("" when there is none).
func (t *redisAccessToken) read(ctx context.Context) (string, error) {
	tok, err := t.rdb.Get(ctx, t.key).Result()
	switch {
	case err == nil:
		if t.degraded.CompareAndSwap(true, false) {
			t.log.Info("wechat access token: redis answers again; replicas share the token")
		}
		return tok, nil
	case errors.Is(err, redis.Nil):
		return "", nil
	}
	return "", err
}

// redisFailed serves the token from this process while Redis fails (as a
// single replica would); a cancelled request is just cancelled.
func (t *redisAccessToken) redisFailed(ctx context.Context, err error) (string, error) {
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	if t.degraded.CompareAndSwap(false, true) {
		t.log.Warn("wechat access token: redis failed; this process keeps its own token until it answers", "err", err.Error())
	}
	t.pausedUntil.Store(time.Now().Add(redisFailurePause).UnixNano())
	return t.local(ctx)
}

// redisFailurePause is how long the token stays process-local after Redis
// failed before Redis is tried again.
const redisFailurePause = 30 * time.Second

// local serves the process's own token, fetching one when it has none.
func (t *redisAccessToken) local(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.localTok != "" && time.Now().Before(t.localExp) {
		return t.localTok, nil
	}
	tok, ttl, err := t.fetch(ctx)
	if err != nil {
		return "", err
	}
	t.localTok, t.localExp = tok, time.Now().Add(ttl)
	return tok, nil
}

// cache.Cache over <REDIS_PREFIX>wx:<key>. The WeChatClient only deletes
// through it: Delete(wxTokenKey(appID)) drops a token WeChat rejected.

func (t *redisAccessToken) Get(key string) any {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	v, err := t.rdb.Get(ctx, t.prefix+key).Result()
	if err != nil {
		return nil
	}
	return v
}

func (t *redisAccessToken) Set(key string, val any, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return t.rdb.Set(ctx, t.prefix+key, fmt.Sprint(val), timeout).Err()
}

func (t *redisAccessToken) IsExist(key string) bool { return t.Get(key) != nil }

func (t *redisAccessToken) Delete(key string) error {
	if key == wxTokenKey(t.appID) {
		t.mu.Lock()
		t.localTok = ""
		t.mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return t.rdb.Del(ctx, t.prefix+key).Err()
}
