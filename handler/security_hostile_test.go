package handler_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"

	"familycare/model"
	"familycare/testkit"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// secMut is one hostile value for a field.
type secMut struct {
	name    string
	val     any
	raw     string // sent as raw JSON instead of val
	isRaw   bool
	invalid bool   // clearly invalid: 4xx and nothing stored
	inject  string // an injection string that may be stored as text
}

const (
	secHuge  = 100_000
	secDepth = 20_000
)

// secDerived are tables derived from others' text (the MariaDB search
// index of articles): an edit that shortens a title rewrites them.
var secDerived = map[string]bool{"article_grams": true}

var secInjections = []string{"' OR 1=1 --", "1; DROP TABLE users", "'); DELETE FROM bookings; --", `" OR ""="`}

// secMutations are the hostile values for a field whose valid value is v.
func secMutations(v any) []secMut {
	bad := func(name string, val any) secMut { return secMut{name: name, val: val, invalid: true} }
	rawBad := func(name, raw string) secMut { return secMut{name: name, raw: raw, isRaw: true, invalid: true} }
	deep := strings.Repeat("[", secDepth) + strings.Repeat("]", secDepth)
	deepObj := strings.Repeat(`{"a":`, secDepth) + "1" + strings.Repeat("}", secDepth)
	common := []secMut{
		rawBad("nested arrays 20000 deep", deep),
		rawBad("nested objects 20000 deep", deepObj),
		rawBad("raw NUL", "\"a\x00b\""),
		bad("escaped NUL", "a\u0000b"),
		rawBad("invalid UTF-8", "\"\xff\xfe\xfd\""),
		// Decoded as U+FFFD, which is valid text: it may be accepted.
		{name: "lone surrogate escape", raw: `"\ud800"`, isRaw: true},
	}
	var out []secMut
	switch x := v.(type) {
	case string:
		for _, s := range secInjections {
			out = append(out, secMut{name: "injection " + s, val: s, inject: s})
		}
		out = append(out,
			bad("100k characters", strings.Repeat("a", secHuge)),
			bad("100k Chinese characters", strings.Repeat("测", secHuge)),
			bad("number for string", 12345),
			bad("object for string", map[string]any{"$ne": ""}),
			bad("array for string", []any{"x"}),
			bad("bool for string", true),
			bad("100k-element array for string", secHugeArray("a")),
		)
	case float64:
		for _, s := range secInjections[:2] {
			out = append(out, bad("injection string for number "+s, s))
		}
		out = append(out,
			bad("numeric string", "1"),
			bad("object for number", map[string]any{"a": 1}),
			bad("array for number", []any{1}),
			bad("bool for number", true),
			bad("fraction", 1.5),
			bad("negative", -1),
			rawBad("overflow 1e400", "1e400"),
			rawBad("int64 overflow", "99999999999999999999"),
			bad("100k-element array for number", secHugeArray(1)),
		)
	case bool:
		out = append(out, bad("string for bool", "true"), bad("number for bool", 1), bad("object for bool", map[string]any{}))
	case []any:
		var elem any = "a"
		if len(x) > 0 {
			elem = x[0]
		}
		var wrongElem any = map[string]any{"a": 1}
		if _, isObj := elem.(map[string]any); isObj {
			wrongElem = []any{1}
		}
		min := any("a")
		switch elem.(type) {
		case float64:
			min = 1
		case map[string]any:
			min = map[string]any{}
		}
		out = append(out,
			bad("object for array", map[string]any{"a": 1}),
			bad("string for array", "x"),
			bad("wrong element type", []any{wrongElem}),
			bad("null element", []any{nil}),
			bad("100k elements", secHugeArray(min)),
		)
	case map[string]any:
		out = append(out, bad("array for object", []any{x}), bad("string for object", "x"))
	}
	return append(out, common...)
}

func secHugeArray(elem any) []any {
	out := make([]any, secHuge)
	for i := range out {
		out[i] = elem
	}
	return out
}

// secCase is one hostile body.
type secCase struct {
	name    string
	raw     []byte
	invalid bool
	inject  string
	chunked bool
}

const secPlaceholder = "\u2603SEC-PLACEHOLDER\u2603"

// secHostileBodies are the hostile bodies derived from a route's valid
// sample: whole-body attacks and every field (and every field of the first
// element of an array of objects) replaced by each hostile value.
func secHostileBodies(t testing.TB, sample map[string]any, optional bool) []secCase {
	t.Helper()
	// Normalise the sample to what JSON decoding gives (float64, []any…).
	raw, err := json.Marshal(sample)
	if err != nil {
		t.Fatal(err)
	}
	var norm map[string]any
	if err := json.Unmarshal(raw, &norm); err != nil {
		t.Fatal(err)
	}
	clone := func() map[string]any {
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		return m
	}
	encode := func(m map[string]any, mut secMut, set func(map[string]any, any)) []byte {
		if mut.isRaw {
			set(m, secPlaceholder)
		} else {
			set(m, mut.val)
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if mut.isRaw {
			b = bytes.Replace(b, []byte(`"`+secPlaceholder+`"`), []byte(mut.raw), 1)
		}
		return b
	}
	emptyOK := !optional
	pad := clone()
	pad["pad"] = strings.Repeat("a", 2<<20)
	twoMiB, _ := json.Marshal(pad)
	cases := []secCase{
		{name: "empty body", raw: []byte{}, invalid: emptyOK},
		{name: "{}", raw: []byte("{}"), invalid: emptyOK},
		{name: "null", raw: []byte("null"), invalid: emptyOK},
		{name: "whitespace", raw: []byte(" \n\t "), invalid: emptyOK},
		{name: "top-level array", raw: []byte("[]"), invalid: true},
		{name: "array for object", raw: append(append([]byte("["), raw...), ']'), invalid: true},
		{name: "top-level string", raw: []byte(`"x"`), invalid: true},
		{name: "top-level number", raw: []byte("123"), invalid: true},
		{name: "top-level bool", raw: []byte("true"), invalid: true},
		{name: "truncated", raw: raw[:len(raw)-1], invalid: true},
		{name: "trailing garbage", raw: append(append([]byte{}, raw...), 'x'), invalid: true},
		{name: "two objects", raw: append(append([]byte{}, raw...), raw...), invalid: true},
		{name: "nested arrays 20000 deep", raw: []byte(strings.Repeat("[", secDepth) + strings.Repeat("]", secDepth)), invalid: true},
		{name: "nested objects 20000 deep", raw: []byte(strings.Repeat(`{"a":`, secDepth) + "1" + strings.Repeat("}", secDepth)), invalid: true},
		{name: "100k-element array", raw: []byte("[" + strings.TrimSuffix(strings.Repeat("1,", secHuge), ",") + "]"), invalid: true},
		{name: "2 MiB body", raw: twoMiB, invalid: true},
		{name: "2 MiB body, no Content-Length", raw: twoMiB, invalid: true, chunked: true},
		{name: "invalid UTF-8 in an extra field", raw: encode(clone(), secMut{raw: "\"\xc3\x28\"", isRaw: true}, func(m map[string]any, v any) { m["zz_extra"] = v }), invalid: true},
		{name: "NUL in an extra field", raw: encode(clone(), secMut{val: "\x00"}, func(m map[string]any, v any) { m["zz_extra"] = v }), invalid: true},
		{name: "UTF-8 BOM", raw: append([]byte("\xef\xbb\xbf"), raw...)},
	}
	keys := make([]string, 0, len(norm))
	for k := range norm {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, mut := range secMutations(norm[k]) {
			cases = append(cases, secCase{name: k + ": " + mut.name, invalid: mut.invalid, inject: mut.inject,
				raw: encode(clone(), mut, func(m map[string]any, v any) { m[k] = v })})
		}
		// Fields of the first element of an array of objects (items[0].x).
		arr, _ := norm[k].([]any)
		if len(arr) == 0 {
			continue
		}
		elem, ok := arr[0].(map[string]any)
		if !ok {
			continue
		}
		inner := make([]string, 0, len(elem))
		for kk := range elem {
			inner = append(inner, kk)
		}
		sort.Strings(inner)
		for _, kk := range inner {
			for _, mut := range secMutations(elem[kk]) {
				cases = append(cases, secCase{name: k + "[0]." + kk + ": " + mut.name, invalid: mut.invalid, inject: mut.inject,
					raw: encode(clone(), mut, func(m map[string]any, v any) { m[k].([]any)[0].(map[string]any)[kk] = v })})
			}
		}
	}
	return cases
}

// secContains reports whether s is one of the strings (values or keys)
// in the JSON document raw.
func secContains(raw []byte, s string) bool {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case string:
			return strings.Contains(x, s)
		case []any:
			for _, e := range x {
				if walk(e) {
					return true
				}
			}
		case map[string]any:
			for k, e := range x {
				if strings.Contains(k, s) || walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

// stored reports whether some text column of some table holds s.
func (w *secWorld) stored(s string) bool {
	for _, m := range model.All() {
		stmt := &gorm.Statement{DB: w.h.DB}
		if err := stmt.Parse(m); err != nil {
			w.h.T.Fatal(err)
		}
		for _, f := range stmt.Schema.Fields {
			if f.DBName == "" || f.FieldType.Kind() != reflect.String {
				continue
			}
			var n int64
			like := clause.Like{Column: clause.Column{Name: f.DBName}, Value: "%" + s + "%"}
			if err := w.h.DB.Table(stmt.Schema.Table).Where(like).Count(&n).Error; err != nil {
				w.h.T.Fatalf("search %s.%s: %v", stmt.Schema.Table, f.DBName, err)
			}
			if n > 0 {
				return true
			}
		}
	}
	return false
}

// TestSecurity_HostileBodies sends hostile bodies to every route that reads
// a JSON body, as its legitimate caller on a real object: every answer is a
// 4xx error envelope (never a 5xx); clearly invalid bodies are never
// accepted and change no row count; an injection string in a free-text
// field may be accepted, and is then stored as plain text and nothing else
// happens (no table loses rows).
func TestSecurity_HostileBodies(t *testing.T) {
	w := newSecWorld(t)
	h := w.h
	total := 0
	for _, key := range secV1Routes(h.App.Engine) {
		r := secRoutes[key]
		if r.body == nil {
			continue
		}
		method, path := secSplit(key)
		p := w.path(path, r.fixture)
		who := w.user(r.legit())
		before := w.counts()
		for _, c := range secHostileBodies(t, r.body(w), r.optional) {
			opts := []testkit.Req{who}
			if c.chunked {
				opts = append(opts, func(req *http.Request) { req.ContentLength = -1 })
			}
			res := h.Do(method, p, c.raw, opts...)
			total++
			what := fmt.Sprintf("%s [%s]", key, c.name)
			if res.Status >= 500 {
				t.Errorf("%s: %d %.300s", what, res.Status, res.Body)
			} else if res.Status >= 400 {
				secEnvelope(t, res, what)
			}
			after := w.counts()
			switch {
			case c.invalid:
				if res.Status < 400 {
					t.Errorf("%s: accepted with %d: %.300s", what, res.Status, res.Body)
				}
				if fmt.Sprint(after) != fmt.Sprint(before) {
					t.Errorf("%s: rows changed:\nbefore %v\nafter  %v", what, before, after)
				}
			case c.inject != "" && res.Status < 300:
				// Accepted: stored verbatim (as the answer shows or a column
				// holds), or a no-op that stored nothing.
				if !secContains(res.Body, c.inject) && !w.stored(c.inject) && fmt.Sprint(after) != fmt.Sprint(before) {
					t.Errorf("%s: accepted and wrote rows, but the text is neither echoed nor stored verbatim: %.300s", what, res.Body)
				}
				for tb, n := range before {
					if after[tb] < n && !secDerived[tb] {
						t.Errorf("%s: table %s lost rows (%d → %d)", what, tb, n, after[tb])
					}
				}
			}
			before = after
		}
	}
	t.Logf("%d hostile bodies", total)
}

// TestSecurity_MassAssignment sends valid bodies with fields a client must
// never set (owner, role, status, counters, clinic): they are ignored.
func TestSecurity_MassAssignment(t *testing.T) {
	w := newSecWorld(t)
	h := w.h
	A, B := w.owner, w.other
	extra := func(body map[string]any) map[string]any {
		for k, v := range map[string]any{"id": 1, "user_id": B.ID, "role": "admin", "status": "confirmed", "clinic_id": clinicB,
			"like_count": 100, "created_at": "2000-01-01T00:00:00Z", "handover_code": "000000"} {
			if _, set := body[k]; !set {
				body[k] = v
			}
		}
		return body
	}
	row := func(m any, id int64) {
		t.Helper()
		if err := h.DB.First(m, id).Error; err != nil {
			t.Fatal(err)
		}
	}

	me := h.Do("PUT", "/api/v1/me", extra(map[string]any{"nickname": "新昵称"}), w.user("owner")).Expect(200).Map()
	var u model.User
	row(&u, A.ID)
	if me["role"] != "resident" || u.Role != "resident" || u.ClinicID != nil {
		t.Errorf("PATCH /me set the role: %v / %+v", me, u)
	}

	memberID := ctID(h.Do("POST", "/api/v1/me/members", extra(map[string]any{"name": "四宝", "relation": "child"}), w.user("owner")).Expect(201).Map())
	var m model.Person
	row(&m, memberID)
	if m.UserID != A.ID || memberID == 1 {
		t.Errorf("member created for user %d with id %d", m.UserID, memberID)
	}

	b := h.Do("POST", "/api/v1/bookings", extra(map[string]any{"session_id": w.ids["session"], "member_id": w.ids["child2"]}), w.user("owner")).Expect(201).Map()
	var bk model.Booking
	row(&bk, ctID(b))
	if b["status"] != "pending" || bk.UserID != A.ID || bk.ClinicID != clinicA {
		t.Errorf("booking: %v / %+v", b, bk)
	}

	o := h.Do("POST", "/api/v1/medicine-orders", extra(mdBody(w.ids["elder"])), w.user("owner")).Expect(201).Map()
	var mo model.MedicineOrder
	row(&mo, ctID(o))
	if o["status"] != "requested" || mo.UserID != A.ID || mo.ClinicID != clinicA || o["handover_code"] == "000000" {
		t.Errorf("medicine order: %v / %+v", o, mo)
	}

	h.WeChat.SetVerdict("review")
	p := h.Do("POST", ctPath("/api/v1/circles/%d/posts", w.ids["circle"]), extra(map[string]any{"content": "想被直接发布"}), w.user("owner")).Expect(201).Map()
	h.WeChat.SetVerdict("pass")
	var post model.Post
	row(&post, ctID(p))
	if p["status"] != "pending_review" || p["like_count"] != float64(0) || post.UserID != A.ID {
		t.Errorf("post: %v / %+v", p, post)
	}

	art := h.Do("POST", "/api/v1/staff/articles", extra(map[string]any{"title": "标题", "body": "<p>正文</p>", "category": "tcm",
		"stages": []string{"elderly"}, "status": "published"}), w.user("staff3")).Expect(201).Map()
	if art["status"] != "draft" || art["clinic_id"] != float64(clinicA) {
		t.Errorf("article: %v", art)
	}
}
