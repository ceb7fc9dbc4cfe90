package service

import (
	"context"
	"fmt"
	"golang.org/x/text/unicode/norm"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/redis/go-redis/v9"
)

// blockList is the configured list of blocked words (BLOCKED_WORDS): plain
// words match anywhere in the text after both are normalised (NFKC, so
// fullwidth letters are letters; format characters such as zero-width
// spaces, joiners and soft hyphens dropped; case folded), and also with the
// text's white space removed; "re:<pattern>" entries are regular
// expressions, matched against the normalised text too.
type blockList struct {
	words []string
	res   []*regexp.Regexp
}

func newBlockList(entries []string, log *slog.Logger) *blockList {
	b := &blockList{}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if pat, ok := strings.CutPrefix(e, "re:"); ok {
			re, err := regexp.Compile(pat)
			if err != nil {
				// A broken pattern must not stop the service; it is loud in the log.
				log.Error("BLOCKED_WORDS: pattern does not compile, ignored", "pattern", pat, "err", err.Error())
				continue
			}
			b.res = append(b.res, re)
			continue
		}
		if e != "" {
			b.words = append(b.words, normalizeForMatch(e))
		}
	}
	return b
}

// match reports whether text holds a blocked word.
func (b *blockList) match(text string) bool {
	lower := normalizeForMatch(text)
	squeezed := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, lower)
	for _, w := range b.words {
		if strings.Contains(lower, w) || strings.Contains(squeezed, w) {
			return true
		}
	}
	for _, re := range b.res {
		if re.MatchString(text) || re.MatchString(lower) || re.MatchString(squeezed) {
			return true
		}
	}
	return false
}

// normalizeForMatch is what blocked words compare: NFKC, without format
// characters (Unicode category Cf: U+200B..U+200D, U+2060, U+00AD, U+FEFF,
// bidi controls), case-folded.
func normalizeForMatch(s string) string {
	s = norm.NFKC.String(s)
	s = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	return strings.ToLower(s)
}

// rateLimiter counts a user's actions in fixed windows of the service clock
// (the window start is part of the key, so moving the clock starts a new
// window). With Redis the counts are shared by every replica; without it, or
// while Redis fails, this process counts alone.
type rateLimiter struct {
	rdb    *redis.Client
	prefix string
	clock  Clock
	log    *slog.Logger

	mu    sync.Mutex
	local map[string]*localWindow
	// After a Redis failure the limiter counts locally until retryAt, so an
	// outage does not slow every request down.
	retryAt time.Time
}

// redisPause is how long the limiter counts locally after Redis failed.
const redisPause = 30 * time.Second

func (l *rateLimiter) useRedis(now time.Time) bool {
	if l.rdb == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return !now.Before(l.retryAt)
}

func (l *rateLimiter) redisFailed(now time.Time, err error) {
	l.log.Warn("rate limit: redis failed, counting in this process for a while", "err", err.Error(), "pause", redisPause.String())
	l.mu.Lock()
	l.retryAt = now.Add(redisPause)
	l.mu.Unlock()
}

type localWindow struct {
	n   int64
	end time.Time
}

func newRateLimiter(rdb *redis.Client, prefix string, clock Clock, log *slog.Logger) *rateLimiter {
	return &rateLimiter{rdb: rdb, prefix: prefix, clock: clock, log: log, local: map[string]*localWindow{}}
}

// hit counts one action of the user; past limit per window it returns 429
// rate_limited with RetryAfter at the window's end. limit <= 0 is no limit.
func (l *rateLimiter) hit(ctx context.Context, action string, userID int64, limit int, window time.Duration) error {
	if limit <= 0 {
		return nil
	}
	now := l.clock.Now()
	start := now.Truncate(window)
	end := start.Add(window)
	key := fmt.Sprintf("%scircle:rate:%s:%d:%d", l.prefix, action, userID, start.Unix())
	var n int64
	shared := false
	if l.useRedis(now) {
		var err error
		if n, err = l.incrRedis(ctx, key, window); err != nil {
			l.redisFailed(now, err)
		} else {
			shared = true
		}
	}
	if !shared {
		n = l.incrLocal(key, now, end)
	}
	if n > int64(limit) {
		e := ErrRateLimited.Msg("at most %d per hour; try again later", limit).
			With(map[string]any{"limit": limit, "window_seconds": int(window.Seconds())})
		e.RetryAfter = end.Sub(now)
		return e
	}
	return nil
}

func (l *rateLimiter) incrRedis(ctx context.Context, key string, window time.Duration) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	pipe := l.rdb.TxPipeline()
	incr := pipe.Incr(ctx, key)
	// The key names its window; the TTL (real time) only cleans up.
	pipe.Expire(ctx, key, window+time.Minute)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, err
	}
	return incr.Val(), nil
}

func (l *rateLimiter) incrLocal(key string, now, end time.Time) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.local) > 10000 {
		for k, w := range l.local {
			if !w.end.After(now) {
				delete(l.local, k)
			}
		}
	}
	w := l.local[key]
	if w == nil {
		w = &localWindow{end: end}
		l.local[key] = w
	}
	w.n++
	return w.n
}
