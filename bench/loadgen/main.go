// Command loadgen drives familycare over HTTP on loopback and prints
// throughput and latency. Each run is bounded in requests and time.
//
//	loadgen -mode get  -url http://127.0.0.1:8080/api/v1/sessions?limit=20
//	loadgen -mode get  -urls FILE   (lines "URL<TAB>token", taken in turn)
//	loadgen -mode book-spread -base http://127.0.0.1:8080   (needs dev login)
//	loadgen -mode book-hot    -base http://127.0.0.1:8080
//	loadgen -mode raw-spread  -base http://127.0.0.1:8080 -dsn user:pw@tcp(127.0.0.1:3306)/db
//	loadgen -mode raw-hot     -base … -dsn …   (the raw-SQL ceiling, raw.go)
//	loadgen -mode book-spread -key …            (every booking with an Idempotency-Key)
//
// The raw modes make their sessions and members through the API exactly as
// the booking modes do, then book with the five statements a correct booking
// needs, sent from Go straight to the database (raw.go).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var client = &http.Client{
	Timeout:   10 * time.Second,
	Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: time.Minute},
}

func main() {
	mode := flag.String("mode", "get", "get | book-spread | book-hot | raw-spread | raw-hot")
	url := flag.String("url", "", "URL for -mode get")
	urls := flag.String("urls", "", `file of "URL<TAB>bearer token" lines for -mode get, taken in turn`)
	base := flag.String("base", "http://127.0.0.1:8080", "server base URL for booking modes")
	conns := flag.Int("c", 64, "concurrent connections")
	dur := flag.Duration("d", 10*time.Second, "duration")
	maxReq := flag.Int("n", 2_000_000, "stop after this many requests")
	sessions := flag.Int("sessions", 1000, "sessions for book-spread")
	label := flag.String("label", "", "label printed with the result")
	dsn := flag.String("dsn", "", "go-sql-driver DSN of familycare's database, for the raw modes")
	withKey := flag.Bool("key", false, "send a fresh Idempotency-Key with every booking")
	minute := flag.Int("minute", 0, "minute of the hour the sessions start at (runs on one database each take another: session times are unique)")
	cpuPids := flag.String("cpu", "", `"name=pid,…": also report the CPU these processes (and loadgen itself) spent per 2xx answer over the measured run`)
	flag.Parse()

	var work func(worker, i int) (int, error)
	switch *mode {
	case "get":
		work = func(_, _ int) (int, error) { return do("GET", *url, "", nil) }
		if *urls != "" {
			targets, err := readTargets(*urls)
			if err != nil {
				fmt.Fprintln(os.Stderr, "urls:", err)
				os.Exit(1)
			}
			work = func(w, i int) (int, error) {
				t := targets[(w+i*(*conns))%len(targets)]
				return do("GET", t[0], t[1], nil)
			}
		}
	case "book-spread", "book-hot", "raw-spread", "raw-hot":
		hot := *mode == "book-hot" || *mode == "raw-hot"
		pl, err := setupBooking(*base, *conns, hot, *sessions, *minute%60)
		if err == nil && strings.HasPrefix(*mode, "raw-") {
			work, err = rawWork(*dsn, *conns, pl)
		} else if err == nil {
			work = httpWork(*base, pl, *withKey)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "setup:", err)
			os.Exit(1)
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", *mode)
		os.Exit(2)
	}
	cpu := startCPU(*cpuPids)
	res := run(*conns, *dur, *maxReq, work)
	res.cpuMS = cpu.perOK(res.ok)
	res.print(*label)
}

func do(method, url, token string, body any, header ...string) (int, error) {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, url, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func doJSON(method, url, token string, body, out any) error {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

type login struct {
	Token string `json:"token"`
}

// plan is the data of a booking run: the sessions, and per worker its
// parent's token and family members.
type plan struct {
	hot        bool
	ids        []int64
	tokens     []string
	members    [][]int64
	membersPer int
	workers    int
}

// pick is the session and member of worker w's i-th booking (ok false when
// the worker has booked all its pairs).
func (p *plan) pick(w, i int) (session, member int64, ok bool) {
	if p.hot {
		if i >= len(p.members[w]) {
			return 0, 0, false // this worker's members are all booked
		}
		return p.ids[0], p.members[w][i], true
	}
	if i >= len(p.ids)*p.membersPer {
		return 0, 0, false
	}
	// Spread: worker w starts at its own offset in the session list.
	return p.ids[(i+w*len(p.ids)/p.workers)%len(p.ids)], p.members[w][i/len(p.ids)], true
}

// httpWork books through the API: POST /api/v1/bookings, with a fresh
// Idempotency-Key each time when key is set.
func httpWork(base string, pl *plan, key bool) func(w, i int) (int, error) {
	run := time.Now().UnixNano()
	return func(w, i int) (int, error) {
		session, member, ok := pl.pick(w, i)
		if !ok {
			return -1, nil
		}
		var h []string
		if key {
			h = []string{"Idempotency-Key", fmt.Sprintf("bench-%d-%d-%d", run, w, i)}
		}
		return do("POST", base+"/api/v1/bookings", pl.tokens[w], map[string]any{"session_id": session, "member_id": member}, h...)
	}
}

// setupBooking signs in a staff member of clinic 3 and one parent per
// worker, and publishes the sessions and family members.
func setupBooking(base string, workers int, hot bool, nSessions, minute int) (*plan, error) {
	run := time.Now().UnixNano()
	var staff login
	if err := doJSON("POST", base+"/api/v1/auth/dev/login", "", map[string]any{"openid": fmt.Sprintf("bench-staff-%d", run), "role": "staff", "clinic_id": 3}, &staff); err != nil {
		return nil, err
	}
	// Sessions: noon vaccination (service 4 at clinic 3) every day, at
	// several times of day, far enough ahead to stay bookable.
	var ids []int64
	day0 := time.Now().AddDate(0, 0, 2)
	need := nSessions
	if hot {
		need = 1
	}
	for slot := 0; len(ids) < need; slot++ {
		from := day0.AddDate(0, 0, 93*(slot/12))
		to := from.AddDate(0, 0, 90)
		at := time.Date(2000, 1, 1, 8+slot%12, minute, 0, 0, time.UTC)
		start, end := at.Format("15:04"), at.Add(50*time.Minute).Format("15:04")
		var out struct {
			Sessions []struct {
				ID int64 `json:"id"`
			} `json:"sessions"`
		}
		if err := doJSON("POST", base+"/api/v1/staff/schedules", staff.Token, map[string]any{"service_id": 4, "weekdays": []int{1, 2, 3, 4, 5, 6, 7},
			"start_time": start, "end_time": end, "capacity": 1000, "from_date": from.Format("2006-01-02"), "to_date": to.Format("2006-01-02")}, &out); err != nil {
			return nil, err
		}
		for _, s := range out.Sessions {
			ids = append(ids, s.ID)
		}
		if slot > 200 {
			return nil, errors.New("could not create enough sessions")
		}
	}
	ids = ids[:need]
	if hot {
		if err := doJSON("PATCH", fmt.Sprintf("%s/api/v1/staff/sessions/%d", base, ids[0]), staff.Token, map[string]any{"capacity": 1000}, nil); err != nil {
			return nil, err
		}
	}
	membersPer := 5
	if hot {
		membersPer = 16 // 64 workers × 16 = 1,024 members for a 1,000-seat session
	}
	tokens := make([]string, workers)
	members := make([][]int64, workers)
	var wg sync.WaitGroup
	var setupErr atomic.Value
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var l login
			if err := doJSON("POST", base+"/api/v1/auth/dev/login", "", map[string]any{"openid": fmt.Sprintf("bench-parent-%d-%d", run, w)}, &l); err != nil {
				setupErr.Store(err)
				return
			}
			tokens[w] = l.Token
			for m := 0; m < membersPer; m++ {
				var out struct {
					ID int64 `json:"id"`
				}
				if err := doJSON("POST", base+"/api/v1/me/members", l.Token, map[string]any{"name": fmt.Sprintf("孩子%d", m), "relation": "child"}, &out); err != nil {
					setupErr.Store(err)
					return
				}
				members[w] = append(members[w], out.ID)
			}
		}(w)
	}
	wg.Wait()
	if err, _ := setupErr.Load().(error); err != nil {
		return nil, err
	}
	return &plan{hot: hot, ids: ids, tokens: tokens, members: members, membersPer: membersPer, workers: workers}, nil
}

type result struct {
	ok, other, errs int64
	statuses        map[int]int64
	lat             []time.Duration
	elapsed         time.Duration
	cpuMS           map[string]float64
}

func run(conns int, dur time.Duration, maxReq int, work func(worker, i int) (int, error)) result {
	var (
		mu    sync.Mutex
		all   []time.Duration
		stats = map[int]int64{}
		errs  int64
		total atomic.Int64
	)
	deadline := time.Now().Add(dur)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			lat := make([]time.Duration, 0, 4096)
			local := map[int]int64{}
			var localErrs int64
			for i := 0; time.Now().Before(deadline) && total.Add(1) <= int64(maxReq); i++ {
				t0 := time.Now()
				code, err := work(w, i)
				if code == -1 {
					break
				}
				lat = append(lat, time.Since(t0))
				if err != nil {
					localErrs++
					continue
				}
				local[code]++
			}
			mu.Lock()
			all = append(all, lat...)
			for k, v := range local {
				stats[k] += v
			}
			errs += localErrs
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	r := result{statuses: stats, lat: all, elapsed: time.Since(start), errs: errs}
	for code, n := range stats {
		if code >= 200 && code < 300 {
			r.ok += n
		} else {
			r.other += n
		}
	}
	return r
}

func (r result) print(label string) {
	sort.Slice(r.lat, func(i, j int) bool { return r.lat[i] < r.lat[j] })
	pct := func(p float64) time.Duration {
		if len(r.lat) == 0 {
			return 0
		}
		return r.lat[int(float64(len(r.lat)-1)*p)]
	}
	secs := r.elapsed.Seconds()
	out := map[string]any{
		"label": label, "requests": len(r.lat), "ok": r.ok, "non_2xx": r.other, "errors": r.errs,
		"rps": float64(len(r.lat)) / secs, "ok_per_s": float64(r.ok) / secs,
		"p50_ms": ms(pct(0.50)), "p99_ms": ms(pct(0.99)), "seconds": secs, "statuses": r.statuses,
	}
	if r.cpuMS != nil {
		out["cpu_ms_per_ok"] = r.cpuMS
	}
	raw, _ := json.Marshal(out)
	fmt.Println(string(raw))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
