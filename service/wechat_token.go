package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/silenceper/wechat/v2/credential"
)

// wxAccessTokenURL is WeChat's /cgi-bin/token (the SDK's accessTokenURL).
const wxAccessTokenURL = "https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=%s&secret=%s"

// wxTokenMargin is how long before WeChat's expiry a token is dropped (as
// the SDK does: expires_in - 1500 s).
const wxTokenMargin = 1500 * time.Second

// unlockScript deletes the lock only if this process still holds it (its
// lease may have expired and another replica taken it).
var unlockScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

// redisAccessToken is the WeChat access token shared by every replica
// through Redis (credential.AccessTokenContextHandle). WeChat invalidates a
// token a few minutes after a new one is fetched, so replicas must not each
// refresh their own: on a miss one replica takes a Redis lock (SET NX PX,
// released by compare-and-delete), checks again, fetches, stores the token
// with WeChat's lifetime less a margin and unlocks; the others wait briefly
// and read what it stored. Inside one process a single goroutine at a time
// goes for the lock.
//
// When Redis fails, the token is fetched and kept in this process (as
// without Redis) until Redis answers again.
//
// It also serves as the WeChatClient's cache (cache.Cache), so that
// withToken's Delete drops a token WeChat rejected.
type redisAccessToken struct {
	rdb           *redis.Client
	appID, secret string
	prefix        string // <REDIS_PREFIX>wx:
	key, lockKey  string
	lockTTL       time.Duration
	poll          time.Duration
	log           *slog.Logger

	refreshing chan struct{} // one goroutine of this process refreshes at a time
	degraded   atomic.Bool   // Redis failed: log the change once
	// pausedUntil (unix ns): after a Redis failure, skip Redis for a while
	// instead of paying its dial and retry timeouts on every WeChat call.
	pausedUntil atomic.Int64

	mu       sync.Mutex // guards the process-local token used while Redis fails
	localTok string
	localExp time.Time
}

// wxTokenKey is the shared access token's cache key, relative to the
// cache prefix.
func wxTokenKey(appID string) string { return "access_token:" + appID }

// sdkTokenKey is the key under which the SDK's own handle caches the token
// (credential.DefaultAccessToken: "<prefix>_access_token_<appid>").
func sdkTokenKey(appID string) string {
	return fmt.Sprintf("%s_access_token_%s", credential.CacheKeyMiniProgramPrefix, appID)
}

func newRedisAccessToken(rdb *redis.Client, redisPrefix, appID, secret string, timeout time.Duration, log *slog.Logger) *redisAccessToken {
	prefix := redisPrefix + "wx:"
	return &redisAccessToken{
		rdb: rdb, appID: appID, secret: secret, prefix: prefix,
		key:        prefix + wxTokenKey(appID),
		lockKey:    prefix + "access_token_lock:" + appID,
		lockTTL:    max(2*timeout, 5*time.Second),
		poll:       50 * time.Millisecond,
		log:        log,
		refreshing: make(chan struct{}, 1),
	}
}

// GetAccessToken implements credential.AccessTokenHandle (SDK calls without
// a context); the wait is bounded by the lock's lease.
func (t *redisAccessToken) GetAccessToken() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*t.lockTTL)
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
	select {
	case t.refreshing <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-t.refreshing }()
	for {
		// Another goroutine or replica may have stored one meanwhile.
		tok, err := t.read(ctx)
		if err != nil {
			return t.redisFailed(ctx, err)
		}
		if tok != "" {
			return tok, nil
		}
		owner, err := randomToken()
		if err != nil {
			return "", err
		}
		locked, err := t.rdb.SetNX(ctx, t.lockKey, owner, t.lockTTL).Result()
		if err != nil {
			return t.redisFailed(ctx, err)
		}
		if locked {
			return t.refresh(ctx, owner)
		}
		// Another replica is refreshing: wait briefly and read again. Its
		// lease bounds the wait if it dies holding the lock.
		timer := time.NewTimer(t.poll)
		select {
		case <-ctx.Done():
			timer.Stop()
			return "", ctx.Err()
		case <-timer.C:
		}
	}
}

// refresh fetches a token while holding the lock, stores it and unlocks.
func (t *redisAccessToken) refresh(ctx context.Context, owner string) (string, error) {
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		if err := unlockScript.Run(uctx, t.rdb, []string{t.lockKey}, owner).Err(); err != nil {
			t.log.Warn("wechat access token: unlock failed; the lock expires by itself", "err", err.Error())
		}
	}()
	// Double-check under the lock: a replica may have stored a token between
	// our read and our lock.
	if tok, err := t.read(ctx); err == nil && tok != "" {
		return tok, nil
	}
	tok, ttl, err := t.fetch(ctx)
	if err != nil {
		return "", err
	}
	if err := t.rdb.Set(ctx, t.key, tok, ttl).Err(); err != nil {
		t.log.Warn("wechat access token: could not store it in redis", "err", err.Error())
		t.keepLocal(tok, ttl)
	}
	t.log.Info("wechat access token refreshed", "ttl", ttl.String())
	return tok, nil
}

// fetch asks WeChat for a new token and how long to keep it.
func (t *redisAccessToken) fetch(ctx context.Context) (string, time.Duration, error) {
	res, err := credential.GetTokenFromServerContext(ctx, fmt.Sprintf(wxAccessTokenURL, t.appID, t.secret))
	if err != nil {
		return "", 0, err
	}
	if res.AccessToken == "" {
		return "", 0, errors.New("wechat /cgi-bin/token: empty access_token")
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

func (t *redisAccessToken) keepLocal(tok string, ttl time.Duration) {
	t.mu.Lock()
	t.localTok, t.localExp = tok, time.Now().Add(ttl)
	t.mu.Unlock()
}

func randomToken() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
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
