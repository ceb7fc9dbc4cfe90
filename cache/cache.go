// Package cache is familycare's in-process read cache: entries by string
// key with a time to live, bounded by the bytes they hold (each entry's
// encoded size, least recently used evicted first), and single-flight on
// misses: concurrent misses of one key run the loader once and share its
// result.
package cache

import (
	"container/list"
	"context"
	"encoding/json"
	"math"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// DefaultMaxBytes is the budget of one cache when none is configured.
const DefaultMaxBytes = 4 << 20

// entryOverhead is what an entry costs besides its value's bytes: the map
// slot, the list element and the key header (an estimate, counted so that
// many tiny entries are bounded too).
const entryOverhead = 96

// Cache holds values of type V by key.
type Cache[V any] struct {
	now  func() time.Time
	ttl  time.Duration
	max  int64
	size func(V) int

	mu    sync.Mutex
	gen   uint64
	used  int64
	order *list.List // front: most recently used
	items map[string]*list.Element

	flight singleflight.Group
	// beforeFlight (tests) runs when a caller has missed and is about to
	// join or start the load.
	beforeFlight func()
}

type entry[V any] struct {
	key     string
	value   V
	bytes   int64
	expires time.Time
}

// New makes a cache whose entries live ttl (by now) and whose entries hold
// at most maxBytes in all (DefaultMaxBytes when maxBytes <= 0); size tells
// an entry's bytes (its encoded size).
func New[V any](maxBytes int64, ttl time.Duration, now func() time.Time, size func(V) int) *Cache[V] {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return &Cache[V]{now: now, ttl: ttl, max: maxBytes, size: size, order: list.New(), items: map[string]*list.Element{}}
}

// Get returns the live value of key.
func (c *Cache[V]) Get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		var zero V
		return zero, false
	}
	e := el.Value.(*entry[V])
	if now := c.now(); !now.Before(e.expires) || now.Before(e.expires.Add(-c.ttl)) {
		c.remove(el)
		var zero V
		return zero, false
	}
	c.order.MoveToFront(el)
	return e.value, true
}

// Generation is read before a load whose result may be stored with PutAt.
func (c *Cache[V]) Generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// Put stores value under key.
func (c *Cache[V]) Put(key string, value V) {
	c.PutAt(c.Generation(), key, value)
}

// PutAt stores value unless the cache was purged since gen was read, so a
// slow read never puts back what a write just removed. A value larger than
// the whole budget is not stored; older entries are evicted until the new
// one fits.
func (c *Cache[V]) PutAt(gen uint64, key string, value V) {
	n := int64(c.size(value)) + int64(len(key)) + entryOverhead
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || n > c.max {
		return
	}
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
	for c.used+n > c.max {
		c.remove(c.order.Back())
	}
	c.items[key] = c.order.PushFront(&entry[V]{key: key, value: value, bytes: n, expires: c.now().Add(c.ttl)})
	c.used += n
}

func (c *Cache[V]) remove(el *list.Element) {
	e := c.order.Remove(el).(*entry[V])
	delete(c.items, e.key)
	c.used -= e.bytes
}

// Delete forgets key.
func (c *Cache[V]) Delete(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
}

// Purge forgets everything; loads that began before it store nothing, and
// later misses do not join them.
func (c *Cache[V]) Purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.used = 0
	c.order.Init()
	clear(c.items)
}

// Bytes is what the entries hold now (with their overhead).
func (c *Cache[V]) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used
}

// Len is the number of entries.
func (c *Cache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}

// GetOrLoad returns the live value of key, or runs load once for all the
// callers that miss key at the same time and stores its result when load
// says so (an error is never stored; every waiting caller gets it). The load runs in the
// goroutine of the caller that started it (a panic reaches that caller's
// recovery), with that caller's deadline but not its cancellation: a client
// that goes away does not fail the others waiting for the same load.
func (c *Cache[V]) GetOrLoad(ctx context.Context, key string, load func(ctx context.Context) (V, bool, error)) (V, error) {
	if v, ok := c.Get(key); ok {
		return v, nil
	}
	gen := c.Generation()
	if c.beforeFlight != nil {
		c.beforeFlight()
	}
	// Keyed by generation too: after a purge, a miss starts a new load
	// instead of waiting for one that read the old data.
	r, err, _ := c.flight.Do(strconv.FormatUint(gen, 10)+"\x00"+key, func() (any, error) {
		if v, ok := c.Get(key); ok { // stored by a load that just ended
			return v, nil
		}
		lctx := context.WithoutCancel(ctx)
		if dl, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			lctx, cancel = context.WithDeadline(lctx, dl)
			defer cancel()
		}
		v, store, err := load(lctx)
		if err != nil {
			return v, err
		}
		if store {
			c.PutAt(gen, key, v)
		}
		return v, nil
	})
	v, _ := r.(V)
	return v, err
}

// JSONSize is the encoded size of v: what a cache entry holding v is
// charged. A value that does not encode is charged more than any budget,
// so it is never stored.
func JSONSize(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return math.MaxInt32
	}
	return len(b)
}
