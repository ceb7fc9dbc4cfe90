package handler_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"familycare/model"
	"familycare/testkit"
)

// guidanceItem is an article as lists and reads return it.
type guidanceItem struct {
	ID          int64      `json:"id"`
	Title       string     `json:"title"`
	Summary     string     `json:"summary"`
	Body        string     `json:"body"`
	Category    string     `json:"category"`
	Stages      []string   `json:"stages"`
	Status      string     `json:"status"`
	PublishedAt *time.Time `json:"published_at"`
	ViewCount   int64      `json:"view_count"`
	Favorited   bool       `json:"favorited"`
	ClinicID    int64      `json:"clinic_id"`
}

type guidancePage struct {
	Items      []guidanceItem `json:"items"`
	NextCursor string         `json:"next_cursor"`
}

func guidanceList(t *testing.T, h *testkit.Harness, tok, query string) guidancePage {
	t.Helper()
	var p guidancePage
	h.Do("GET", "/api/v1/articles"+query, nil, testkit.Token(tok)).Expect(200).JSON(&p)
	return p
}

func guidanceTitles(p guidancePage) []string {
	out := make([]string, len(p.Items))
	for i, a := range p.Items {
		out[i] = a.Title
	}
	return out
}

func guidanceHas(p guidancePage, articleID int64) bool {
	for _, a := range p.Items {
		if a.ID == articleID {
			return true
		}
	}
	return false
}

// guidanceDraft creates a draft through the staff API and returns it.
func guidanceDraft(t *testing.T, h *testkit.Harness, staff testkit.User, body map[string]any) guidanceItem {
	t.Helper()
	req := map[string]any{"title": "测试文章", "body": "<p>正文</p>", "category": "nutrition", "stages": []string{"pregnancy"}}
	for k, v := range body {
		req[k] = v
	}
	var a guidanceItem
	h.Do("POST", "/api/v1/staff/articles", req, testkit.Token(staff.Token)).Expect(201).JSON(&a)
	return a
}

func guidancePublished(t *testing.T, h *testkit.Harness, staff testkit.User, body map[string]any) guidanceItem {
	t.Helper()
	a := guidanceDraft(t, h, staff, body)
	h.Do("POST", fmt.Sprintf("/api/v1/staff/articles/%d/publish", a.ID), nil, testkit.Token(staff.Token)).Expect(200).JSON(&a)
	return a
}

func guidancePath(articleID int64, suffix string) string {
	return fmt.Sprintf("/api/v1/articles/%d%s", articleID, suffix)
}

func TestGuidance_DraftsInvisibleToResidents(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	staff := h.Staff("editor", 1)
	other := h.Staff("editor-east", 2)
	admin := h.Admin("boss")
	mum := h.Login("mum")

	a := guidanceDraft(t, h, staff, map[string]any{"title": "孕期运动指南", "stages": []string{"pregnancy", "postpartum"}})
	if a.Status != "draft" || a.PublishedAt != nil || a.ClinicID != 1 {
		t.Fatalf("new article: %+v", a)
	}
	path := guidancePath(a.ID, "")
	h.Do("GET", path, nil, testkit.Token(mum.Token)).ExpectError(404, "not_found")
	h.Do("GET", path, nil).ExpectError(404, "not_found")
	h.Do("GET", path, nil, testkit.Token(other.Token)).ExpectError(404, "not_found")
	h.Do("GET", path, nil, testkit.Token(staff.Token)).Expect(200)
	h.Do("GET", path, nil, testkit.Token(admin.Token)).Expect(200)
	if guidanceHas(guidanceList(t, h, mum.Token, "?limit=100"), a.ID) || guidanceHas(guidanceList(t, h, staff.Token, "?limit=100"), a.ID) {
		t.Fatal("a draft must not be listed")
	}
	h.Do("POST", "/api/v1/staff/articles", map[string]any{"title": "x"}, testkit.Token(mum.Token)).ExpectError(403, "forbidden")
	h.Do("POST", "/api/v1/staff/articles/"+itoa(a.ID)+"/publish", nil, testkit.Token(mum.Token)).ExpectError(403, "forbidden")
	h.Do("POST", "/api/v1/staff/articles/"+itoa(a.ID)+"/publish", nil, testkit.Token(other.Token)).ExpectError(404, "not_found")

	// draft → published: visible to everyone.
	var pub guidanceItem
	h.Do("POST", "/api/v1/staff/articles/"+itoa(a.ID)+"/publish", nil, testkit.Token(staff.Token)).Expect(200).JSON(&pub)
	if pub.Status != "published" || pub.PublishedAt == nil {
		t.Fatalf("published: %+v", pub)
	}
	h.Do("GET", path, nil, testkit.Token(mum.Token)).Expect(200)
	h.Do("GET", path, nil).Expect(200)
	if l := guidanceList(t, h, mum.Token, ""); len(l.Items) == 0 || l.Items[0].ID != a.ID {
		t.Fatalf("the newest article must come first: %v", guidanceTitles(l))
	}
	h.Do("POST", "/api/v1/staff/articles/"+itoa(a.ID)+"/publish", nil, testkit.Token(staff.Token)).ExpectError(409, "invalid_transition")

	// published → archived: gone for residents, still there for staff.
	h.Clock.Advance(time.Hour)
	h.Do("POST", "/api/v1/staff/articles/"+itoa(a.ID)+"/archive", nil, testkit.Token(staff.Token)).Expect(200)
	h.Do("GET", path, nil, testkit.Token(mum.Token)).ExpectError(404, "not_found")
	if guidanceHas(guidanceList(t, h, mum.Token, "?limit=100"), a.ID) {
		t.Fatal("an archived article must not be listed")
	}
	h.Do("POST", "/api/v1/staff/articles/"+itoa(a.ID)+"/archive", nil, testkit.Token(staff.Token)).ExpectError(409, "invalid_transition")
	h.Do("GET", path, nil, testkit.Token(staff.Token)).Expect(200)

	// archived → published again keeps its first publication date.
	var again guidanceItem
	h.Do("POST", "/api/v1/staff/articles/"+itoa(a.ID)+"/publish", nil, testkit.Token(admin.Token)).Expect(200).JSON(&again)
	if !again.PublishedAt.Equal(*pub.PublishedAt) {
		t.Fatalf("published_at moved: %v → %v", pub.PublishedAt, again.PublishedAt)
	}
	h.Do("GET", path, nil, testkit.Token(mum.Token)).Expect(200)

	var events []model.ArticleEvent
	h.DB.Where("article_id = ?", a.ID).Order("id").Find(&events)
	var got []string
	for _, e := range events {
		got = append(got, e.FromStatus+"→"+e.ToStatus)
	}
	if want := "→draft draft→published published→archived archived→published"; strings.Join(got, " ") != want {
		t.Fatalf("history %v, want %s", got, want)
	}
	h.Do("GET", "/api/v1/articles/0", nil).ExpectError(404, "not_found")
	h.Do("GET", "/api/v1/articles/abc", nil).ExpectError(404, "not_found")
	h.Do("GET", "/api/v1/articles/999999", nil).ExpectError(404, "not_found")
}

func TestGuidance_StaffScopeAndList(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	mainStaff := h.Staff("editor", 1)
	east := h.Staff("editor-east", 2)
	admin := h.Admin("boss")
	mine := guidanceDraft(t, h, east, map[string]any{"title": "城东分院的草稿"})

	h.Do("PUT", "/api/v1/staff/articles/"+itoa(mine.ID), map[string]any{"title": "别人的"}, testkit.Token(mainStaff.Token)).ExpectError(404, "not_found")
	h.Do("POST", "/api/v1/staff/articles/"+itoa(mine.ID)+"/archive", nil, testkit.Token(mainStaff.Token)).ExpectError(404, "not_found")
	var patched guidanceItem
	h.Do("PUT", "/api/v1/staff/articles/"+itoa(mine.ID), map[string]any{"summary": "新的摘要"}, testkit.Token(east.Token)).Expect(200).JSON(&patched)
	if patched.Title != "城东分院的草稿" || patched.Summary != "新的摘要" {
		t.Fatalf("patch must change only summary: %+v", patched)
	}
	h.Do("PUT", "/api/v1/staff/articles/"+itoa(mine.ID), map[string]any{"title": "管理员改的"}, testkit.Token(admin.Token)).Expect(200)

	var eastList, mainDrafts, adminList guidancePage
	h.Do("GET", "/api/v1/staff/articles", nil, testkit.Token(east.Token)).Expect(200).JSON(&eastList)
	if len(eastList.Items) != 1 || eastList.Items[0].ID != mine.ID || eastList.Items[0].Title != "管理员改的" {
		t.Fatalf("east staff sees own clinic only: %v", guidanceTitles(eastList))
	}
	h.Do("GET", "/api/v1/staff/articles?status=draft", nil, testkit.Token(mainStaff.Token)).Expect(200).JSON(&mainDrafts)
	if len(mainDrafts.Items) != 1 || mainDrafts.Items[0].Status != "draft" || mainDrafts.Items[0].ClinicID != 1 {
		t.Fatalf("main hospital drafts: %+v", mainDrafts.Items)
	}
	h.Do("GET", "/api/v1/staff/articles?limit=100", nil, testkit.Token(admin.Token)).Expect(200).JSON(&adminList)
	if len(adminList.Items) != 20 {
		t.Fatalf("admin sees every article (18 published + 2 drafts), got %d", len(adminList.Items))
	}
	// Paging the staff list: every article once.
	seen := map[int64]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		var p guidancePage
		h.Do("GET", "/api/v1/staff/articles?limit=7&cursor="+cursor, nil, testkit.Token(admin.Token)).Expect(200).JSON(&p)
		for _, a := range p.Items {
			if seen[a.ID] {
				t.Fatalf("article %d listed twice", a.ID)
			}
			seen[a.ID] = true
		}
		if cursor = p.NextCursor; cursor == "" || pages > 5 {
			break
		}
	}
	if len(seen) != 20 {
		t.Fatalf("paged %d articles, want 20", len(seen))
	}
	h.Do("GET", "/api/v1/staff/articles?status=deleted", nil, testkit.Token(admin.Token)).ExpectError(422, "invalid_request")
	h.Do("GET", "/api/v1/staff/articles", nil, testkit.Token(h.Login("mum").Token)).ExpectError(403, "forbidden")
}

func TestGuidance_BodySanitized(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	staff := h.Staff("editor", 1)
	body := `<p onclick="steal()">喂养要点<script>alert('x')</script></p>` +
		`<img src="https://img.example.com/a.png" onerror="steal()" alt="示意图">` +
		`<img src="http://insecure.example.com/b.png">` +
		`<a href="javascript:alert(1)">坏链接</a><a href="https://example.com/ok">好链接</a>` +
		`<iframe src="https://evil.example.com"></iframe><style>p{color:red}</style>` +
		`<h3 style="color:red">小标题</h3><ul><li>一</li></ul>`
	a := guidanceDraft(t, h, staff, map[string]any{"body": body})
	var got guidanceItem
	h.Do("GET", guidancePath(a.ID, ""), nil, testkit.Token(staff.Token)).Expect(200).JSON(&got)
	for _, bad := range []string{"<script", "alert", "onclick", "onerror", "javascript:", "http://", "<iframe", "<style", "style=", "color:red"} {
		if strings.Contains(got.Body, bad) {
			t.Errorf("body keeps %q: %s", bad, got.Body)
		}
	}
	for _, good := range []string{"<p>喂养要点</p>", `<img src="https://img.example.com/a.png" alt="示意图"`, `href="https://example.com/ok"`, "<h3>小标题</h3>", "<li>一</li>"} {
		if !strings.Contains(got.Body, good) {
			t.Errorf("body lost %q: %s", good, got.Body)
		}
	}
	// Summary defaults to the start of the text.
	if !strings.HasPrefix(got.Summary, "喂养要点") {
		t.Errorf("summary %q", got.Summary)
	}
	// Nothing left after sanitizing is no article.
	h.Do("POST", "/api/v1/staff/articles", map[string]any{"title": "t", "body": "<script>alert(1)</script>", "category": "tcm", "stages": []string{"elderly"}},
		testkit.Token(staff.Token)).ExpectError(422, "invalid_request")
	h.Do("PUT", "/api/v1/staff/articles/"+itoa(a.ID), map[string]any{"body": `<p onmouseover="x()">改</p><script>1</script>`}, testkit.Token(staff.Token)).Expect(200).JSON(&got)
	if got.Body != "<p>改</p>" {
		t.Fatalf("patched body %q", got.Body)
	}
}

func TestGuidance_Validation(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	staff := h.Staff("editor", 1)
	ok := map[string]any{"title": "标题", "body": "<p>正文</p>", "category": "tcm", "stages": []string{"elderly"}}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range ok {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"bad category", with("category", "food"), "category"},
		{"bad stage", with("stages", []string{"teenager"}), "stages"},
		{"no stages", with("stages", []string{}), "stages"},
		{"missing title", with("title", nil), "title"},
		{"blank title", with("title", "   "), "title"},
		{"long title", with("title", strings.Repeat("长", 201)), "title"},
		{"missing body", with("body", nil), "body"},
		{"missing category", with("category", nil), "category"},
		{"http cover", with("cover_url", "http://img.example.com/a.png"), "cover_url"},
		{"stages not strings", with("stages", []any{1}), "stages"},
		{"huge body", with("body", "<p>"+strings.Repeat("很长", 10001)+"</p>"), "body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := testkit.Do(t, h.App.Engine, "POST", "/api/v1/staff/articles", tc.body, testkit.Token(staff.Token))
			r.ExpectError(422, "invalid_request")
			fields := r.Map()["error"].(map[string]any)["details"].(map[string]any)["fields"].(map[string]any)
			found := false
			for k := range fields {
				found = found || strings.HasPrefix(k, tc.field)
			}
			if !found {
				t.Fatalf("want field %s in %v", tc.field, fields)
			}
		})
	}
	var n int64
	h.DB.Model(&model.Article{}).Where("title = ?", "标题").Count(&n)
	if n != 0 {
		t.Fatalf("rejected articles must not be stored, found %d", n)
	}
	h.Do("POST", "/api/v1/staff/articles", `{"title":`, testkit.Token(staff.Token)).ExpectError(400, "bad_json")
	for _, q := range []string{"?category=food", "?stage=teenager", "?stage=INFANT_0_6M", "?limit=0", "?limit=101", "?cursor=%21%21",
		"?q=" + url.QueryEscape(strings.Repeat("字", 101)), "?q=" + url.QueryEscape("一 二 三 四 五 六")} {
		h.Do("GET", "/api/v1/articles"+q, nil).ExpectError(422, "invalid_request")
	}
	h.Do("GET", "/api/v1/articles/recommended?limit=500", nil).ExpectError(422, "invalid_request")
	h.Do("PUT", "/api/v1/staff/articles/999999", map[string]any{"title": "x"}, testkit.Token(staff.Token)).ExpectError(404, "not_found")
}

func TestGuidance_BrowseFilters(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	all := guidanceList(t, h, "", "?limit=100")
	if len(all.Items) != 18 || all.NextCursor != "" {
		t.Fatalf("seed publishes 18 articles, got %d (next %q)", len(all.Items), all.NextCursor)
	}
	categories, stages := map[string]bool{}, map[string]bool{}
	for i, a := range all.Items {
		categories[a.Category] = true
		for _, s := range a.Stages {
			stages[s] = true
		}
		if a.Body != "" {
			t.Fatal("lists carry no body")
		}
		if i > 0 && a.PublishedAt.After(*all.Items[i-1].PublishedAt) {
			t.Fatal("lists are newest first")
		}
	}
	if len(categories) != len(model.ArticleCategories) || len(stages) != len(model.ArticleStages) {
		t.Fatalf("seed must cover every category and stage: %v %v", categories, stages)
	}
	for _, a := range guidanceList(t, h, "", "?category=tcm&limit=100").Items {
		if a.Category != "tcm" {
			t.Fatalf("category filter: %+v", a)
		}
	}
	infant := guidanceList(t, h, "", "?stage=infant_6_12m&limit=100")
	if len(infant.Items) != 2 {
		t.Fatalf("two seeded articles are for 6-12 months: %v", guidanceTitles(infant))
	}
	both := guidanceList(t, h, "", "?stage=elderly&category=nutrition")
	if len(both.Items) != 1 || both.Items[0].Title != "高血压老人的家常饮食：控盐有窍门" {
		t.Fatalf("category and stage: %v", guidanceTitles(both))
	}
	// Paging: every article once, in order, whatever the page size.
	var paged []string
	cursor := ""
	for {
		p := guidanceList(t, h, "", "?limit=5&cursor="+cursor)
		paged = append(paged, guidanceTitles(p)...)
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if strings.Join(paged, "|") != strings.Join(guidanceTitles(all), "|") {
		t.Fatalf("paged order differs:\n%v\n%v", paged, guidanceTitles(all))
	}
}

func TestGuidance_RecommendationsPerMember(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	u := h.Login("family")
	due := h.Clock.Now().In(h.Config.Location()).AddDate(0, 3, 0).Format("2006-01-02")
	mum := h.Member(u, map[string]any{"name": "小雨妈妈", "relation": "self", "gender": "female", "due_date": due})
	baby := h.Member(u, map[string]any{"name": "小宝", "relation": "child", "birth_date": h.DateAgo(0, 7, 0)})
	grandpa := h.Member(u, map[string]any{"name": "爷爷", "relation": "parent", "gender": "male", "birth_date": h.DateAgo(70, 0, 0)})
	h.Member(u, map[string]any{"name": "爸爸", "relation": "spouse", "birth_date": h.DateAgo(33, 0, 0)})

	type rec struct {
		Article guidanceItem `json:"article"`
		Stage   string       `json:"stage"`
		Member  *struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"member"`
	}
	var out struct {
		Items []rec `json:"items"`
	}
	h.Do("GET", "/api/v1/articles/recommended", nil, testkit.Token(u.Token)).Expect(200).JSON(&out)
	want := map[string]int64{"pregnancy": mum, "infant_6_12m": baby, "elderly": grandpa}
	got := map[string]int{}
	seen := map[int64]bool{}
	for i, r := range out.Items {
		if r.Member == nil || want[r.Stage] != r.Member.ID {
			t.Fatalf("item %d: stage %s for member %+v", i, r.Stage, r.Member)
		}
		found := false
		for _, s := range r.Article.Stages {
			found = found || s == r.Stage
		}
		if !found || seen[r.Article.ID] {
			t.Fatalf("item %d: article %+v for stage %s (repeated: %v)", i, r.Article, r.Stage, seen[r.Article.ID])
		}
		seen[r.Article.ID] = true
		if i > 0 && r.Article.PublishedAt.After(*out.Items[i-1].Article.PublishedAt) {
			t.Fatal("recommendations are newest first")
		}
		got[r.Stage]++
	}
	// Seed: pregnancy 2, infant_6_12m 2, elderly 4.
	if got["pregnancy"] != 2 || got["infant_6_12m"] != 2 || got["elderly"] != 4 || len(out.Items) != 8 {
		t.Fatalf("stages %v", got)
	}
	// A small limit still gives every member a turn.
	out.Items = nil
	h.Do("GET", "/api/v1/articles/recommended?limit=3", nil, testkit.Token(u.Token)).Expect(200).JSON(&out)
	stagesOf := map[string]bool{}
	for _, r := range out.Items {
		stagesOf[r.Stage] = true
	}
	if len(out.Items) != 3 || len(stagesOf) != 3 {
		t.Fatalf("limit 3: %+v", out.Items)
	}

	// No members, or no token: the latest articles, without stage or member.
	for _, tok := range []string{h.Login("single").Token, ""} {
		out.Items = nil
		h.Do("GET", "/api/v1/articles/recommended?limit=5", nil, testkit.Token(tok)).Expect(200).JSON(&out)
		latest := guidanceList(t, h, "", "?limit=5")
		if len(out.Items) != 5 {
			t.Fatalf("latest: %d items", len(out.Items))
		}
		for i, r := range out.Items {
			if r.Member != nil || r.Stage != "" || r.Article.ID != latest.Items[i].ID {
				t.Fatalf("latest item %d: %+v", i, r)
			}
		}
	}
}

func TestGuidance_RecommendationsWithoutArticlesForTheStage(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	staff := h.Staff("editor", 1)
	for _, a := range guidanceList(t, h, "", "?stage=infant_6_12m").Items {
		h.Do("POST", "/api/v1/staff/articles/"+itoa(a.ID)+"/archive", nil, testkit.Token(staff.Token)).Expect(200)
	}
	u := h.Login("family")
	h.Member(u, map[string]any{"name": "小宝", "relation": "child", "birth_date": h.DateAgo(0, 7, 0)})
	var out struct {
		Items []struct {
			Article guidanceItem `json:"article"`
			Stage   string       `json:"stage"`
			Member  any          `json:"member"`
		} `json:"items"`
	}
	h.Do("GET", "/api/v1/articles/recommended?limit=4", nil, testkit.Token(u.Token)).Expect(200).JSON(&out)
	latest := guidanceList(t, h, "", "?limit=4")
	if len(out.Items) != 4 {
		t.Fatalf("the latest articles instead: %+v", out.Items)
	}
	for i, r := range out.Items {
		if r.Stage != "" || r.Member != nil || r.Article.ID != latest.Items[i].ID {
			t.Fatalf("item %d: %+v", i, r)
		}
	}
}

func TestGuidance_RecommendationStageBoundaries(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	loc := h.Config.Location()
	today := h.Clock.Now().In(loc)
	stagesFor := func(u testkit.User) map[string]bool {
		t.Helper()
		var out struct {
			Items []struct {
				Stage string `json:"stage"`
			} `json:"items"`
		}
		h.Do("GET", "/api/v1/articles/recommended?limit=50", nil, testkit.Token(u.Token)).Expect(200).JSON(&out)
		m := map[string]bool{}
		for _, r := range out.Items {
			m[r.Stage] = true
		}
		return m
	}
	cases := []struct {
		name   string
		member map[string]any
		want   string
	}{
		{"newborn", map[string]any{"relation": "child", "birth_date": today.AddDate(0, 0, -10).Format("2006-01-02")}, "infant_0_6m"},
		{"5 months 29 days", map[string]any{"relation": "child", "birth_date": today.AddDate(0, -6, 1).Format("2006-01-02")}, "infant_0_6m"},
		{"6 months", map[string]any{"relation": "child", "birth_date": today.AddDate(0, -6, 0).Format("2006-01-02")}, "infant_6_12m"},
		{"1 year", map[string]any{"relation": "child", "birth_date": today.AddDate(-1, 0, 0).Format("2006-01-02")}, "toddler_1_3y"},
		{"3 years", map[string]any{"relation": "child", "birth_date": today.AddDate(-3, 0, 0).Format("2006-01-02")}, "child_3_6y"},
		{"60 years", map[string]any{"relation": "other", "birth_date": today.AddDate(-60, 0, 0).Format("2006-01-02")}, "elderly"},
		{"parent with chronic condition", map[string]any{"relation": "parent", "chronic_conditions": []string{"高血压"}}, "elderly"},
		{"due today", map[string]any{"relation": "self", "due_date": today.Format("2006-01-02")}, "pregnancy"},
		{"6 years", map[string]any{"relation": "child", "birth_date": today.AddDate(-6, 0, 0).Format("2006-01-02")}, ""},
		{"59 years", map[string]any{"relation": "parent", "birth_date": today.AddDate(-60, 0, 1).Format("2006-01-02")}, ""},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := h.Login(fmt.Sprintf("b%d", i))
			tc.member["name"] = "某人"
			h.Member(u, tc.member)
			got := stagesFor(u)
			if tc.want == "" {
				if len(got) != 1 || !got[""] {
					t.Fatalf("want no stage, got %v", got)
				}
				return
			}
			if len(got) != 1 || !got[tc.want] {
				t.Fatalf("want %s, got %v", tc.want, got)
			}
		})
	}
	// Postpartum for six weeks after the due date, then nothing.
	u := h.Login("after-birth")
	due := today.AddDate(0, 0, 10)
	h.Member(u, map[string]any{"name": "妈妈", "relation": "self", "due_date": due.Format("2006-01-02")})
	h.Clock.Set(due.AddDate(0, 0, 1))
	if got := stagesFor(u); !got["postpartum"] || len(got) != 1 {
		t.Fatalf("day after due date: %v", got)
	}
	h.Clock.Set(due.AddDate(0, 0, 42))
	if got := stagesFor(u); !got["postpartum"] {
		t.Fatalf("42 days after: %v", got)
	}
	h.Clock.Set(due.AddDate(0, 0, 43))
	if got := stagesFor(u); got["postpartum"] {
		t.Fatalf("43 days after: %v", got)
	}
}

func TestGuidance_Favorites(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	staff := h.Staff("editor", 1)
	mum := h.Login("mum")
	dad := h.Login("dad")
	list := guidanceList(t, h, mum.Token, "?limit=3")
	first, second := list.Items[0].ID, list.Items[1].ID

	// Idempotent, also when racing.
	parallel(8, func(int) {
		if r := testkit.Do(t, h.App.Engine, "POST", guidancePath(first, "/favorite"), nil, testkit.Token(mum.Token)); r.Status != 200 {
			t.Errorf("favorite: %d %s", r.Status, r.Body)
		}
	})
	h.Do("POST", guidancePath(second, "/favorite"), nil, testkit.Token(mum.Token)).Expect(200)
	var n int64
	h.DB.Model(&model.ArticleFavorite{}).Where("user_id = ?", mum.ID).Count(&n)
	if n != 2 {
		t.Fatalf("want 2 favorite rows, got %d", n)
	}
	favs := guidancePage{}
	h.Do("GET", "/api/v1/me/favorites", nil, testkit.Token(mum.Token)).Expect(200).JSON(&favs)
	if len(favs.Items) != 2 || favs.Items[0].ID != second || !favs.Items[0].Favorited {
		t.Fatalf("favorites (latest kept first): %+v", favs.Items)
	}
	var page1, page2 guidancePage
	h.Do("GET", "/api/v1/me/favorites?limit=1", nil, testkit.Token(mum.Token)).Expect(200).JSON(&page1)
	h.Do("GET", "/api/v1/me/favorites?limit=1&cursor="+page1.NextCursor, nil, testkit.Token(mum.Token)).Expect(200).JSON(&page2)
	if len(page1.Items) != 1 || len(page2.Items) != 1 || page2.Items[0].ID != first || page2.NextCursor != "" {
		t.Fatalf("favorites paging: %+v %+v", page1, page2)
	}
	// favorited on reads and lists is per caller.
	var a guidanceItem
	h.Do("GET", guidancePath(first, ""), nil, testkit.Token(mum.Token)).Expect(200).JSON(&a)
	if !a.Favorited {
		t.Fatal("mum's read: favorited")
	}
	h.Do("GET", guidancePath(first, ""), nil, testkit.Token(dad.Token)).Expect(200).JSON(&a)
	if a.Favorited {
		t.Fatal("dad's read: not favorited")
	}
	if l := guidanceList(t, h, mum.Token, "?limit=3"); !l.Items[0].Favorited || !l.Items[1].Favorited || l.Items[2].Favorited {
		t.Fatalf("mum's list: %+v", l.Items)
	}
	if l := guidanceList(t, h, dad.Token, "?limit=3"); l.Items[0].Favorited {
		t.Fatal("dad's list: nothing favorited")
	}
	h.Do("GET", "/api/v1/me/favorites", nil, testkit.Token(dad.Token)).Expect(200).JSON(&favs)
	if len(favs.Items) != 0 {
		t.Fatal("dad has no favorites")
	}

	// Unfavorite is idempotent.
	h.Do("DELETE", guidancePath(first, "/favorite"), nil, testkit.Token(mum.Token)).Expect(200)
	h.Do("DELETE", guidancePath(first, "/favorite"), nil, testkit.Token(mum.Token)).Expect(200)
	h.Do("GET", "/api/v1/me/favorites", nil, testkit.Token(mum.Token)).Expect(200).JSON(&favs)
	if len(favs.Items) != 1 || favs.Items[0].ID != second {
		t.Fatalf("after unfavorite: %+v", favs.Items)
	}
	// An archived favorite leaves the list but can still be removed.
	h.Do("POST", "/api/v1/staff/articles/"+itoa(second)+"/archive", nil, testkit.Token(staff.Token)).Expect(200)
	h.Do("GET", "/api/v1/me/favorites", nil, testkit.Token(mum.Token)).Expect(200).JSON(&favs)
	if len(favs.Items) != 0 {
		t.Fatal("archived articles leave the favorites list")
	}
	h.Do("DELETE", guidancePath(second, "/favorite"), nil, testkit.Token(mum.Token)).Expect(200)
	h.Do("DELETE", guidancePath(second, "/favorite"), nil, testkit.Token(mum.Token)).ExpectError(404, "not_found")

	// Drafts, unknown articles and anonymous callers.
	draft := guidanceDraft(t, h, staff, nil)
	h.Do("POST", guidancePath(draft.ID, "/favorite"), nil, testkit.Token(mum.Token)).ExpectError(404, "not_found")
	h.Do("POST", guidancePath(second, "/favorite"), nil, testkit.Token(mum.Token)).ExpectError(404, "not_found")
	h.Do("POST", guidancePath(999999, "/favorite"), nil, testkit.Token(mum.Token)).ExpectError(404, "not_found")
	h.Do("POST", guidancePath(first, "/favorite"), nil).ExpectError(401, "unauthorized")
	h.Do("GET", "/api/v1/me/favorites", nil).ExpectError(401, "unauthorized")
	h.Do("GET", "/api/v1/me/favorites?cursor=nope", nil, testkit.Token(mum.Token)).ExpectError(422, "invalid_request")
}

func TestGuidance_ETagRoundTrip(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	staff := h.Staff("editor", 1)
	mum := h.Login("mum")
	dad := h.Login("dad")

	r := h.Do("GET", "/api/v1/articles?category=nutrition", nil, testkit.Token(mum.Token)).Expect(200)
	tag := r.Header.Get("ETag")
	if tag == "" || r.Header.Get("Cache-Control") != "private, no-cache" || r.Header.Get("Vary") != "Authorization" {
		t.Fatalf("caching headers: %v", r.Header)
	}
	r = h.Do("GET", "/api/v1/articles?category=nutrition", nil, testkit.Token(mum.Token), testkit.Header("If-None-Match", tag)).Expect(304)
	if len(r.Body) != 0 || r.Header.Get("ETag") != tag {
		t.Fatalf("304 carries the tag and no body: %q %v", r.Body, r.Header)
	}
	h.Do("GET", "/api/v1/articles?category=nutrition", nil, testkit.Token(mum.Token), testkit.Header("If-None-Match", `"other", W/`+tag)).Expect(304)
	h.Do("GET", "/api/v1/articles?category=nutrition", nil, testkit.Token(mum.Token), testkit.Header("If-None-Match", `"stale"`)).Expect(200)
	// Other params, other callers: other tags.
	if h.Do("GET", "/api/v1/articles?category=tcm", nil, testkit.Token(mum.Token), testkit.Header("If-None-Match", tag)).Status != 200 {
		t.Fatal("another filter must not match")
	}
	h.Do("GET", "/api/v1/articles?category=nutrition", nil, testkit.Token(dad.Token), testkit.Header("If-None-Match", tag)).Expect(200)
	h.Do("GET", "/api/v1/articles?category=nutrition", nil, testkit.Header("If-None-Match", tag)).Expect(200)

	// A favorite changes the caller's list and read.
	first := guidanceList(t, h, mum.Token, "?category=nutrition").Items[0].ID
	read := h.Do("GET", guidancePath(first, ""), nil, testkit.Token(mum.Token)).Expect(200)
	readTag := read.Header.Get("ETag")
	h.Do("GET", guidancePath(first, ""), nil, testkit.Token(mum.Token), testkit.Header("If-None-Match", readTag)).Expect(304)
	h.Do("POST", guidancePath(first, "/favorite"), nil, testkit.Token(mum.Token)).Expect(200)
	h.Do("GET", "/api/v1/articles?category=nutrition", nil, testkit.Token(mum.Token), testkit.Header("If-None-Match", tag)).Expect(200)
	h.Do("GET", guidancePath(first, ""), nil, testkit.Token(mum.Token), testkit.Header("If-None-Match", readTag)).Expect(200)

	// An edit changes the tags at once (the in-process cache is invalidated).
	r = h.Do("GET", "/api/v1/articles?category=nutrition", nil, testkit.Token(mum.Token)).Expect(200)
	tag = r.Header.Get("ETag")
	readTag = h.Do("GET", guidancePath(first, ""), nil, testkit.Token(mum.Token)).Expect(200).Header.Get("ETag")
	h.Do("PUT", "/api/v1/staff/articles/"+itoa(first), map[string]any{"title": "改过的标题"}, testkit.Token(staff.Token)).Expect(200)
	var l guidancePage
	h.Do("GET", "/api/v1/articles?category=nutrition", nil, testkit.Token(mum.Token), testkit.Header("If-None-Match", tag)).Expect(200).JSON(&l)
	if l.Items[0].Title != "改过的标题" {
		t.Fatalf("edit not visible: %v", guidanceTitles(l))
	}
	h.Do("GET", guidancePath(first, ""), nil, testkit.Token(mum.Token), testkit.Header("If-None-Match", readTag)).Expect(200)

	// Staff see drafts: their tag never answers a resident's request.
	draft := guidanceDraft(t, h, staff, nil)
	staffTag := h.Do("GET", guidancePath(draft.ID, ""), nil, testkit.Token(staff.Token)).Expect(200).Header.Get("ETag")
	h.Do("GET", guidancePath(draft.ID, ""), nil, testkit.Token(staff.Token), testkit.Header("If-None-Match", staffTag)).Expect(304)
	h.Do("GET", guidancePath(draft.ID, ""), nil, testkit.Token(mum.Token), testkit.Header("If-None-Match", staffTag)).ExpectError(404, "not_found")
	// Archiving drops the cached read at once.
	h.Do("POST", "/api/v1/staff/articles/"+itoa(first)+"/archive", nil, testkit.Token(staff.Token)).Expect(200)
	h.Do("GET", guidancePath(first, ""), nil, testkit.Token(mum.Token), testkit.Header("If-None-Match", readTag)).ExpectError(404, "not_found")
}

func TestGuidance_CacheTTL(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	l := guidanceList(t, h, "", "?limit=1")
	first := l.Items[0]
	// A change behind the service (another replica) shows once the TTL ends.
	if err := h.DB.Model(&model.Article{}).Where("id = ?", first.ID).Update("title", "别的副本改的").Error; err != nil {
		t.Fatal(err)
	}
	if got := guidanceList(t, h, "", "?limit=1").Items[0].Title; got != first.Title {
		t.Fatalf("cached page expected, got %q", got)
	}
	h.Clock.Advance(31 * time.Second)
	if got := guidanceList(t, h, "", "?limit=1").Items[0].Title; got != "别的副本改的" {
		t.Fatalf("after the TTL: %q", got)
	}
}

func TestGuidance_ViewCountsBatched(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	staff := h.Staff("editor", 1)
	u := h.Login("reader")
	target := guidanceList(t, h, "", "?limit=1").Items[0].ID
	const reads = 40
	parallel(reads, func(i int) {
		tok := u.Token
		if i%2 == 0 {
			tok = ""
		}
		if r := testkit.Do(t, h.App.Engine, "GET", guidancePath(target, ""), nil, testkit.Token(tok)); r.Status != 200 {
			t.Errorf("read: %d", r.Status)
		}
	})
	h.Do("GET", guidancePath(target, ""), nil, testkit.Token(staff.Token)).Expect(200) // staff previews do not count
	var a model.Article
	h.DB.First(&a, target)
	if a.ViewCount != 0 {
		t.Fatalf("reads must be buffered, not written one by one: view_count %d", a.ViewCount)
	}
	// Two flushes at once write every read exactly once.
	svc := h.App.Services.Guidance
	flushed := runJobs(t, svc.Flush, svc.Flush)
	h.DB.First(&a, target)
	if a.ViewCount != reads || flushed[0]+flushed[1] != 1 {
		t.Fatalf("view_count %d (want %d), articles flushed %v", a.ViewCount, reads, flushed)
	}
	if n, _ := svc.Flush(context.Background()); n != 0 {
		t.Fatal("nothing left to flush")
	}
	var got guidanceItem
	h.Do("GET", guidancePath(target, ""), nil).Expect(200).JSON(&got)
	if got.ViewCount != reads {
		t.Fatalf("read shows view_count %d", got.ViewCount)
	}
	if !a.UpdatedAt.Equal(a.CreatedAt) {
		t.Fatal("counting views must not touch updated_at")
	}
}

func TestGuidance_CreateIdempotent(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	staff := h.Staff("editor", 1)
	body := map[string]any{"title": "重复提交", "body": "<p>正文</p>", "category": "tcm", "stages": []string{"elderly"}}
	var first, second guidanceItem
	h.Do("POST", "/api/v1/staff/articles", body, testkit.Token(staff.Token), testkit.Header("Idempotency-Key", "k-1")).Expect(201).JSON(&first)
	h.Do("POST", "/api/v1/staff/articles", body, testkit.Token(staff.Token), testkit.Header("Idempotency-Key", "k-1")).Expect(201).JSON(&second)
	var n int64
	h.DB.Model(&model.Article{}).Where("title = ?", "重复提交").Count(&n)
	if first.ID != second.ID || n != 1 {
		t.Fatalf("the same key creates one article: %d and %d, %d rows", first.ID, second.ID, n)
	}
}

func TestGuidance_PublishRace(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	staff := h.Staff("editor", 1)
	a := guidanceDraft(t, h, staff, nil)
	statuses := make([]int, 6)
	parallel(len(statuses), func(i int) {
		statuses[i] = testkit.Do(t, h.App.Engine, "POST", "/api/v1/staff/articles/"+itoa(a.ID)+"/publish", nil, testkit.Token(staff.Token)).Status
	})
	okCount := 0
	for _, s := range statuses {
		switch s {
		case 200:
			okCount++
		case 409:
		default:
			t.Fatalf("unexpected status %d", s)
		}
	}
	var events int64
	h.DB.Model(&model.ArticleEvent{}).Where("article_id = ? AND to_status = ?", a.ID, "published").Count(&events)
	if okCount != 1 || events != 1 {
		t.Fatalf("one publish wins: %v, %d events", statuses, events)
	}
}
