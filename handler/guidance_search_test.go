package handler_test

import (
	"context"
	"net/url"
	"slices"
	"testing"

	"familycare/model"
	"familycare/testkit"
)

func guidanceSearch(t *testing.T, h *testkit.Harness, q string, extra string) guidancePage {
	t.Helper()
	return guidanceList(t, h, "", "?q="+url.QueryEscape(q)+extra)
}

func TestGuidance_SearchChinese(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	staff := h.Staff("editor", 1)
	// The word only in the body, in running text without spaces.
	bodyOnly := guidancePublished(t, h, staff, map[string]any{"title": "宝宝长牙期的护理", "summary": "出牙不适怎么办",
		"body": "<p>多数宝宝6个月后开始添加辅食，也在这时开始长牙。</p>", "stages": []string{"infant_6_12m"}})

	cases := []struct {
		name, q string
		want    []string // titles, in order (nil: check only membership)
		has     []int64
	}{
		{name: "two characters", q: "辅食",
			want: []string{"宝宝 6 个月后如何添加辅食", "辅食添加常见问题：过敏、便秘与挑食", "宝宝长牙期的护理"}},
		{name: "body substring", q: "6个月后开始添加辅食", has: []int64{bodyOnly.ID}},
		{name: "three characters", q: "强化铁", want: []string{"宝宝 6 个月后如何添加辅食"}},
		{name: "two words both required", q: "辅食 过敏", want: []string{"辅食添加常见问题：过敏、便秘与挑食", "宝宝 6 个月后如何添加辅食"}},
		{name: "ideographic space", q: "辅食\u3000长牙", want: []string{"宝宝长牙期的护理"}},
		{name: "words from title and body", q: "高血压 限盐勺", want: []string{"高血压老人的家常饮食：控盐有窍门"}},
		{name: "one character", q: "艾", want: []string{"冬病夏治：老年人三伏贴与艾灸保健"}},
		{name: "no match", q: "火锅", want: []string{}},
		{name: "one word missing", q: "辅食 火锅", want: []string{}},
		{name: "markup is not text", q: "strong", want: []string{}},
		{name: "wildcards are literal", q: "%", want: []string{}},
		{name: "underscore literal", q: "_", want: []string{}},
		{name: "quotes", q: `"辅食`, want: []string{}},
		{name: "fts syntax", q: "辅食 OR NEAR(", want: []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var p guidancePage
			testkit.Do(t, h.App.Engine, "GET", "/api/v1/articles?limit=100&q="+url.QueryEscape(tc.q), nil).Expect(200).JSON(&p)
			got := guidanceTitles(p)
			if tc.want != nil && !slices.Equal(got, tc.want) {
				t.Fatalf("q=%q: got %q, want %q", tc.q, got, tc.want)
			}
			for _, id := range tc.has {
				if !guidanceHas(p, id) {
					t.Fatalf("q=%q: article %d missing from %q", tc.q, id, got)
				}
			}
		})
	}
	// Search combines with filters.
	if got := guidanceTitles(guidanceSearch(t, h, "辅食", "&category=nutrition&stage=toddler_1_3y")); !slices.Equal(got, []string{"辅食添加常见问题：过敏、便秘与挑食"}) {
		t.Fatalf("search + filters: %q", got)
	}
	// Paging keeps title matches first and lists each article once.
	var paged []string
	cursor := ""
	for {
		p := guidanceSearch(t, h, "辅食", "&limit=1&cursor="+cursor)
		paged = append(paged, guidanceTitles(p)...)
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if !slices.Equal(paged, cases[0].want) {
		t.Fatalf("paged search: %q", paged)
	}
	// Drafts are never found by residents; staff search their own list.
	draft := guidanceDraft(t, h, staff, map[string]any{"title": "艾灸草稿", "body": "<p>艾叶温经</p>"})
	if guidanceHas(guidanceSearch(t, h, "艾叶", "&limit=100"), draft.ID) {
		t.Fatal("drafts are not searchable by residents")
	}
	var staffHits guidancePage
	h.Do("GET", "/api/v1/staff/articles?q="+url.QueryEscape("艾叶"), nil, testkit.Token(staff.Token)).Expect(200).JSON(&staffHits)
	if len(staffHits.Items) != 1 || staffHits.Items[0].ID != draft.ID {
		t.Fatalf("staff search: %+v", staffHits.Items)
	}
}

func TestGuidance_SearchFollowsEdits(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	staff := h.Staff("editor", 1)
	a := guidancePublished(t, h, staff, map[string]any{"title": "产后恢复", "summary": "产后运动", "body": "<p>盆底肌训练从产后六周开始，饮食注意补充DHA。</p>"})
	if p := guidanceSearch(t, h, "盆底肌", ""); !guidanceHas(p, a.ID) {
		t.Fatal("new article not found")
	}
	for _, q := range []string{"dha", "Dha 盆底肌"} {
		if p := guidanceSearch(t, h, q, ""); !guidanceHas(p, a.ID) {
			t.Fatalf("q=%q: ASCII words match in any case", q)
		}
	}
	indexed := func(gram string) int64 {
		t.Helper()
		var n int64
		var err error
		if testkit.IsMySQL() {
			var fulltext int64
			h.DB.Raw("SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'articles' AND index_name = ?",
				model.ArticleFulltextName).Scan(&fulltext)
			if fulltext > 0 {
				return -1 // MySQL 8: the FULLTEXT index keeps itself
			}
			err = h.DB.Model(&model.ArticleGram{}).Where("article_id = ? AND gram = ?", a.ID, gram).Count(&n).Error
		} else {
			err = h.DB.Raw("SELECT COUNT(*) FROM "+model.ArticleFTSTable+" WHERE rowid = ? AND body_text LIKE ?", a.ID, "%"+gram+"%").Scan(&n).Error
		}
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := indexed("盆底"); n == 0 {
		t.Fatal("the search index holds the body")
	}
	h.Do("PUT", "/api/v1/staff/articles/"+itoa(a.ID), map[string]any{"body": "<p>凯格尔运动每天三组</p>"}, testkit.Token(staff.Token)).Expect(200)
	if n := indexed("盆底"); n > 0 {
		t.Fatal("the search index still holds the old body")
	}
	if p := guidanceSearch(t, h, "盆底肌", ""); guidanceHas(p, a.ID) {
		t.Fatal("old body text still found")
	}
	for _, q := range []string{"凯格尔", "三组", "凯格尔运动 产后"} {
		if p := guidanceSearch(t, h, q, ""); !guidanceHas(p, a.ID) {
			t.Fatalf("q=%q: edited body not found", q)
		}
	}
	h.Do("PUT", "/api/v1/staff/articles/"+itoa(a.ID), map[string]any{"title": "月子里的运动"}, testkit.Token(staff.Token)).Expect(200)
	if p := guidanceSearch(t, h, "月子", ""); !guidanceHas(p, a.ID) {
		t.Fatal("edited title not found")
	}
	if p := guidanceSearch(t, h, "产后恢复", ""); guidanceHas(p, a.ID) {
		t.Fatal("old title still found")
	}
}

func TestGuidance_IndexJobCatchesDirectInserts(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	now := h.Clock.Now()
	// An import written straight into the table: raw HTML, no search text.
	row := model.Article{Title: "导入的文章", Body: `<p>冬季进补宜清淡</p><script>x()</script>`, Category: "elderly",
		Stages: []string{"elderly"}, Status: model.ArticlePublished, PublishedAt: &now, ClinicID: 1, CreatedAt: now, UpdatedAt: now}
	h.Create(&row)
	if p := guidanceSearch(t, h, "冬季进补", ""); guidanceHas(p, row.ID) {
		t.Fatal("an unindexed body cannot be found yet")
	}
	n, err := h.App.Services.Guidance.Reindex(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("reindex: %d %v", n, err)
	}
	for _, q := range []string{"冬季进补", "清淡"} {
		if p := guidanceSearch(t, h, q, ""); !guidanceHas(p, row.ID) {
			t.Fatalf("q=%q: reindexed article not found", q)
		}
	}
	var got model.Article
	h.DB.First(&got, row.ID)
	if got.Body != "<p>冬季进补宜清淡</p>" || got.BodyText != "冬季进补宜清淡" {
		t.Fatalf("reindex sanitizes: %q / %q", got.Body, got.BodyText)
	}
	if n, _ := h.App.Services.Guidance.Reindex(context.Background()); n != 0 {
		t.Fatal("nothing left to index")
	}
	// Reindexing at start-up is harmless for rows the service wrote.
	staff := h.Staff("editor", 1)
	guidancePublished(t, h, staff, map[string]any{"body": "<p>正文</p>"})
	if n, _ := h.App.Services.Guidance.Reindex(context.Background()); n != 0 {
		t.Fatal("service writes are indexed at once")
	}
}
