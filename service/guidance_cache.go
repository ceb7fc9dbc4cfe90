package service

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"familycare/cache"
	"familycare/model"

	"gorm.io/gorm"
)

// Published article lists and reads are the hottest reads of the app. They
// are kept in process for a short TTL, bounded by their encoded bytes
// (CACHE_MAX_BYTES each), and a miss reads once for all the callers of the
// same key; every write through this process (create, edit, publish,
// archive) empties the cache at once, other replicas see the change within
// the TTL.
const guidanceCacheTTL = 30 * time.Second

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

// guidanceCache holds read results by key. A result is stored only if no
// invalidation happened since the read began, so a slow read never puts
// back what a write just removed.
type guidanceCache struct {
	lists    *cache.Cache[cachedList]
	articles *cache.Cache[cachedArticle]
}

func newGuidanceCache(clock Clock, maxBytes int64) *guidanceCache {
	return &guidanceCache{
		lists: cache.New(maxBytes, guidanceCacheTTL, clock.Now,
			func(v cachedList) int { return cache.JSONSize(v.rows) + len(v.next) }),
		articles: cache.New(maxBytes, guidanceCacheTTL, clock.Now,
			func(v cachedArticle) int { return cache.JSONSize(v.article) + len(v.authorName) }),
	}
}

func articleKey(id int64) string { return strconv.FormatInt(id, 10) }

// invalidate forgets everything (after a write).
func (c *guidanceCache) invalidate() {
	c.lists.Purge()
	c.articles.Purge()
}

// forgetArticles drops single articles (after their view counts moved).
func (c *guidanceCache) forgetArticles(ids []int64) {
	for _, id := range ids {
		c.articles.Delete(articleKey(id))
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
