package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"familycare/model"
	"familycare/testkit"

	mysqldrv "github.com/go-sql-driver/mysql"
)

// The fault suite: what clients see when the database, WeChat or Redis go
// away, and when the process is told to stop in the middle of a storm.

// faultWaitFor polls cond until it holds or the deadline passes.
func faultWaitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond) // polling interval, bounded by the deadline
	}
}

// faultClient is a resident with one child.
type faultClient struct {
	u      testkit.User
	member int64
}

func faultClients(t *testing.T, h *testkit.Harness, prefix string, n int) []faultClient {
	t.Helper()
	out := make([]faultClient, n)
	for i := range out {
		u := h.Login(fmt.Sprintf("%s-%d", prefix, i))
		out[i] = faultClient{u: u, member: h.Member(u, map[string]any{"name": "孩子", "relation": "child"})}
	}
	return out
}

// faultAssertBookingsWhole checks that no booking lost its history row and
// that each session's counters equal its rows.
func faultAssertBookingsWhole(t *testing.T, h *testkit.Harness, sessions ...int64) {
	t.Helper()
	var orphans int64
	if err := h.DB.Model(&model.Booking{}).
		Where("NOT EXISTS (SELECT 1 FROM booking_events e WHERE e.booking_id = bookings.id)").Count(&orphans).Error; err != nil {
		t.Fatal(err)
	}
	if orphans != 0 {
		t.Fatalf("%d bookings without their history row", orphans)
	}
	for _, s := range sessions {
		assertCounters(t, h, s)
	}
}

// The database goes away under load: the proxy between the app and MariaDB
// closes every connection and refuses new ones (a stopped server). Readiness
// and every request answer 503 database_unavailable at once, never 500; when
// the database comes back the same app recovers without a restart.
func TestFault_DatabaseCutDuringLoad(t *testing.T) { faultDatabaseLoad(t, false) }

// The database stops answering under load: the proxy holds every byte (a
// network partition, a hung server). Requests answer 503
// database_unavailable within the request timeout instead of hanging, and
// the app recovers when the database answers again.
func TestFault_DatabaseStallDuringLoad(t *testing.T) { faultDatabaseLoad(t, true) }

func faultDatabaseLoad(t *testing.T, stall bool) {
	const reqTimeout = 2 * time.Second
	h := testkit.New(t, testkit.WithConfig(func(c *configT) { c.RequestTimeout = reqTimeout }))
	// COMMIT and ROLLBACK cannot be cancelled by the request's context
	// (database/sql gives the driver none), so the DSN's I/O timeouts are
	// their only bound: a deployment keeps them at most REQUEST_TIMEOUT.
	proxied, proxy := h.MySQLBehindProxy(func(c *mysqldrv.Config) { c.ReadTimeout, c.WriteTimeout = reqTimeout, reqTimeout }) // skips on SQLite
	h.Seed()
	staff := h.Staff("fault-staff", clinicA)
	start := h.Clock.Now().Add(48 * time.Hour)
	var sess struct {
		ID int64 `json:"id"`
	}
	h.Do("POST", "/api/v1/staff/sessions", map[string]any{"service_id": serviceA, "starts_at": start.Format(time.RFC3339),
		"ends_at": start.Add(time.Hour).Format(time.RFC3339), "capacity": 500}, testkit.Token(staff.Token)).Expect(201).JSON(&sess)
	const workers = 12
	clients := faultClients(t, h, "fault-db", workers)

	// Phases of the test. A request is judged by the phase it started in
	// and the one it ended in.
	const (
		phaseUp        = iota // database reachable
		phaseCut              // Cut (or Stall) has returned
		phaseRestoring        // Restore called, /readyz not yet 200
		phaseReady            // /readyz said 200 again
	)
	var phase atomic.Int32
	type result struct {
		from, to int32
		route    string
		status   int
		code     string
		latency  time.Duration
	}
	var (
		mu      sync.Mutex
		results []result
		done    [4]atomic.Int64 // requests ended, by the phase they ran in wholly
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	stopWorkers := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopWorkers() // also when a check below gives up early
	do := func(c faultClient, method, path string, body any) *testkit.Response {
		from := phase.Load()
		t0 := time.Now()
		r := testkit.Do(t, proxied.Engine, method, path, body, testkit.Token(c.u.Token))
		to := phase.Load()
		mu.Lock()
		results = append(results, result{from: from, to: to, route: method + " " + path, status: r.Status, code: r.ErrorCode(), latency: time.Since(t0)})
		mu.Unlock()
		if from == to {
			done[from].Add(1)
		}
		return r
	}
	for i := range clients {
		wg.Add(1)
		go func(c faultClient) {
			defer wg.Done()
			var booking int64 // the client's active booking, if it knows one
			for {
				select {
				case <-stop:
					return
				default:
				}
				do(c, "GET", "/api/v1/me", nil)
				if booking == 0 {
					r := do(c, "POST", "/api/v1/bookings", map[string]any{"session_id": sess.ID, "member_id": c.member, "join_waitlist": true})
					switch {
					case r.Status == 201:
						var b struct {
							ID int64 `json:"id"`
						}
						_ = json.Unmarshal(r.Body, &b)
						booking = b.ID
					case r.Status == 409 && r.ErrorCode() == "already_booked":
						// A booking committed while its answer was lost: find it.
						var list struct {
							Items []struct {
								ID     int64  `json:"id"`
								Status string `json:"status"`
							} `json:"items"`
						}
						if lr := do(c, "GET", "/api/v1/bookings", nil); lr.Status == 200 {
							_ = json.Unmarshal(lr.Body, &list)
							for _, b := range list.Items {
								if b.Status == "pending" || b.Status == "waitlisted" {
									booking = b.ID
								}
							}
						}
					}
				} else {
					r := do(c, "POST", fmt.Sprintf("/api/v1/bookings/%d/cancel", booking), nil)
					if r.Status == 200 || r.Status == 409 { // 409: cancelled already, its answer lost
						booking = 0
					}
				}
			}
		}(clients[i])
	}
	enough := func(p int) func() bool { return func() bool { return done[p].Load() >= 3*workers } }
	quick := time.Second // how soon /readyz must notice
	if stall {
		// Each request now lasts the request timeout: fewer rounds.
		enough = func(p int) func() bool { return func() bool { return done[p].Load() >= 2*workers } }
		quick = 2*time.Second + 500*time.Millisecond // its own 2 s deadline
	}
	faultWaitFor(t, 10*time.Second, "requests while the database is up", enough(phaseUp))

	if stall {
		proxy.Stall()
	} else {
		proxy.Cut()
	}
	phase.Store(phaseCut)
	t0 := time.Now()
	testkit.Do(t, proxied.Engine, "GET", "/readyz", nil).ExpectError(503, "database_unavailable")
	if d := time.Since(t0); d > quick {
		t.Errorf("/readyz took %s to say the database is gone", d)
	}
	faultWaitFor(t, 10*time.Second, "requests while the database is away", enough(phaseCut))

	phase.Store(phaseRestoring)
	if err := proxy.Restore(); err != nil {
		t.Fatal(err)
	}
	faultWaitFor(t, 10*time.Second, "/readyz 200 after the database is back", func() bool {
		return testkit.Do(t, proxied.Engine, "GET", "/readyz", nil).Status == 200
	})
	phase.Store(phaseReady)
	faultWaitFor(t, 10*time.Second, "requests after recovery", enough(phaseReady))
	stopWorkers()

	// A new booking through the recovered app.
	late := faultClients(t, h, "fault-db-late", 1)[0]
	testkit.Do(t, proxied.Engine, "POST", "/api/v1/bookings", map[string]any{"session_id": sess.ID, "member_id": late.member},
		testkit.Token(late.u.Token)).Expect(201)

	counts := map[string]int{}
	for _, r := range results {
		counts[fmt.Sprintf("%d→%d %d %s", r.from, r.to, r.status, r.code)]++
		if r.latency > reqTimeout+time.Second {
			t.Errorf("%s took %s (request timeout %s)", r.route, r.latency, reqTimeout)
		}
		switch {
		case r.status >= 500 && !(r.status == 503 && r.code == "database_unavailable"):
			t.Errorf("%s answered %d %s", r.route, r.status, r.code)
		case r.from == phaseCut && r.to == phaseCut && r.status != 503:
			t.Errorf("%s sent and answered while the database was away: %d %s, want 503", r.route, r.status, r.code)
		case r.from == phaseReady && r.status >= 500:
			t.Errorf("%s sent after recovery answered %d %s", r.route, r.status, r.code)
		case r.status != 503 && r.status != 200 && r.status != 201 && r.status != 409:
			t.Errorf("%s answered %d %s", r.route, r.status, r.code)
		}
	}
	t.Logf("outcomes (phase sent→answered: 0 up, 1 away, 2 restoring, 3 ready): %v", counts)
	faultAssertBookingsWhole(t, h, sess.ID)
}

// SIGTERM in the middle of a booking storm (the ctx main.go cancels on
// SIGTERM): every request is answered properly or refused before the server
// took it, none half-written, and Serve returns within the drain timeout.
func TestFault_SIGTERMDuringBookingStorm(t *testing.T) {
	const (
		n     = 120
		drain = 8 * time.Second
		hot   = 10 // capacity of the session half the clients want
	)
	h := testkit.New(t, testkit.WithConfig(func(c *configT) { c.RequestTimeout = 5 * time.Second }))
	h.Seed()
	staff := h.Staff("storm-staff", clinicA)
	session := func(capacity int, in time.Duration) int64 {
		start := h.Clock.Now().Add(in)
		var out struct {
			ID int64 `json:"id"`
		}
		h.Do("POST", "/api/v1/staff/sessions", map[string]any{"service_id": serviceA, "starts_at": start.Format(time.RFC3339),
			"ends_at": start.Add(time.Hour).Format(time.RFC3339), "capacity": capacity}, testkit.Token(staff.Token)).Expect(201).JSON(&out)
		return out.ID
	}
	hotSession, roomy := session(hot, 48*time.Hour), session(n, 72*time.Hour)
	clients := faultClients(t, h, "storm", n)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, sigterm := context.WithCancel(context.Background())
	defer sigterm()
	served := make(chan error, 1)
	var stoppedAt atomic.Int64
	go func() {
		err := h.App.Serve(ctx, ln, drain)
		stoppedAt.Store(time.Now().UnixNano())
		served <- err
	}()
	client := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	defer client.CloseIdleConnections()

	// Goroutine i starts once i/2 requests are answered, so when SIGTERM
	// comes some requests are done, some in flight and some not yet sent.
	var (
		mu        sync.Mutex
		cond      = sync.NewCond(&mu)
		answered  int
		cancelled bool
		sigOnce   sync.Once
		sigAt     time.Time
	)
	const sigAfter = n / 3
	type outcome struct {
		status int
		code   string
		id     int64
		err    error
		at     time.Time // when the answer (or error) came
	}
	outcomes := make([]outcome, n)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			mu.Lock()
			for answered < i/2 && !cancelled {
				cond.Wait()
			}
			mu.Unlock()
			s := roomy
			if i%2 == 0 {
				s = hotSession
			}
			raw, _ := json.Marshal(map[string]any{"session_id": s, "member_id": clients[i].member, "join_waitlist": true})
			req, _ := http.NewRequest("POST", base+"/api/v1/bookings", bytes.NewReader(raw))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+clients[i].u.Token)
			res, err := client.Do(req)
			o := outcome{err: err}
			if err == nil {
				body, rerr := io.ReadAll(res.Body)
				_ = res.Body.Close()
				o.status, o.err = res.StatusCode, rerr
				var env struct {
					ID    int64 `json:"id"`
					Error struct {
						Code string `json:"code"`
					} `json:"error"`
				}
				_ = json.Unmarshal(body, &env)
				o.code, o.id = env.Error.Code, env.ID
			}
			o.at = time.Now()
			outcomes[i] = o
			mu.Lock()
			answered++
			if answered >= sigAfter {
				sigOnce.Do(func() {
					sigAt = time.Now()
					cancelled = true
					sigterm()
				})
			}
			cond.Broadcast()
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	var serveErr error
	select {
	case serveErr = <-served:
	case <-time.After(drain + 2*time.Second):
		t.Fatalf("Serve did not return within the drain timeout %s", drain)
	}
	if serveErr != nil {
		t.Fatalf("Serve: %v", serveErr)
	}
	if took := time.Duration(stoppedAt.Load() - sigAt.UnixNano()); took > drain {
		t.Fatalf("Serve took %s after SIGTERM, drain timeout %s", took, drain)
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Fatal("the listener still accepts connections after Serve returned")
	}

	created, refused, drained := 0, 0, 0
	kinds := map[string]int{}
	for i, o := range outcomes {
		var rows int64
		if err := h.DB.Model(&model.Booking{}).Where("member_id = ?", clients[i].member).Count(&rows).Error; err != nil {
			t.Fatal(err)
		}
		switch {
		case o.err != nil:
			var ne net.Error
			if errors.As(o.err, &ne) && ne.Timeout() {
				t.Errorf("client %d hung: %v", i, o.err)
			}
			if rows != 0 {
				t.Errorf("client %d got no answer (%v) but its booking was written", i, o.err)
			}
			switch {
			case errors.Is(o.err, syscall.ECONNREFUSED):
				kinds["connection refused"]++
			case errors.Is(o.err, syscall.ECONNRESET) || errors.Is(o.err, io.EOF) || errors.Is(o.err, io.ErrUnexpectedEOF) ||
				// net/http's unexported errServerClosedIdle: the server closed
				// the kept-alive connection before the request went out.
				strings.Contains(o.err.Error(), "server closed idle connection"):
				kinds["closed before an answer"]++
			default:
				t.Errorf("client %d: %v is neither a refused nor a closed connection", i, o.err)
			}
			refused++
		case o.status == 201:
			var b model.Booking
			if err := h.DB.First(&b, o.id).Error; err != nil || b.MemberID != clients[i].member {
				t.Errorf("client %d: 201 with booking %d, not in the database (%v)", i, o.id, err)
			}
			created++
			if o.at.After(sigAt) {
				drained++
			}
		case o.status == 409:
			if rows != 0 {
				t.Errorf("client %d: 409 %s but a booking was written", i, o.code)
			}
		default:
			t.Errorf("client %d answered %d %s", i, o.status, o.code)
		}
	}
	var total int64
	h.DB.Model(&model.Booking{}).Where("session_id IN ?", []int64{hotSession, roomy}).Count(&total)
	if int(total) != created {
		t.Errorf("%d bookings in the database, %d answered 201", total, created)
	}
	if created < sigAfter/2 {
		t.Errorf("only %d bookings went through before SIGTERM", created)
	}
	if drained == 0 {
		t.Errorf("no request in flight at SIGTERM was let finish")
	}
	faultAssertBookingsWhole(t, h, hotSession, roomy)
	t.Logf("%d created (%d answered after SIGTERM), %d refused %v, %d other; Serve stopped %s after SIGTERM", created, drained, refused, kinds, n-created-refused,
		time.Duration(stoppedAt.Load()-sigAt.UnixNano()).Round(time.Millisecond))
}

// While WeChat hangs, a staff action that notifies the parent answers at
// once: the subscribe message is sent by the push job, never in the request,
// and a job stuck on WeChat does not hold the database from requests.
func TestFault_StaffConfirmWhileWeChatHangs(t *testing.T) {
	const wxTimeout = 3 * time.Second
	w := newBookingWorld(t, testkit.WithConfig(func(c *configT) {
		c.WeChatTemplates = map[string]string{"booking_confirmed": "TPL-CONFIRM"}
		c.WeChatTimeout = wxTimeout
	}))
	h := w.h
	staff := testkit.Token(w.staff.Token)
	s := w.session(10, 48*time.Hour)
	h.Do("POST", "/api/v1/me/subscriptions", map[string]any{"template_ids": []string{"TPL-CONFIRM", "TPL-CONFIRM"}}, testkit.Token(w.parent.Token)).Expect(200)
	b1 := id(w.book(w.parent, s, w.child, false).Expect(201).Map())
	b2 := id(w.book(w.parent, s, w.child2, false).Expect(201).Map())

	h.WeChat.SetHang(true)
	t0 := time.Now()
	h.Do("POST", "/api/v1/staff/bookings/"+b1+"/confirm", nil, staff).Expect(200)
	if d := time.Since(t0); d > wxTimeout/2 {
		t.Fatalf("confirm took %s while WeChat hangs: the request waited on WeChat", d)
	}
	if len(h.WeChat.Sent()) != 0 {
		t.Fatal("a subscribe message was sent in the request")
	}
	var pending int64
	h.DB.Model(&model.Notification{}).Where("event = ? AND push_status = ?", "booking_confirmed", model.PushPending).Count(&pending)
	if pending != 1 {
		t.Fatalf("pending pushes: %d, want 1", pending)
	}

	// The push job meets the hanging WeChat; meanwhile requests go on.
	type pushed struct {
		n   int
		err error
		d   time.Duration
	}
	job := make(chan pushed, 1)
	go func() {
		t0 := time.Now()
		n, err := h.App.Services.Notifications.PushPending(context.Background())
		job <- pushed{n, err, time.Since(t0)}
	}()
	// The job claims the notification (push_attempts 1) just before it calls
	// WeChat, which then hangs for the WeChat timeout.
	faultWaitFor(t, wxTimeout, "the push job to claim the notification", func() bool {
		var claimed int64
		h.DB.Model(&model.Notification{}).Where("push_attempts > 0").Count(&claimed)
		return claimed > 0
	})
	t0 = time.Now()
	h.Do("POST", "/api/v1/staff/bookings/"+b2+"/confirm", nil, staff).Expect(200)
	if d := time.Since(t0); d > wxTimeout/2 {
		t.Fatalf("confirm took %s while the push job waits on WeChat", d)
	}
	if len(job) != 0 {
		t.Fatal("the push job ended before the second confirm: WeChat did not hang")
	}
	res := <-job
	if res.err != nil || res.n != 0 {
		t.Fatalf("push job while WeChat hangs: sent %d, err %v", res.n, res.err)
	}
	if res.d > 3*wxTimeout {
		t.Fatalf("push job took %s; each WeChat call is bounded by %s", res.d, wxTimeout)
	}

	// WeChat is back: the job delivers both, the failed one after its backoff.
	h.WeChat.SetHang(false)
	h.Clock.Advance(2 * time.Minute)
	n, err := h.App.Services.Notifications.PushPending(context.Background())
	if err != nil || n != 2 || len(h.WeChat.Sent()) != 2 {
		t.Fatalf("after WeChat returned: sent %d (fake got %d), err %v", n, len(h.WeChat.Sent()), err)
	}
}

// Redis goes away (the proxy in front of it closes every connection and
// refuses new ones): circle posts keep working, the rate limit is counted in
// this process meanwhile, and the service stays up when Redis returns.
func TestFault_RedisCutRateLimitFallsBack(t *testing.T) {
	addr := os.Getenv("TEST_REDIS_ADDR")
	if addr == "" {
		t.Skip("TEST_REDIS_ADDR is not set: no Redis to put a proxy in front of")
	}
	proxy := testkit.StartFaultProxy(t, addr)
	const limit = 3
	h := testkit.New(t, testkit.WithConfig(func(c *configT) {
		c.RedisAddr = proxy.Addr()
		c.RedisPrefix = fmt.Sprintf("t-%s-%d:", t.Name(), time.Now().UnixNano())
		c.PostRateLimit = limit
		c.RequestTimeout = 5 * time.Second
	}))
	h.Seed()
	circle := circleIDs(t, h)["baoma"]
	path := "/api/v1/circles/" + circle + "/posts"
	u := circleMember(t, h, "redis-fault", circle)
	post := func(text string) (*testkit.Response, time.Duration) {
		t0 := time.Now()
		r := h.Do("POST", path, map[string]any{"content": text}, testkit.Token(u.Token))
		return r, time.Since(t0)
	}
	// Redis up: the post is counted there.
	if r, _ := post("Redis 在的时候"); r.Status != 201 {
		t.Fatalf("post with Redis up: %d %s", r.Status, r.Body)
	}

	proxy.Cut()
	accepted := 0
	for i := 0; i <= limit; i++ {
		r, d := post(fmt.Sprintf("Redis 断了第 %d 条", i+1))
		// Posts are slower meanwhile (see the log line): each WeChat call
		// looks its access token up in Redis first.
		if d > 5*time.Second-500*time.Millisecond {
			t.Errorf("post %d took %s while Redis is cut (request timeout 5s)", i+1, d)
		}
		if r.Status == 429 {
			r.ExpectError(429, "rate_limited")
			break
		}
		p := r.Expect(201).Map()
		t.Logf("post %d while Redis is cut: 201 %s in %s", i+1, p["status"], d.Round(time.Millisecond))
		accepted++
	}
	if accepted == 0 || accepted > limit {
		t.Fatalf("%d posts accepted while Redis is cut; the local limit is %d per hour", accepted, limit)
	}
	h.Do("GET", "/readyz", nil).Expect(200)
	h.Do("GET", "/api/v1/circles/"+circle+"/posts", nil, testkit.Token(u.Token)).Expect(200)
	other := circleMember(t, h, "redis-fault-2", circle)
	h.Do("POST", path, map[string]any{"content": "别人不受影响"}, testkit.Token(other.Token)).Expect(201)

	// Redis back; the next window is open again.
	if err := proxy.Restore(); err != nil {
		t.Fatal(err)
	}
	h.Clock.Advance(time.Hour)
	if r, _ := post("新的一小时"); r.Status != 201 {
		t.Fatalf("post after Redis returned: %d %s", r.Status, r.Body)
	}
}
