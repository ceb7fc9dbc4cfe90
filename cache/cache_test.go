package cache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a clock the test moves.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func strLen(s string) int { return len(s) }

// cost is what an entry of key and value is charged.
func cost(key, value string) int64 { return int64(len(key)+len(value)) + entryOverhead }

// TestGetOrLoad_ConcurrentMissesLoadOnce: N callers that miss one key at the
// same time run the loader exactly once and all get its value.
func TestGetOrLoad_ConcurrentMissesLoadOnce(t *testing.T) {
	const n = 64
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	c := New(1<<20, time.Minute, clk.now, strLen)
	var missed sync.WaitGroup
	missed.Add(n)
	c.beforeFlight = missed.Done // every caller missed and is about to wait

	var loads atomic.Int64
	started, release := make(chan struct{}), make(chan struct{})
	load := func(context.Context) (string, bool, error) {
		if loads.Add(1) == 1 {
			close(started)
		}
		<-release
		return "page", true, nil
	}
	got := make([]string, n)
	errs := make([]error, n)
	var done sync.WaitGroup
	for i := range n {
		done.Go(func() { got[i], errs[i] = c.GetOrLoad(t.Context(), "k", load) })
	}
	missed.Wait() // all n missed the cache
	<-started     // and one of them runs the loader, blocked
	close(release)
	done.Wait()
	if l := loads.Load(); l != 1 {
		t.Fatalf("%d concurrent misses ran the loader %d times, want 1", n, l)
	}
	for i := range n {
		if errs[i] != nil || got[i] != "page" {
			t.Fatalf("caller %d got %q, %v", i, got[i], errs[i])
		}
	}
	// Stored: the next caller does not load.
	if v, err := c.GetOrLoad(t.Context(), "k", load); err != nil || v != "page" || loads.Load() != 1 {
		t.Fatalf("after the load: %q %v, %d loads", v, err, loads.Load())
	}
}

// TestGetOrLoad_ErrorSharedNotStored: the loader's error reaches every
// waiting caller and nothing is stored; a later miss loads again.
func TestGetOrLoad_ErrorSharedNotStored(t *testing.T) {
	const n = 8
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	c := New(1<<20, time.Minute, clk.now, strLen)
	var missed sync.WaitGroup
	missed.Add(n)
	c.beforeFlight = missed.Done
	boom := errors.New("boom")
	var loads atomic.Int64
	release := make(chan struct{})
	var done sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		done.Go(func() {
			_, errs[i] = c.GetOrLoad(t.Context(), "k", func(context.Context) (string, bool, error) {
				loads.Add(1)
				<-release
				return "", false, boom
			})
		})
	}
	missed.Wait()
	close(release)
	done.Wait()
	// A caller that missed after the failed load ended starts its own: at
	// most n loads, and every caller saw the error.
	for i, err := range errs {
		if !errors.Is(err, boom) {
			t.Fatalf("caller %d: %v, want boom", i, err)
		}
	}
	if c.Len() != 0 {
		t.Fatalf("an error was stored: %d entries", c.Len())
	}
	c.beforeFlight = nil
	before := loads.Load()
	v, err := c.GetOrLoad(t.Context(), "k", func(context.Context) (string, bool, error) { loads.Add(1); return "ok", true, nil })
	if err != nil || v != "ok" || loads.Load() != before+1 {
		t.Fatalf("load after an error: %q %v (%d → %d loads)", v, err, before, loads.Load())
	}
}

// TestPut_ByteBoundEvictsLeastRecentlyUsed: entries are charged their
// bytes; a put that does not fit evicts the least recently used until it
// does.
func TestPut_ByteBoundEvictsLeastRecentlyUsed(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	ten := "0123456789"
	budget := 3 * cost("a", ten) // exactly three such entries
	c := New(budget, time.Minute, clk.now, strLen)
	c.Put("a", ten)
	c.Put("b", ten)
	c.Put("c", ten)
	if c.Len() != 3 || c.Bytes() != budget {
		t.Fatalf("3 entries: len %d bytes %d, want 3 and %d", c.Len(), c.Bytes(), budget)
	}
	if _, ok := c.Get("a"); !ok { // a is now the most recently used
		t.Fatal("a missing")
	}
	c.Put("d", ten) // evicts b, the least recently used
	if _, ok := c.Get("b"); ok {
		t.Fatal("b not evicted")
	}
	for _, k := range []string{"a", "c", "d"} {
		if _, ok := c.Get(k); !ok {
			t.Fatalf("%s evicted", k)
		}
	}
	if c.Bytes() != budget {
		t.Fatalf("bytes %d, want %d", c.Bytes(), budget)
	}
	// One entry of twice the size evicts the two least recently used (a, c).
	twenty := ten + ten
	c.Put("e", twenty+string(make([]byte, entryOverhead+1))) // cost: 2 × cost("a", ten)
	if c.Len() != 2 || c.Bytes() != budget {
		t.Fatalf("after a double entry: len %d bytes %d, want 2 and %d", c.Len(), c.Bytes(), budget)
	}
	for k, want := range map[string]bool{"a": false, "c": false, "d": true, "e": true} {
		if _, ok := c.Get(k); ok != want {
			t.Fatalf("%s present %v, want %v", k, ok, want)
		}
	}
	// Replacing an entry charges only the new value.
	c.Put("d", "x")
	if want := budget - cost("d", ten) + cost("d", "x"); c.Bytes() != want {
		t.Fatalf("after replacing d: bytes %d, want %d", c.Bytes(), want)
	}
	// A value larger than the whole budget is not stored and evicts nothing.
	c.Put("huge", string(make([]byte, budget)))
	if _, ok := c.Get("huge"); ok || c.Len() != 2 {
		t.Fatalf("an entry above the budget was stored (len %d)", c.Len())
	}
}

// TestTTLAndPurge: entries expire with the clock (also when it goes back);
// a load that began before a purge stores nothing.
func TestTTLAndPurge(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	c := New(1<<20, time.Second, clk.now, strLen)
	c.Put("k", "v")
	clk.t = clk.t.Add(999 * time.Millisecond)
	if _, ok := c.Get("k"); !ok {
		t.Fatal("expired early")
	}
	clk.t = clk.t.Add(time.Millisecond)
	if _, ok := c.Get("k"); ok || c.Bytes() != 0 {
		t.Fatalf("not expired after the TTL (bytes %d)", c.Bytes())
	}
	c.Put("k", "v")
	clk.t = clk.t.Add(-time.Millisecond)
	if _, ok := c.Get("k"); ok {
		t.Fatal("an entry from after now is still served")
	}

	gen := c.Generation()
	c.Purge()
	c.PutAt(gen, "k", "stale")
	if _, ok := c.Get("k"); ok {
		t.Fatal("a read from before the purge was stored")
	}
	// Inside GetOrLoad: the purge happens while the loader runs.
	v, err := c.GetOrLoad(t.Context(), "k", func(context.Context) (string, bool, error) {
		c.Purge()
		return "stale", true, nil
	})
	if err != nil || v != "stale" {
		t.Fatalf("the caller gets what it read: %q %v", v, err)
	}
	if _, ok := c.Get("k"); ok {
		t.Fatal("a load that a purge overtook was stored")
	}
}

// TestGetOrLoad_CallerCancelDoesNotFailOthers: the loader does not see the
// starting caller's cancellation (its deadline still applies).
func TestGetOrLoad_CallerCancelDoesNotFailOthers(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	c := New(1<<20, time.Minute, clk.now, strLen)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	v, err := c.GetOrLoad(ctx, "k", func(ctx context.Context) (string, bool, error) {
		return "v", true, ctx.Err()
	})
	if err != nil || v != "v" {
		t.Fatalf("cancelled caller: %q %v", v, err)
	}
	dctx, dcancel := context.WithDeadline(t.Context(), time.Unix(1, 0))
	defer dcancel()
	_, err = c.GetOrLoad(dctx, "other", func(ctx context.Context) (string, bool, error) {
		return "", false, ctx.Err()
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline not passed to the loader: %v", err)
	}
}
