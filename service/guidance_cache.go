package service

import (
	"context"
	"slices"
	"sync"
	"time"

	"familycare/model"

	"gorm.io/gorm"
)

// Published article lists and reads are the hottest reads of the app. They
// are kept in process for a short TTL; every write through this process
// (create, edit, publish, archive) empties the cache at once, other replicas
// see the change within the TTL.
const (
	guidanceCacheTTL     = 30 * time.Second
	guidanceCacheMaxKeys = 2000
)

// cachedList is one page of published articles (without bodies).
type cachedList struct {
	rows []model.Article
	next string
}

// cachedArticle is a published article with its author's name.
type cachedArticle struct {
	article    model.Article
	authorName string
}

type cacheEntry[T any] struct {
	value   T
	expires time.Time
}

// guidanceCache holds read results by key. A result is stored only if no
// invalidation happened since the read began (the generation is unchanged),
// so a slow read never puts back what a write just removed.
type guidanceCache struct {
	clock    Clock
	mu       sync.RWMutex
	gen      uint64
	lists    map[string]cacheEntry[cachedList]
	articles map[int64]cacheEntry[cachedArticle]
}

func newGuidanceCache(clock Clock) *guidanceCache {
	return &guidanceCache{clock: clock, lists: map[string]cacheEntry[cachedList]{},
		articles: map[int64]cacheEntry[cachedArticle]{}}
}

// generation is read before a database read whose result may be stored.
func (c *guidanceCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

func (c *guidanceCache) list(key string) (cachedList, bool) {
	c.mu.RLock()
	e, ok := c.lists[key]
	c.mu.RUnlock()
	if !ok || !c.clock.Now().Before(e.expires) {
		return cachedList{}, false
	}
	return e.value, true
}

func (c *guidanceCache) putList(gen uint64, key string, v cachedList) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.lists) >= guidanceCacheMaxKeys {
		clear(c.lists) // crude but bounded: arbitrary search texts must not grow it
	}
	c.lists[key] = cacheEntry[cachedList]{value: v, expires: c.clock.Now().Add(guidanceCacheTTL)}
}

func (c *guidanceCache) article(id int64) (cachedArticle, bool) {
	c.mu.RLock()
	e, ok := c.articles[id]
	c.mu.RUnlock()
	if !ok || !c.clock.Now().Before(e.expires) {
		return cachedArticle{}, false
	}
	return e.value, true
}

func (c *guidanceCache) putArticle(gen uint64, v cachedArticle) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.articles) >= guidanceCacheMaxKeys {
		clear(c.articles)
	}
	c.articles[v.article.ID] = cacheEntry[cachedArticle]{value: v, expires: c.clock.Now().Add(guidanceCacheTTL)}
}

// invalidate forgets everything (after a write).
func (c *guidanceCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.lists)
	clear(c.articles)
}

// forgetArticles drops single articles (after their view counts moved).
func (c *guidanceCache) forgetArticles(ids []int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		delete(c.articles, id)
	}
}

// viewBuffer counts article reads in memory; Flush writes them with one
// UPDATE per article, never one per read.
type viewBuffer struct {
	mu     sync.Mutex
	counts map[int64]int64
}

func (b *viewBuffer) add(id int64) {
	b.mu.Lock()
	if b.counts == nil {
		b.counts = map[int64]int64{}
	}
	b.counts[id]++
	b.mu.Unlock()
}

// take removes and returns the buffered counts.
func (b *viewBuffer) take() map[int64]int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.counts
	b.counts = nil
	return m
}

// giveBack returns counts that could not be written.
func (b *viewBuffer) giveBack(m map[int64]int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.counts == nil {
		b.counts = map[int64]int64{}
	}
	for id, n := range m {
		b.counts[id] += n
	}
}

// Flush writes the buffered view counts (a background job; tests call
// it directly). Concurrent flushes each write what they took, so every read
// is counted once. Counts that fail to be written stay buffered. It returns
// how many articles it updated.
func (s *GuidanceService) Flush(ctx context.Context) (int, error) {
	counts := s.views.take()
	if len(counts) == 0 {
		return 0, nil
	}
	ids := make([]int64, 0, len(counts))
	for id := range counts {
		ids = append(ids, id)
	}
	slices.Sort(ids) // one lock order for every process
	db := s.db.WithContext(ctx)
	for i, id := range ids {
		// UpdateColumn leaves updated_at alone: a view is not an edit.
		err := db.Model(&model.Article{}).Where("id = ?", id).
			UpdateColumn("view_count", gorm.Expr("view_count + ?", counts[id])).Error
		if err != nil {
			rest := map[int64]int64{}
			for _, r := range ids[i:] {
				rest[r] = counts[r]
			}
			s.views.giveBack(rest)
			s.cache.forgetArticles(ids[:i])
			return i, err
		}
	}
	s.cache.forgetArticles(ids)
	return len(ids), nil
}
