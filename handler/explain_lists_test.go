package handler_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"familycare/pagination"
	"familycare/testkit"
)

// The index test: every GET route the engine serves (the route table of the
// security suite, so a new list is covered the day it is added) is called
// by its legitimate caller on a database grown to tens of thousands of rows
// a table, with each documented filter too and the next page when there is
// one; every SELECT it runs is EXPLAINed on MariaDB. It fails on a full
// scan of a big table, a full index scan, or a filesort over more than a
// page of rows, naming the route.

// explainReference are tables of configuration and reference data: a
// network has hundreds of these rows, not millions, and some are read
// whole on purpose (the catalogue cache). They are not grown.
var explainReference = []string{"clinics", "services", "experts", "expert_sittings", "schedules", "circles", "custom_vaccines",
	"follow_up_rules", "service_kinds", "service_packages", "agreement_versions", "doctor_teams", "team_doctors", "doctor_team_members",
	"subscription_quota", "queue_counters", "goose_db_version"}

// explainKeyCols: where the first column of a unique key is the owner a
// list is scoped by, the column copies change instead.
var explainKeyCols = map[string][]string{
	"article_favorites": {"article_id"},
	"bookings":          {"session_id", "queue_no"},
}

// explainSkip are GET routes that are not reads of the database.
var explainSkip = map[string]string{
	"GET /api/v1/wechat/push": "WeChat's URL check: echoes a signed string",
}

// explainKnown are the plans this test still finds wanting, by route: what
// is wrong and what would fix it. They are logged, not failed; the list
// only shrinks.
var explainKnown = map[string]string{}

const (
	// explainBig: a table with at least this many rows must not be scanned.
	explainBig = 1000
	// explainSortRows: a filesort over more rows than a page (and the row
	// that says there is a next one) fails.
	explainSortRows = pagination.DefaultLimit + 1
	// explainRows: each grown table has about this many rows.
	explainRows = 8000
)

// explainSample is a value for a documented query parameter.
func (w *secWorld) explainSample(name string, enum []string) string {
	if len(enum) > 0 {
		return enum[0]
	}
	today := w.h.Clock.Now().In(w.h.Config.Location()).Format("2006-01-02")
	switch name {
	case "clinic_id":
		return fmt.Sprint(clinicA)
	case "person_id":
		return fmt.Sprint(w.ids["elder"])
	case "post_id":
		return fmt.Sprint(w.ids["post"])
	case "circle_id":
		return fmt.Sprint(w.ids["circle"])
	case "user_id":
		return fmt.Sprint(w.owner.ID)
	case "actor_id":
		return fmt.Sprint(w.staff3.ID)
	case "target_id":
		return fmt.Sprint(w.ids["post"])
	case "session_id":
		return fmt.Sprint(w.ids["session"])
	case "service_id":
		return fmt.Sprint(serviceA)
	case "expert_id":
		return fmt.Sprint(w.ids["expert"])
	case "team_id":
		return fmt.Sprint(ctTeam3)
	case "parent_id":
		return "1"
	case "kind":
		return "vaccination"
	case "date", "from", "birth_date":
		return today
	case "to":
		return w.h.Clock.Now().In(w.h.Config.Location()).AddDate(0, 0, 7).Format("2006-01-02")
	case "q":
		return "辅食"
	case "name":
		return "王大爷"
	case "phone":
		return "13800000000"
	case "unread", "available", "needs_review":
		return "true"
	case "action":
		return "create"
	}
	return ""
}

// explainQueries are the query strings a route is called with: none, then
// each documented filter alone.
func (w *secWorld) explainQueries(t *testing.T, key string) []string {
	out := []string{""}
	for _, p := range explainSpecQuery(t)[key] {
		if p.name == "limit" || p.name == "cursor" {
			continue
		}
		v := w.explainSample(p.name, p.enum)
		if v == "" {
			continue
		}
		out = append(out, "?"+url.Values{p.name: {v}}.Encode())
	}
	return out
}

type explainParam struct {
	name string
	enum []string
}

var explainSpecCache map[string][]explainParam

// explainSpecQuery is every GET operation's documented query parameters.
func explainSpecQuery(t *testing.T) map[string][]explainParam {
	t.Helper()
	if explainSpecCache != nil {
		return explainSpecCache
	}
	var spec struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				In    string   `json:"in"`
				Name  string   `json:"name"`
				Enum  []string `json:"enum"`
				Items struct {
					Enum []string `json:"enum"`
				} `json:"items"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	raw, err := os.ReadFile(filepath.Join("..", "docs", "swagger.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	out := map[string][]explainParam{}
	for p, ops := range spec.Paths {
		op, ok := ops["get"]
		if !ok {
			continue
		}
		key := "GET " + strings.ReplaceAll(p, "{id}", ":id")
		for _, prm := range op.Parameters {
			if prm.In == "query" {
				out[key] = append(out[key], explainParam{name: prm.Name, enum: append(prm.Enum, prm.Items.Enum...)})
			}
		}
		sort.Slice(out[key], func(i, j int) bool { return out[key][i].name < out[key][j].name })
	}
	explainSpecCache = out
	return out
}

// explainGet calls the engine without checking the answer against the
// spec: the grown rows are copies whose parents may not exist (a session of
// a service id no row has), which the API renders with empty names.
func explainGet(h *testkit.Harness, path string, opts ...testkit.Req) *testkit.Response {
	req := httptest.NewRequest("GET", path, nil)
	for _, o := range opts {
		o(req)
	}
	rec := httptest.NewRecorder()
	h.App.Engine.ServeHTTP(rec, req)
	return &testkit.Response{Status: rec.Code, Body: rec.Body.Bytes()}
}

// TestExplain_EveryList: see the comment at the top of this file.
func TestExplain_EveryList(t *testing.T) {
	if !testkit.IsMySQL() {
		t.Skip("EXPLAIN plans are MariaDB/MySQL's: set TEST_MYSQL_DSN")
	}
	w := newSecWorld(t)
	h := w.h
	var grow []string
	for _, tb := range w.tables {
		if !slices.Contains(explainReference, tb) {
			grow = append(grow, tb)
		}
	}
	sort.Strings(grow)
	start := time.Now()
	counts := h.Amplify(grow, 60, explainRows, explainKeyCols)
	var total int64
	for _, n := range counts {
		total += n
	}
	t.Logf("grew %d tables to %d rows in %s", len(grow), total, time.Since(start).Round(time.Millisecond))
	big := map[string]bool{}
	for tb, n := range counts {
		if n >= explainBig {
			big[tb] = true
		}
	}
	// Past every cache's TTL: the lists read the database.
	h.Clock.Advance(time.Hour)

	log := h.RecordSQL()
	explained := map[string]bool{}
	known := map[string]bool{}
	var unchecked []string
	var failures []string
	check := func(route, path string) {
		for _, q := range log.Take() {
			if explained[q] {
				continue
			}
			explained[q] = true
			for _, p := range h.Explain(q) {
				// A materialised set (<subquery2>: the persons the caller
				// acts for) is not a table; a statement without LIMIT reads
				// what belongs to a page already chosen (items of 20
				// orders), which a page bounds.
				derived := strings.HasPrefix(p.Table, "<")
				paged := strings.Contains(q, " LIMIT ")
				var why string
				switch {
				case p.Type == "ALL" && !derived && (big[p.Table] || p.Rows >= explainBig):
					why = "a full scan"
				case p.Type == "index" && p.Rows >= explainBig:
					why = "a full index scan"
				case strings.Contains(p.Extra, "filesort") && p.Rows > explainSortRows && !derived && paged:
					why = fmt.Sprintf("a filesort over %d rows", p.Rows)
				}
				if why == "" {
					continue
				}
				msg := fmt.Sprintf("%s (%s): %s of %s\n  plan: %s\n  sql: %s", route, path, why, p.Table, p, q)
				if reason, ok := explainKnown[route]; ok {
					known[route] = true
					t.Logf("known: %s\n  %s", msg, reason)
					continue
				}
				failures = append(failures, msg)
			}
		}
	}
	calls := 0
	for _, key := range secV1Routes(h.App.Engine) {
		method, route := secSplit(key)
		if method != "GET" {
			continue
		}
		if _, skip := explainSkip[key]; skip {
			continue
		}
		r := secRoutes[key]
		base := w.path(route, r.fixture)
		for _, qs := range w.explainQueries(t, key) {
			path := base + qs
			for page := 0; page < 2 && path != ""; page++ {
				log.Take()
				res := explainGet(h, path, w.user(r.legit()))
				calls++
				if res.Status != 200 {
					// The grown rows are copies that may point at parents
					// nobody made (a household link to a household id no
					// row has): such an answer is logged as not checked.
					if res.Status >= 500 {
						t.Errorf("%s: %d %.300s", path, res.Status, res.Body)
					}
					unchecked = append(unchecked, fmt.Sprintf("%s answered %d", path, res.Status))
					break
				}
				check(key, path)
				var body struct {
					Next string `json:"next_cursor"`
				}
				_ = json.Unmarshal(res.Body, &body)
				path = ""
				if body.Next != "" {
					sep := "?"
					if qs != "" {
						sep = "&"
					}
					path = base + qs + sep + "cursor=" + url.QueryEscape(body.Next)
				}
			}
		}
	}
	t.Logf("%d calls, %d distinct statements explained; not checked: %d %q", calls, len(explained), len(unchecked), unchecked)
	for route := range explainKnown {
		if !known[route] {
			t.Errorf("%s is in explainKnown but its plans are fine now: take it out", route)
		}
	}
	for _, f := range failures {
		t.Error(f)
	}
}
