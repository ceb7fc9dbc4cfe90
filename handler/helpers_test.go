package handler_test

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"testing"

	"familycare/config"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

type configT = config.Config

// parallel runs fn(0) … fn(n-1) at once and waits for all of them.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); fn(i) }()
	}
	wg.Wait()
}

// runJobs runs the jobs at once (several processes running one job) and
// answers how many rows each handled.
func runJobs(t *testing.T, jobs ...func(context.Context) (int, error)) []int {
	counts := make([]int, len(jobs))
	parallel(len(jobs), func(i int) {
		n, err := jobs[i](context.Background())
		if err != nil {
			t.Errorf("job %d: %v", i, err)
		}
		counts[i] = n
	})
	return counts
}
