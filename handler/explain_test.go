package handler_test

import (
	"strings"
	"testing"
	"time"

	"familycare/model"
	"familycare/testkit"
)

// bulkSessions adds n sessions spread over two years around the harness
// clock (half past, half future) to the seeded catalogue, so the optimizer
// sees a table where a wrong plan costs something.
func bulkSessions(t *testing.T, h *testkit.Harness, n int) {
	t.Helper()
	var svc []model.Service
	if err := h.DB.Find(&svc).Error; err != nil || len(svc) == 0 {
		t.Fatalf("services: %v (%d)", err, len(svc))
	}
	start := h.Clock.Now().Add(-365 * 24 * time.Hour).Truncate(time.Hour)
	rows := make([]model.Session, 0, n)
	for i := range n {
		sv := svc[i%len(svc)]
		at := start.Add(time.Duration(i) * 730 * 24 * time.Hour / time.Duration(n)).Add(time.Duration(i%7) * time.Minute)
		rows = append(rows, model.Session{ServiceID: sv.ID, ExpertID: int64(100000 + i), StartsAt: at, EndsAt: at.Add(30 * time.Minute),
			ClinicID: sv.ClinicID, Kind: sv.Kind, Capacity: 10, Status: model.SessionOpen})
	}
	if err := h.DB.CreateInBatches(rows, 500).Error; err != nil {
		t.Fatal(err)
	}
}

// analyze refreshes the optimizer's statistics of the tables.
func analyze(t *testing.T, h *testkit.Harness, tables ...string) {
	t.Helper()
	for _, tb := range tables {
		if err := h.DB.Exec("ANALYZE TABLE `" + tb + "`").Error; err != nil {
			t.Fatal(err)
		}
	}
}

// selectsFrom returns the recorded statements that read table.
func selectsFrom(stmts []string, table string) []string {
	var out []string
	for _, s := range stmts {
		if strings.Contains(s, "FROM `"+table+"`") {
			out = append(out, s)
		}
	}
	return out
}

// TestExplain_DefaultSessionListRange: the default session list (sessions
// not started yet, by start time) reads a range of the starts_at index on
// MariaDB, not the whole index; its time parameter has millisecond
// precision.
func TestExplain_DefaultSessionListRange(t *testing.T) {
	if !testkit.IsMySQL() {
		t.Skip("EXPLAIN plans are MariaDB/MySQL's: set TEST_MYSQL_DSN")
	}
	h := testkit.New(t)
	h.Seed()
	bulkSessions(t, h, 4000)
	analyze(t, h, "sessions")
	h.Clock.Set(h.Clock.Now().Add(123456789 * time.Nanosecond))
	log := h.RecordSQL()
	h.Do("GET", "/api/v1/sessions?limit=20", nil).Expect(200)
	stmts := selectsFrom(log.Take(), "sessions")
	if len(stmts) != 1 {
		t.Fatalf("the list ran %d session SELECTs, want 1: %q", len(stmts), stmts)
	}
	q := stmts[0]
	if !strings.Contains(q, "starts_at >= '") || strings.Contains(q, ".123456") {
		t.Fatalf("time parameter not in milliseconds: %s", q)
	}
	plan := h.Explain(q)
	for _, p := range plan {
		t.Logf("%s", p)
		if p.Table == "sessions" && (p.Type != "range" || !strings.Contains(p.Key, "starts_at") || strings.Contains(p.Extra, "filesort")) {
			t.Errorf("default session list plan %s, want a range on a starts_at index without filesort\n%s", p, q)
		}
	}
}
