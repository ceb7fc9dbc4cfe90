package handler_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"familycare/config"
	"familycare/model"
	"familycare/testkit"
)

// circleIDs maps the seeded circles' slugs to ids.
func circleIDs(t *testing.T, h *testkit.Harness) map[string]string {
	t.Helper()
	var list struct {
		Items []struct {
			ID   int64  `json:"id"`
			Slug string `json:"slug"`
		} `json:"items"`
	}
	h.Do("GET", "/api/v1/circles", nil).Expect(200).JSON(&list)
	out := map[string]string{}
	for _, c := range list.Items {
		out[c.Slug] = itoa(c.ID)
	}
	return out
}

// circleMember signs in a resident who has joined the circle.
func circleMember(t *testing.T, h *testkit.Harness, openid, circle string) testkit.User {
	t.Helper()
	u := h.Login(openid)
	h.Do("POST", "/api/v1/circles/"+circle+"/join", nil, testkit.Token(u.Token)).Expect(200)
	return u
}

// circlePost posts and returns the new post.
func circlePost(t *testing.T, h *testkit.Harness, u testkit.User, circle, content string) map[string]any {
	t.Helper()
	return h.Do("POST", "/api/v1/circles/"+circle+"/posts", map[string]any{"content": content}, testkit.Token(u.Token)).Expect(201).Map()
}

// circleClinic is a seeded clinic's id (ids differ between databases).
func circleClinic(t *testing.T, h *testkit.Harness) int64 {
	t.Helper()
	var c model.Clinic
	if err := h.DB.Order("id").First(&c).Error; err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func circleIDOf(m map[string]any) string { return itoa(int64(m["id"].(float64))) }

type circlePage struct {
	Items []struct {
		ID           int64           `json:"id"`
		Content      string          `json:"content"`
		Status       string          `json:"status"`
		Author       *map[string]any `json:"author"`
		LikeCount    int             `json:"like_count"`
		CommentCount int             `json:"comment_count"`
		ByPostAuthor bool            `json:"by_post_author"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func circleFeed(t *testing.T, h *testkit.Harness, u testkit.User, path string) circlePage {
	t.Helper()
	var p circlePage
	h.Do("GET", path, nil, testkit.Token(u.Token)).Expect(200).JSON(&p)
	return p
}

func circleCount(t *testing.T, h *testkit.Harness, table any, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := h.DB.Model(table).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func circleRow(t *testing.T, h *testkit.Harness, id string) model.Circle {
	t.Helper()
	var c model.Circle
	if err := h.DB.First(&c, id).Error; err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCircle_ListJoinLeave(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	ids := circleIDs(t, h)
	if len(ids) != 3 || ids["beiyun"] == "" || ids["yunma"] == "" || ids["baoma"] == "" {
		t.Fatalf("seeded circles: %v", ids)
	}
	u := h.Login("mum")
	due := h.Clock.Now().AddDate(0, 3, 0).Format("2006-01-02")
	h.Member(u, map[string]any{"name": "我", "relation": "self", "gender": "female", "due_date": due})

	for i := 0; i < 2; i++ { // join is idempotent
		c := h.Do("POST", "/api/v1/circles/"+ids["yunma"]+"/join", nil, testkit.Token(u.Token)).Expect(200).Map()
		if c["joined"] != true || c["member_count"] != float64(1) {
			t.Fatalf("join #%d: %v", i+1, c)
		}
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", "/api/v1/circles", nil, testkit.Token(u.Token)).Expect(200).JSON(&list)
	for _, c := range list.Items {
		joined, suggested := c["slug"] == "yunma", c["slug"] == "yunma"
		if c["joined"] != joined || c["suggested"] != suggested {
			t.Fatalf("circle %v: want joined=%v suggested=%v", c, joined, suggested)
		}
	}
	// Without a token: no joined, no suggestion; a bad token is still 401.
	h.Do("GET", "/api/v1/circles", nil).Expect(200).JSON(&list)
	for _, c := range list.Items {
		if c["joined"] != false || c["suggested"] != false {
			t.Fatalf("anonymous caller: %v", c)
		}
	}
	h.Do("GET", "/api/v1/circles", nil, testkit.Token("nope")).ExpectError(401, "unauthorized")

	for i := 0; i < 2; i++ { // leave is idempotent too
		c := h.Do("POST", "/api/v1/circles/"+ids["yunma"]+"/leave", nil, testkit.Token(u.Token)).Expect(200).Map()
		if c["joined"] != false || c["member_count"] != float64(0) {
			t.Fatalf("leave #%d: %v", i+1, c)
		}
	}
	h.Do("POST", "/api/v1/circles/999/join", nil, testkit.Token(u.Token)).ExpectError(404, "not_found")
	h.Do("POST", "/api/v1/circles/abc/join", nil, testkit.Token(u.Token)).ExpectError(404, "not_found")
	h.Do("POST", "/api/v1/circles/"+ids["yunma"]+"/join", nil).ExpectError(401, "unauthorized")

	// A mother of a baby is pointed at 宝妈圈.
	m2 := h.Login("baoma")
	h.Member(m2, map[string]any{"name": "小宝", "relation": "child", "birth_date": h.DateAgo(0, 4, 0)})
	h.Do("GET", "/api/v1/circles", nil, testkit.Token(m2.Token)).Expect(200).JSON(&list)
	for _, c := range list.Items {
		if c["suggested"] != (c["slug"] == "baoma") {
			t.Fatalf("mother of a baby: %v", c)
		}
	}
}

func TestCircle_AdminAddsCircle(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	admin := h.Admin("boss")
	staff := h.Staff("nurse", circleClinic(t, h))
	body := map[string]any{"slug": "erhai", "name": "二胎妈妈圈", "description": "二胎经验交流", "stage": "pregnancy"}
	h.Do("POST", "/api/v1/staff/circles", body, testkit.Token(staff.Token)).ExpectError(403, "forbidden")
	c := h.Do("POST", "/api/v1/staff/circles", body, testkit.Token(admin.Token)).Expect(201).Map()
	if c["slug"] != "erhai" || c["member_count"] != float64(0) {
		t.Fatalf("created: %v", c)
	}
	h.Do("POST", "/api/v1/staff/circles", body, testkit.Token(admin.Token)).ExpectError(409, "circle_exists")
	h.Do("POST", "/api/v1/staff/circles", map[string]any{"slug": "Bad Slug", "name": "x"}, testkit.Token(admin.Token)).ExpectError(422, "invalid_request")
	h.Do("POST", "/api/v1/staff/circles", map[string]any{"slug": "ok", "name": "x", "stage": "teen"}, testkit.Token(admin.Token)).ExpectError(422, "invalid_request")
	if n := len(circleIDs(t, h)); n != 4 {
		t.Fatalf("want 4 circles, got %d", n)
	}
}

func TestCircle_PostRules(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	ids := circleIDs(t, h)
	outsider := h.Login("outsider")
	path := "/api/v1/circles/" + ids["beiyun"] + "/posts"
	h.Do("POST", path, map[string]any{"content": "你好"}, testkit.Token(outsider.Token)).ExpectError(403, "not_a_member")
	h.Do("POST", "/api/v1/circles/999/posts", map[string]any{"content": "你好"}, testkit.Token(outsider.Token)).ExpectError(404, "not_found")

	u := circleMember(t, h, "member", ids["beiyun"])
	nine := make([]string, 9)
	ten := make([]string, 10)
	for i := range ten {
		if i < 9 {
			nine[i] = fmt.Sprintf("https://img.example.com/%d.jpg", i)
		}
		ten[i] = fmt.Sprintf("https://img.example.com/%d.jpg", i)
	}
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"empty", map[string]any{"content": ""}, "content"},
		{"blank", map[string]any{"content": "  \n "}, "content"},
		{"missing", map[string]any{}, "content"},
		{"2001 chinese characters", map[string]any{"content": strings.Repeat("孕", 2001)}, "content"},
		{"ten images", map[string]any{"content": "图", "image_urls": ten}, "image_urls"},
		{"http image", map[string]any{"content": "图", "image_urls": []string{"http://img.example.com/a.jpg"}}, "image_urls[0]"},
		{"not a url", map[string]any{"content": "图", "image_urls": []string{"https://ok.example.com/a.jpg", "javascript:alert(1)"}}, "image_urls[1]"},
		{"content not a string", map[string]any{"content": 12}, "content"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := testkit.Do(t, h.App.Engine, "POST", path, tc.body, testkit.Token(u.Token)).ExpectError(422, "invalid_request")
			fields := r.Map()["error"].(map[string]any)["details"].(map[string]any)["fields"].(map[string]any)
			if _, ok := fields[tc.field]; !ok {
				t.Fatalf("want field %s in %v", tc.field, fields)
			}
		})
	}
	if n := circleCount(t, h, &model.Post{}, "1 = 1"); n != 0 {
		t.Fatalf("rejected posts must not be stored, found %d", n)
	}
	// 2000 Chinese characters (6000 bytes) and nine https images are fine.
	p := h.Do("POST", path, map[string]any{"content": strings.Repeat("孕", 2000), "image_urls": nine}, testkit.Token(u.Token)).Expect(201).Map()
	if p["status"] != "published" || len(p["image_urls"].([]any)) != 9 || p["is_mine"] != true {
		t.Fatalf("post: %v", p["status"])
	}
	if c := circleRow(t, h, ids["beiyun"]); c.PostCount != 1 {
		t.Fatalf("post_count %d", c.PostCount)
	}
	// Leaving the circle ends posting.
	h.Do("POST", "/api/v1/circles/"+ids["beiyun"]+"/leave", nil, testkit.Token(u.Token)).Expect(200)
	h.Do("POST", path, map[string]any{"content": "再来一条"}, testkit.Token(u.Token)).ExpectError(403, "not_a_member")
	h.Do("GET", path+"?cursor=not-a-cursor!", nil, testkit.Token(u.Token)).ExpectError(422, "invalid_request")
	h.Do("GET", path+"?limit=0", nil, testkit.Token(u.Token)).ExpectError(422, "invalid_request")
}

func TestCircle_AnonymousAuthorHiddenFromResidents(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	ids := circleIDs(t, h)
	circle := ids["yunma"]
	author := circleMember(t, h, "shy", circle)
	reader := circleMember(t, h, "reader", circle)
	staff := h.Staff("doc", circleClinic(t, h))
	p := h.Do("POST", "/api/v1/circles/"+circle+"/posts", map[string]any{"content": "有点焦虑，想匿名问问", "anonymous": true},
		testkit.Token(author.Token)).Expect(201).Map()
	id := circleIDOf(p)
	// The resident reader sees no author, in the post, the feed and the
	// author's own comments on it.
	if r := h.Do("GET", "/api/v1/posts/"+id, nil, testkit.Token(reader.Token)).Expect(200).Map(); r["author"] != nil || r["anonymous"] != true || r["is_mine"] != false {
		t.Fatalf("reader sees %v", r)
	}
	if f := circleFeed(t, h, reader, "/api/v1/circles/"+circle+"/posts"); len(f.Items) != 1 || f.Items[0].Author != nil {
		t.Fatalf("reader's feed shows the author: %+v", f.Items)
	}
	h.Do("POST", "/api/v1/posts/"+id+"/comments", map[string]any{"content": "补充一下情况"}, testkit.Token(author.Token)).Expect(201)
	h.Do("POST", "/api/v1/posts/"+id+"/comments", map[string]any{"content": "抱抱你"}, testkit.Token(reader.Token)).Expect(201)
	cs := circleFeed(t, h, reader, "/api/v1/posts/"+id+"/comments")
	if len(cs.Items) != 2 || cs.Items[0].Author != nil || !cs.Items[0].ByPostAuthor || cs.Items[1].Author == nil || cs.Items[1].ByPostAuthor {
		t.Fatalf("comments as the reader sees them: %+v", cs.Items)
	}
	// Staff see the author; so does the author.
	sp := h.Do("GET", "/api/v1/posts/"+id, nil, testkit.Token(staff.Token)).Expect(200).Map()
	if a, _ := sp["author"].(map[string]any); a == nil || a["id"] != float64(author.ID) {
		t.Fatalf("staff must see the author: %v", sp)
	}
	if f := circleFeed(t, h, staff, "/api/v1/circles/"+circle+"/posts"); f.Items[0].Author == nil {
		t.Fatal("staff feed must show the author")
	}
	if cs := circleFeed(t, h, staff, "/api/v1/posts/"+id+"/comments"); cs.Items[0].Author == nil {
		t.Fatal("staff must see the author's comment author")
	}
	if r := h.Do("GET", "/api/v1/posts/"+id, nil, testkit.Token(author.Token)).Expect(200).Map(); r["is_mine"] != true {
		t.Fatalf("author: %v", r)
	}
	// A named post shows its author to everyone.
	named := circlePost(t, h, reader, circle, "分享一个孕期食谱")
	if a, _ := named["author"].(map[string]any); a == nil || a["id"] != float64(reader.ID) {
		t.Fatalf("named post: %v", named)
	}
}

func TestCircle_HiddenAndDeletedPostsVanishForResidents(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	ids := circleIDs(t, h)
	circle := ids["baoma"]
	author := circleMember(t, h, "author", circle)
	reader := circleMember(t, h, "reader", circle)
	staff := h.Staff("mod", circleClinic(t, h))
	feedPath := "/api/v1/circles/" + circle + "/posts"
	bad := circlePost(t, h, author, circle, "加我买奶粉，便宜")
	good := circlePost(t, h, author, circle, "宝宝夜醒怎么办")
	badID, goodID := circleIDOf(bad), circleIDOf(good)
	if c := circleRow(t, h, circle); c.PostCount != 2 {
		t.Fatalf("post_count %d", c.PostCount)
	}

	// Residents cannot use the staff routes.
	h.Do("POST", "/api/v1/staff/posts/"+badID+"/hide", map[string]any{"reason": "广告"}, testkit.Token(reader.Token)).ExpectError(403, "forbidden")
	h.Do("POST", "/api/v1/staff/posts/"+badID+"/hide", map[string]any{}, testkit.Token(staff.Token)).ExpectError(422, "invalid_request")
	h.Do("POST", "/api/v1/staff/posts/999/hide", map[string]any{"reason": "广告"}, testkit.Token(staff.Token)).ExpectError(404, "not_found")
	hidden := h.Do("POST", "/api/v1/staff/posts/"+badID+"/hide", map[string]any{"reason": "广告推销"}, testkit.Token(staff.Token)).Expect(200).Map()
	if hidden["status"] != "hidden" || hidden["moderation_reason"] != "广告推销" {
		t.Fatalf("hidden: %v", hidden)
	}
	h.Do("POST", "/api/v1/staff/posts/"+badID+"/hide", map[string]any{"reason": "again"}, testkit.Token(staff.Token)).ExpectError(409, "invalid_transition")
	for _, u := range []testkit.User{reader, author} {
		h.Do("GET", "/api/v1/posts/"+badID, nil, testkit.Token(u.Token)).ExpectError(404, "not_found")
		h.Do("GET", "/api/v1/posts/"+badID+"/comments", nil, testkit.Token(u.Token)).ExpectError(404, "not_found")
		h.Do("POST", "/api/v1/posts/"+badID+"/like", nil, testkit.Token(u.Token)).ExpectError(404, "not_found")
		if f := circleFeed(t, h, u, feedPath); len(f.Items) != 1 || itoa(f.Items[0].ID) != goodID {
			t.Fatalf("feed must hold only the visible post: %+v", f.Items)
		}
	}
	if c := circleRow(t, h, circle); c.PostCount != 1 {
		t.Fatalf("post_count after hide %d", c.PostCount)
	}
	h.Do("GET", "/api/v1/posts/"+badID, nil, testkit.Token(staff.Token)).Expect(200)
	h.Do("POST", "/api/v1/posts/"+badID+"/like", nil, testkit.Token(staff.Token)).ExpectError(409, "post_not_published")
	// The author was told.
	if n := circleCount(t, h, &model.Notification{}, "user_id = ? AND event = ? AND ref_id = ?", author.ID, "post_hidden", hidden["id"]); n != 1 {
		t.Fatalf("want one post_hidden notification, got %d", n)
	}
	// Unhide brings it back.
	h.Do("POST", "/api/v1/staff/posts/"+badID+"/unhide", map[string]any{"reason": "误判"}, testkit.Token(staff.Token)).Expect(200)
	h.Do("GET", "/api/v1/posts/"+badID, nil, testkit.Token(reader.Token)).Expect(200)
	h.Do("POST", "/api/v1/staff/posts/"+badID+"/unhide", nil, testkit.Token(staff.Token)).ExpectError(409, "invalid_transition")

	// Delete: not by another resident; by the author; then gone.
	h.Do("DELETE", "/api/v1/posts/"+goodID, nil, testkit.Token(reader.Token)).ExpectError(403, "forbidden")
	h.Do("DELETE", "/api/v1/posts/"+goodID, nil, testkit.Token(author.Token)).Expect(204)
	h.Do("DELETE", "/api/v1/posts/"+goodID, nil, testkit.Token(author.Token)).ExpectError(404, "not_found")
	h.Do("GET", "/api/v1/posts/"+goodID, nil, testkit.Token(author.Token)).ExpectError(404, "not_found")
	// Staff delete the other one; staff still read deleted posts.
	h.Do("DELETE", "/api/v1/posts/"+badID, nil, testkit.Token(staff.Token)).Expect(204)
	if r := h.Do("GET", "/api/v1/posts/"+badID, nil, testkit.Token(staff.Token)).Expect(200).Map(); r["status"] != "deleted" {
		t.Fatalf("staff view of a deleted post: %v", r)
	}
	h.Do("DELETE", "/api/v1/posts/"+badID, nil, testkit.Token(staff.Token)).ExpectError(409, "invalid_transition")
	if f := circleFeed(t, h, reader, feedPath); len(f.Items) != 0 {
		t.Fatalf("deleted posts in feed: %+v", f.Items)
	}
	if c := circleRow(t, h, circle); c.PostCount != 0 {
		t.Fatalf("post_count after deletes %d", c.PostCount)
	}
	var var1 struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", "/api/v1/staff/moderation-logs?target_type=post&target_id="+badID, nil, testkit.Token(staff.Token)).Expect(200).JSON(&var1)
	var actions []string
	for _, it := range var1.Items {
		actions = append(actions, it["action"].(string))
		if it["actor_id"] != float64(staff.ID) || it["created_at"] == "" {
			t.Fatalf("log row: %v", it)
		}
	}
	if strings.Join(actions, ",") != "delete_post,unhide_post,hide_post" {
		t.Fatalf("audit log (newest first): %v", actions)
	}
	if var1.Items[2]["reason"] != "广告推销" {
		t.Fatalf("hide reason not logged: %v", var1.Items[2])
	}
	h.Do("GET", "/api/v1/staff/moderation-logs", nil, testkit.Token(reader.Token)).ExpectError(403, "forbidden")
}

func TestCircle_FeedPagingWhilePostsArrive(t *testing.T) {
	h := testkit.New(t, testkit.WithConfig(func(c *config.Config) { c.PostRateLimit = 0 }))
	h.Seed()
	ids := circleIDs(t, h)
	circle := ids["beiyun"]
	u := circleMember(t, h, "writer", circle)
	other := circleMember(t, h, "other", circle)
	for i := 1; i <= 25; i++ {
		circlePost(t, h, u, circle, fmt.Sprintf("帖子 %02d", i))
	}
	seen := map[int64]bool{}
	var order []int64
	path := "/api/v1/circles/" + circle + "/posts?limit=10"
	cursor := ""
	for page := 0; ; page++ {
		p := circleFeed(t, h, other, path+"&cursor="+cursor)
		for _, it := range p.Items {
			if seen[it.ID] {
				t.Fatalf("post %d on two pages", it.ID)
			}
			seen[it.ID] = true
			order = append(order, it.ID)
		}
		// New posts arrive between page requests.
		circlePost(t, h, u, circle, fmt.Sprintf("新帖 %d", page))
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if len(order) != 25 {
		t.Fatalf("want the 25 posts that existed, got %d", len(order))
	}
	for i := 1; i < len(order); i++ {
		if order[i] >= order[i-1] {
			t.Fatalf("not newest first: %v", order)
		}
	}
	// The first page now starts with the newest arrival.
	if p := circleFeed(t, h, other, path); !strings.HasPrefix(p.Items[0].Content, "新帖") {
		t.Fatalf("newest first: %+v", p.Items[0])
	}
}

func TestCircle_ConcurrentLikes(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	ids := circleIDs(t, h)
	author := circleMember(t, h, "author", ids["yunma"])
	post := circlePost(t, h, author, ids["yunma"], "今天第一次胎动！")
	id := circleIDOf(post)
	users := make([]testkit.User, 100)
	for i := range users {
		users[i] = h.Login(fmt.Sprintf("liker%03d", i))
	}
	// Liking twice counts once.
	r := h.Do("POST", "/api/v1/posts/"+id+"/like", nil, testkit.Token(users[0].Token)).Expect(200).Map()
	if r["liked"] != true || r["like_count"] != float64(1) {
		t.Fatalf("like: %v", r)
	}
	r = h.Do("DELETE", "/api/v1/posts/"+id+"/like", nil, testkit.Token(users[0].Token)).Expect(200).Map()
	if r["liked"] != false || r["like_count"] != float64(0) {
		t.Fatalf("unlike: %v", r)
	}
	h.Do("DELETE", "/api/v1/posts/"+id+"/like", nil, testkit.Token(users[0].Token)).Expect(200)

	run := func(method string) {
		parallel(len(users), func(i int) {
			for k := 0; k < 2; k++ { // each twice: idempotent
				if res := testkit.Do(t, h.App.Engine, method, "/api/v1/posts/"+id+"/like", nil, testkit.Token(users[i].Token)); res.Status != 200 {
					t.Errorf("%s like: %d %s", method, res.Status, res.Body)
				}
			}
		})
	}
	run("POST")
	var p model.Post
	if err := h.DB.First(&p, id).Error; err != nil {
		t.Fatal(err)
	}
	if p.LikeCount != 100 || circleCount(t, h, &model.PostLike{}, "post_id = ?", id) != 100 {
		t.Fatalf("like_count %d after 100 concurrent likes", p.LikeCount)
	}
	if g := h.Do("GET", "/api/v1/posts/"+id, nil, testkit.Token(users[5].Token)).Expect(200).Map(); g["liked"] != true || g["like_count"] != float64(100) {
		t.Fatalf("liked for the caller: %v", g)
	}
	if g := h.Do("GET", "/api/v1/posts/"+id, nil, testkit.Token(author.Token)).Expect(200).Map(); g["liked"] != false {
		t.Fatalf("author did not like: %v", g)
	}
	run("DELETE")
	if err := h.DB.First(&p, id).Error; err != nil {
		t.Fatal(err)
	}
	if p.LikeCount != 0 || circleCount(t, h, &model.PostLike{}, "post_id = ?", id) != 0 {
		t.Fatalf("like_count %d after 100 concurrent unlikes", p.LikeCount)
	}
	h.Do("POST", "/api/v1/posts/999999/like", nil, testkit.Token(author.Token)).ExpectError(404, "not_found")
}

func TestCircle_Comments(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	ids := circleIDs(t, h)
	circle := ids["baoma"]
	author := circleMember(t, h, "author", circle)
	friend := circleMember(t, h, "friend", circle)
	outsider := h.Login("outsider")
	id := circleIDOf(circlePost(t, h, author, circle, "辅食从什么开始加？"))
	path := "/api/v1/posts/" + id + "/comments"
	h.Do("POST", path, map[string]any{"content": "米粉"}, testkit.Token(outsider.Token)).ExpectError(403, "not_a_member")
	h.Do("POST", path, map[string]any{"content": ""}, testkit.Token(friend.Token)).ExpectError(422, "invalid_request")
	h.Do("POST", path, map[string]any{"content": strings.Repeat("好", 2001)}, testkit.Token(friend.Token)).ExpectError(422, "invalid_request")
	h.Do("POST", "/api/v1/posts/999/comments", map[string]any{"content": "米粉"}, testkit.Token(friend.Token)).ExpectError(404, "not_found")
	for i := 1; i <= 5; i++ {
		h.Do("POST", path, map[string]any{"content": fmt.Sprintf("第 %d 条", i)}, testkit.Token(friend.Token)).Expect(201)
	}
	// Oldest first, paged.
	first := circleFeed(t, h, outsider, path+"?limit=3")
	second := circleFeed(t, h, outsider, path+"?limit=3&cursor="+first.NextCursor)
	var got []string
	for _, it := range append(first.Items, second.Items...) {
		got = append(got, it.Content)
	}
	if strings.Join(got, "|") != "第 1 条|第 2 条|第 3 条|第 4 条|第 5 条" || second.NextCursor != "" {
		t.Fatalf("comments: %v next=%q", got, second.NextCursor)
	}
	if p := h.Do("GET", "/api/v1/posts/"+id, nil, testkit.Token(author.Token)).Expect(200).Map(); p["comment_count"] != float64(5) {
		t.Fatalf("comment_count: %v", p["comment_count"])
	}
	// Staff hide a comment: it vanishes for residents and stops counting.
	staff := h.Staff("mod", circleClinic(t, h))
	cid := itoa(first.Items[1].ID)
	h.Do("POST", "/api/v1/staff/comments/"+cid+"/hide", map[string]any{"reason": "无关内容"}, testkit.Token(staff.Token)).Expect(200)
	if c := circleFeed(t, h, author, path); len(c.Items) != 4 {
		t.Fatalf("hidden comment still listed: %d", len(c.Items))
	}
	if c := circleFeed(t, h, staff, path); len(c.Items) != 5 {
		t.Fatalf("staff see every comment: %d", len(c.Items))
	}
	if p := h.Do("GET", "/api/v1/posts/"+id, nil, testkit.Token(author.Token)).Expect(200).Map(); p["comment_count"] != float64(4) {
		t.Fatalf("comment_count after hide: %v", p["comment_count"])
	}
	if n := circleCount(t, h, &model.Notification{}, "user_id = ? AND event = ?", friend.ID, "comment_hidden"); n != 1 {
		t.Fatalf("comment_hidden notifications: %d", n)
	}
	var sc circlePage
	h.Do("GET", "/api/v1/staff/comments?status=hidden", nil, testkit.Token(staff.Token)).Expect(200).JSON(&sc)
	if len(sc.Items) != 1 || itoa(sc.Items[0].ID) != cid {
		t.Fatalf("staff comment list: %+v", sc.Items)
	}
	h.Do("POST", "/api/v1/staff/comments/"+cid+"/unhide", nil, testkit.Token(staff.Token)).Expect(200)
	if p := h.Do("GET", "/api/v1/posts/"+id, nil, testkit.Token(author.Token)).Expect(200).Map(); p["comment_count"] != float64(5) {
		t.Fatalf("comment_count after unhide: %v", p["comment_count"])
	}
}

func TestCircle_WeChatRiskyStoresNothing(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	ids := circleIDs(t, h)
	circle := ids["yunma"]
	u := circleMember(t, h, "u", circle)
	okPost := circlePost(t, h, u, circle, "正常的帖子")
	h.WeChat.SetVerdict("risky")
	h.Do("POST", "/api/v1/circles/"+circle+"/posts", map[string]any{"content": "违规内容"}, testkit.Token(u.Token)).ExpectError(422, "content_rejected")
	h.Do("POST", "/api/v1/posts/"+circleIDOf(okPost)+"/comments", map[string]any{"content": "违规评论"}, testkit.Token(u.Token)).ExpectError(422, "content_rejected")
	h.WeChat.SetVerdict("pass")
	h.WeChat.SetRiskyWords("代孕")
	h.Do("POST", "/api/v1/circles/"+circle+"/posts", map[string]any{"content": "有人知道代孕吗"}, testkit.Token(u.Token)).ExpectError(422, "content_rejected")
	if n := circleCount(t, h, &model.Post{}, "1 = 1"); n != 1 {
		t.Fatalf("risky posts must not be stored: %d posts", n)
	}
	if n := circleCount(t, h, &model.PostComment{}, "1 = 1"); n != 0 {
		t.Fatalf("risky comments must not be stored: %d", n)
	}
	if c := circleRow(t, h, circle); c.PostCount != 1 {
		t.Fatalf("post_count %d", c.PostCount)
	}
	// WeChat was asked with the scenes of the v2 check.
	if got := h.WeChat.Checked(); len(got) != 4 || got[1] != "违规内容" {
		t.Fatalf("texts checked: %v", got)
	}
}

func TestCircle_BlockedWordsCheckedLocallyFirst(t *testing.T) {
	h := testkit.New(t, testkit.WithConfig(func(c *config.Config) {
		c.BlockedWords = []string{"代购", `re:加\s*[vV微]\s*[xX信]`}
	}))
	h.Seed()
	ids := circleIDs(t, h)
	circle := ids["baoma"]
	u := circleMember(t, h, "u", circle)
	for _, text := range []string{"奶粉代购找我", "奶粉代 购", "详情加 V X", "详情加微信"} {
		h.Do("POST", "/api/v1/circles/"+circle+"/posts", map[string]any{"content": text}, testkit.Token(u.Token)).ExpectError(422, "content_rejected")
	}
	if got := h.WeChat.Checked(); len(got) != 0 {
		t.Fatalf("blocked texts must not reach WeChat: %v", got)
	}
	if n := circleCount(t, h, &model.Post{}, "1 = 1"); n != 0 {
		t.Fatalf("blocked posts stored: %d", n)
	}
	circlePost(t, h, u, circle, "宝宝湿疹怎么护理")
}

func TestCircle_WeChatDown_PendingReviewThenRecheck(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	ids := circleIDs(t, h)
	circle := ids["yunma"]
	author := circleMember(t, h, "author", circle)
	reader := circleMember(t, h, "reader", circle)
	staff := h.Staff("mod", circleClinic(t, h))
	ctx := context.Background()

	h.WeChat.SetDown(true)
	p1 := circlePost(t, h, author, circle, "WeChat 不在时发的帖子")
	p2 := circlePost(t, h, author, circle, "另一条等复查的帖子")
	if p1["status"] != "pending_review" || p2["status"] != "pending_review" {
		t.Fatalf("WeChat down must store pending_review: %v", p1)
	}
	id1, id2 := circleIDOf(p1), circleIDOf(p2)
	// Visible to the author and staff only, and not counted.
	h.Do("GET", "/api/v1/posts/"+id1, nil, testkit.Token(reader.Token)).ExpectError(404, "not_found")
	h.Do("GET", "/api/v1/posts/"+id1, nil, testkit.Token(author.Token)).Expect(200)
	if s := h.Do("GET", "/api/v1/posts/"+id1, nil, testkit.Token(staff.Token)).Expect(200).Map(); s["check_state"] != "recheck" {
		t.Fatalf("staff view: %v", s)
	}
	if f := circleFeed(t, h, reader, "/api/v1/circles/"+circle+"/posts"); len(f.Items) != 0 {
		t.Fatalf("pending posts in another reader's feed: %+v", f.Items)
	}
	if f := circleFeed(t, h, author, "/api/v1/circles/"+circle+"/posts"); len(f.Items) != 2 {
		t.Fatalf("author's feed must show own pending posts: %+v", f.Items)
	}
	h.Do("POST", "/api/v1/posts/"+id1+"/comments", map[string]any{"content": "x"}, testkit.Token(author.Token)).ExpectError(409, "post_not_published")
	if c := circleRow(t, h, circle); c.PostCount != 0 {
		t.Fatalf("pending posts must not count: %d", c.PostCount)
	}

	// Still down: the job publishes nothing, and retries the text later.
	if n, err := h.App.Services.Circles.RecheckPending(ctx); err != nil || n != 0 {
		t.Fatalf("recheck while down: %d %v", n, err)
	}
	var first model.Post
	if err := h.DB.First(&first, id1).Error; err != nil || first.Status != "pending_review" ||
		first.CheckAttempts != 1 || !first.NextCheckAt.Equal(h.Clock.Now().Add(time.Minute)) {
		t.Fatalf("after a failed recheck: %+v %v", first, err)
	}
	h.WeChat.SetDown(false)
	h.Clock.Advance(2 * time.Minute)
	h.WeChat.SetRiskyWords("另一条")
	// Two workers at once: each text is checked and decided once.
	counts := runJobs(t, h.App.Services.Circles.RecheckPending, h.App.Services.Circles.RecheckPending)
	if counts[0]+counts[1] != 2 {
		t.Fatalf("two texts must be decided once in all: %v", counts)
	}
	checked := 0
	for _, s := range h.WeChat.Checked() {
		if s == "WeChat 不在时发的帖子" {
			checked++
		}
	}
	if checked != 1 {
		t.Fatalf("text checked %d times", checked)
	}
	if r := h.Do("GET", "/api/v1/posts/"+id1, nil, testkit.Token(reader.Token)).Expect(200).Map(); r["status"] != "published" {
		t.Fatalf("passed recheck: %v", r)
	}
	h.Do("GET", "/api/v1/posts/"+id2, nil, testkit.Token(author.Token)).ExpectError(404, "not_found")
	if s := h.Do("GET", "/api/v1/posts/"+id2, nil, testkit.Token(staff.Token)).Expect(200).Map(); s["status"] != "rejected" {
		t.Fatalf("risky on recheck: %v", s)
	}
	if c := circleRow(t, h, circle); c.PostCount != 1 {
		t.Fatalf("post_count %d", c.PostCount)
	}
	for event, n := range map[string]int64{"post_published": 1, "post_rejected": 1} {
		if got := circleCount(t, h, &model.Notification{}, "user_id = ? AND event = ?", author.ID, event); got != n {
			t.Fatalf("%s notifications: %d", event, got)
		}
	}
	if n, err := h.App.Services.Circles.RecheckPending(ctx); err != nil || n != 0 {
		t.Fatalf("nothing left to recheck: %d %v", n, err)
	}
	if n := circleCount(t, h, &model.ModerationLog{}, "actor_id = 0 AND action IN ?", []string{"recheck_publish", "recheck_reject"}); n != 2 {
		t.Fatalf("recheck decisions logged: %d", n)
	}

	// Comments follow the same path.
	h.WeChat.SetRiskyWords()
	h.WeChat.SetDown(true)
	c := h.Do("POST", "/api/v1/posts/"+id1+"/comments", map[string]any{"content": "等复查的评论"}, testkit.Token(reader.Token)).Expect(201).Map()
	if c["status"] != "pending_review" {
		t.Fatalf("comment while down: %v", c)
	}
	if l := circleFeed(t, h, author, "/api/v1/posts/"+id1+"/comments"); len(l.Items) != 0 {
		t.Fatalf("pending comment shown to others: %+v", l.Items)
	}
	h.WeChat.SetDown(false)
	if n, err := h.App.Services.Circles.RecheckPending(ctx); err != nil || n != 1 {
		t.Fatalf("comment recheck: %d %v", n, err)
	}
	if l := circleFeed(t, h, author, "/api/v1/posts/"+id1+"/comments"); len(l.Items) != 1 || l.Items[0].Status != "published" {
		t.Fatalf("comment after recheck: %+v", l.Items)
	}
}

func TestCircle_ReviewVerdictWaitsForStaff(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	ids := circleIDs(t, h)
	circle := ids["beiyun"]
	author := circleMember(t, h, "author", circle)
	reader := circleMember(t, h, "reader", circle)
	staff := h.Staff("mod", circleClinic(t, h))
	h.WeChat.SetVerdict("review")
	p := circlePost(t, h, author, circle, "需要人工看看的帖子")
	if p["status"] != "pending_review" {
		t.Fatalf("review verdict: %v", p)
	}
	id := circleIDOf(p)
	h.WeChat.SetVerdict("pass")
	if n, err := h.App.Services.Circles.RecheckPending(context.Background()); err != nil || n != 0 {
		t.Fatalf("the job leaves review to staff: %d %v", n, err)
	}
	var q circlePage
	h.Do("GET", "/api/v1/staff/posts?status=pending_review", nil, testkit.Token(staff.Token)).Expect(200).JSON(&q)
	if len(q.Items) != 1 || itoa(q.Items[0].ID) != id {
		t.Fatalf("review queue: %+v", q.Items)
	}
	h.Do("GET", "/api/v1/staff/posts?status=bogus", nil, testkit.Token(staff.Token)).ExpectError(422, "invalid_request")
	h.Do("GET", "/api/v1/posts/"+id, nil, testkit.Token(reader.Token)).ExpectError(404, "not_found")
	a := h.Do("POST", "/api/v1/staff/posts/"+id+"/unhide", nil, testkit.Token(staff.Token)).Expect(200).Map()
	if a["status"] != "published" {
		t.Fatalf("approved: %v", a)
	}
	h.Do("GET", "/api/v1/posts/"+id, nil, testkit.Token(reader.Token)).Expect(200)
	if c := circleRow(t, h, circle); c.PostCount != 1 {
		t.Fatalf("post_count %d", c.PostCount)
	}
	if n := circleCount(t, h, &model.ModerationLog{}, "action = ? AND target_id = ?", "approve_post", id); n != 1 {
		t.Fatalf("approval not logged")
	}
}

func TestCircle_ReportsQueue(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	ids := circleIDs(t, h)
	author := circleMember(t, h, "author", ids["yunma"])
	r1 := h.Login("r1")
	r2 := h.Login("r2")
	staff := h.Staff("mod", circleClinic(t, h))
	admin := h.Admin("boss")
	p1 := circleIDOf(circlePost(t, h, author, ids["yunma"], "卖保健品，加我"))
	p2 := circleIDOf(circlePost(t, h, author, ids["yunma"], "普通的帖子"))

	h.Do("POST", "/api/v1/posts/"+p1+"/report", map[string]any{"reason": ""}, testkit.Token(r1.Token)).ExpectError(422, "invalid_request")
	h.Do("POST", "/api/v1/posts/"+p1+"/report", map[string]any{"reason": strings.Repeat("长", 501)}, testkit.Token(r1.Token)).ExpectError(422, "invalid_request")
	h.Do("POST", "/api/v1/posts/999/report", map[string]any{"reason": "广告"}, testkit.Token(r1.Token)).ExpectError(404, "not_found")
	rep := h.Do("POST", "/api/v1/posts/"+p1+"/report", map[string]any{"reason": "广告"}, testkit.Token(r1.Token)).Expect(201).Map()
	if rep["status"] != "open" || rep["reporter_id"] != float64(r1.ID) {
		t.Fatalf("report: %v", rep)
	}
	h.Do("POST", "/api/v1/posts/"+p1+"/report", map[string]any{"reason": "还是广告"}, testkit.Token(r1.Token)).ExpectError(409, "already_reported")
	h.Do("POST", "/api/v1/posts/"+p2+"/report", map[string]any{"reason": "看着不舒服"}, testkit.Token(r1.Token)).Expect(201)
	h.Do("POST", "/api/v1/posts/"+p1+"/report", map[string]any{"reason": "虚假宣传"}, testkit.Token(r2.Token)).Expect(201)

	h.Do("GET", "/api/v1/staff/reports", nil, testkit.Token(r1.Token)).ExpectError(403, "forbidden")
	type reportList struct {
		Items []struct {
			ID     int64          `json:"id"`
			PostID int64          `json:"post_id"`
			Reason string         `json:"reason"`
			Status string         `json:"status"`
			Post   map[string]any `json:"post"`
		} `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	var q reportList
	h.Do("GET", "/api/v1/staff/reports", nil, testkit.Token(staff.Token)).Expect(200).JSON(&q)
	if len(q.Items) != 3 || q.Items[0].Reason != "广告" || q.Items[2].Reason != "虚假宣传" || q.Items[0].Post["content"] != "卖保健品，加我" {
		t.Fatalf("queue (oldest first): %+v", q.Items)
	}
	var page1, page2 reportList
	h.Do("GET", "/api/v1/staff/reports?limit=2", nil, testkit.Token(staff.Token)).Expect(200).JSON(&page1)
	h.Do("GET", "/api/v1/staff/reports?limit=2&cursor="+page1.NextCursor, nil, testkit.Token(staff.Token)).Expect(200).JSON(&page2)
	if len(page1.Items) != 2 || len(page2.Items) != 1 || page2.NextCursor != "" {
		t.Fatalf("report pages: %d %d", len(page1.Items), len(page2.Items))
	}
	h.Do("GET", "/api/v1/staff/reports?post_id="+p1, nil, testkit.Token(staff.Token)).Expect(200).JSON(&q)
	if len(q.Items) != 2 {
		t.Fatalf("filter by post: %+v", q.Items)
	}
	h.Do("GET", "/api/v1/staff/reports?status=nope", nil, testkit.Token(staff.Token)).ExpectError(422, "invalid_request")

	// Hiding the post resolves its reports; dismissing closes another.
	h.Do("POST", "/api/v1/staff/posts/"+p1+"/hide", map[string]any{"reason": "广告推销"}, testkit.Token(admin.Token)).Expect(200)
	var p2Reports reportList
	h.Do("GET", "/api/v1/staff/reports?post_id="+p2, nil, testkit.Token(staff.Token)).Expect(200).JSON(&p2Reports)
	rid := itoa(p2Reports.Items[0].ID)
	d := h.Do("POST", "/api/v1/staff/reports/"+rid+"/dismiss", map[string]any{"reason": "内容正常"}, testkit.Token(staff.Token)).Expect(200).Map()
	if d["status"] != "dismissed" || d["resolution"] != "内容正常" {
		t.Fatalf("dismissed: %v", d)
	}
	h.Do("POST", "/api/v1/staff/reports/"+rid+"/dismiss", nil, testkit.Token(staff.Token)).ExpectError(409, "invalid_transition")
	h.Do("POST", "/api/v1/staff/reports/999/dismiss", nil, testkit.Token(staff.Token)).ExpectError(404, "not_found")
	h.Do("GET", "/api/v1/staff/reports", nil, testkit.Token(staff.Token)).Expect(200).JSON(&q)
	if len(q.Items) != 0 {
		t.Fatalf("open queue after moderation: %+v", q.Items)
	}
	h.Do("GET", "/api/v1/staff/reports?status=resolved", nil, testkit.Token(staff.Token)).Expect(200).JSON(&q)
	if len(q.Items) != 2 || q.Items[0].Status != "resolved" {
		t.Fatalf("resolved reports: %+v", q.Items)
	}
	// A hidden post cannot be reported by residents any more.
	h.Do("POST", "/api/v1/posts/"+p1+"/report", map[string]any{"reason": "x"}, testkit.Token(h.Login("r3").Token)).ExpectError(404, "not_found")
}

func TestCircle_MuteUntilDate(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	ids := circleIDs(t, h)
	circle := ids["baoma"]
	u := circleMember(t, h, "noisy", circle)
	staff := h.Staff("mod", circleClinic(t, h))
	post := circleIDOf(circlePost(t, h, u, circle, "第一条"))
	mutePath := "/api/v1/staff/users/" + itoa(u.ID) + "/mute"
	h.Do("POST", mutePath, map[string]any{"until": "2026-12-01", "reason": "刷屏"}, testkit.Token(u.Token)).ExpectError(403, "forbidden")
	h.Do("POST", mutePath, map[string]any{"until": "2020-01-01", "reason": "刷屏"}, testkit.Token(staff.Token)).ExpectError(422, "invalid_request")
	h.Do("POST", mutePath, map[string]any{"until": "next week", "reason": "刷屏"}, testkit.Token(staff.Token)).ExpectError(422, "invalid_request")
	h.Do("POST", mutePath, map[string]any{"until": "2026-12-01"}, testkit.Token(staff.Token)).ExpectError(422, "invalid_request")
	h.Do("POST", "/api/v1/staff/users/99999/mute", map[string]any{"until": "2026-12-01", "reason": "刷屏"}, testkit.Token(staff.Token)).ExpectError(404, "not_found")

	// Muted through 2026-11-30 (Shanghai): until 2026-12-01T00:00+08:00.
	m := h.Do("POST", mutePath, map[string]any{"until": "2026-11-30", "reason": "刷屏"}, testkit.Token(staff.Token)).Expect(200).Map()
	if m["until"] != "2026-12-01T00:00:00+08:00" {
		t.Fatalf("mute: %v", m)
	}
	r := h.Do("POST", "/api/v1/circles/"+circle+"/posts", map[string]any{"content": "还想发"}, testkit.Token(u.Token)).ExpectError(403, "muted")
	if d := r.Map()["error"].(map[string]any)["details"].(map[string]any); d["until"] != "2026-12-01T00:00:00+08:00" {
		t.Fatalf("muted details: %v", d)
	}
	h.Do("POST", "/api/v1/posts/"+post+"/comments", map[string]any{"content": "评论也不行"}, testkit.Token(u.Token)).ExpectError(403, "muted")
	// Reading and liking still work.
	h.Do("POST", "/api/v1/posts/"+post+"/like", nil, testkit.Token(u.Token)).Expect(200)
	if n := circleCount(t, h, &model.Notification{}, "user_id = ? AND event = ?", u.ID, "circle_muted"); n != 1 {
		t.Fatalf("mute notification: %d", n)
	}
	// The mute ends on its date.
	h.Clock.Set(testkit.Start.AddDate(0, 0, 8))
	u, staff = h.Login("noisy"), h.Staff("mod", circleClinic(t, h)) // fresh tokens at the new time
	circlePost(t, h, u, circle, "禁言结束了")

	// Unmute ends one early.
	h.Do("POST", mutePath, map[string]any{"until": "2027-01-01T12:00:00+08:00", "reason": "再次刷屏"}, testkit.Token(staff.Token)).Expect(200)
	h.Do("POST", "/api/v1/circles/"+circle+"/posts", map[string]any{"content": "x"}, testkit.Token(u.Token)).ExpectError(403, "muted")
	h.Do("DELETE", mutePath, map[string]any{"reason": "已道歉"}, testkit.Token(staff.Token)).Expect(204)
	h.Do("DELETE", mutePath, nil, testkit.Token(staff.Token)).Expect(204)
	circlePost(t, h, u, circle, "我会注意的")

	var logs struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", "/api/v1/staff/moderation-logs?target_type=user&target_id="+itoa(u.ID), nil, testkit.Token(staff.Token)).Expect(200).JSON(&logs)
	var actions []string
	for _, l := range logs.Items {
		actions = append(actions, l["action"].(string))
	}
	if strings.Join(actions, ",") != "unmute_user,mute_user,mute_user" {
		t.Fatalf("mute log: %v", actions)
	}
	if logs.Items[1]["reason"] != "再次刷屏" || !strings.Contains(logs.Items[1]["detail"].(string), "2027-01-01T12:00:00+08:00") {
		t.Fatalf("mute log row: %v", logs.Items[1])
	}
	h.Do("GET", "/api/v1/staff/moderation-logs?target_type=planet", nil, testkit.Token(staff.Token)).ExpectError(422, "invalid_request")
}

func TestCircle_IdempotentPostAndComment(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	circle := circleIDs(t, h)["yunma"]
	u := circleMember(t, h, "u", circle)
	key := testkit.Header("Idempotency-Key", "post-once-1")
	body := map[string]any{"content": "网络不好，点了两次发送"}
	first := h.Do("POST", "/api/v1/circles/"+circle+"/posts", body, testkit.Token(u.Token), key).Expect(201).Map()
	again := h.Do("POST", "/api/v1/circles/"+circle+"/posts", body, testkit.Token(u.Token), key).Expect(201).Map()
	if first["id"] != again["id"] {
		t.Fatalf("replay must return the first post: %v vs %v", first["id"], again["id"])
	}
	if n := circleCount(t, h, &model.Post{}, "user_id = ?", u.ID); n != 1 {
		t.Fatalf("posts stored: %d", n)
	}
	if c := circleRow(t, h, circle); c.PostCount != 1 {
		t.Fatalf("post_count %d", c.PostCount)
	}
	post := circleIDOf(first)
	ckey := testkit.Header("Idempotency-Key", "comment-once-1")
	c1 := h.Do("POST", "/api/v1/posts/"+post+"/comments", map[string]any{"content": "同一条评论"}, testkit.Token(u.Token), ckey).Expect(201).Map()
	c2 := h.Do("POST", "/api/v1/posts/"+post+"/comments", map[string]any{"content": "同一条评论"}, testkit.Token(u.Token), ckey).Expect(201).Map()
	if c1["id"] != c2["id"] || circleCount(t, h, &model.PostComment{}, "post_id = ?", post) != 1 {
		t.Fatalf("comment replay: %v %v", c1["id"], c2["id"])
	}
}

// TestCircle_FeedMergesOwnPendingInOrder: the feed is two reads merged (the
// published posts, the caller's own waiting for review). Paged two at a
// time, the author sees every published post and its own pending ones,
// newest first, each once; another member only the published ones.
func TestCircle_FeedMergesOwnPendingInOrder(t *testing.T) {
	h := testkit.New(t, testkit.WithConfig(func(c *config.Config) { c.PostRateLimit = 0 }))
	h.Seed()
	circle := circleIDs(t, h)["beiyun"]
	author := circleMember(t, h, "merge-author", circle)
	other := circleMember(t, h, "merge-other", circle)
	var all, published []int64
	for i := range 7 {
		verdict := "pass"
		if i%3 == 1 {
			verdict = "review"
		}
		h.WeChat.SetVerdict(verdict)
		p := circlePost(t, h, author, circle, fmt.Sprintf("帖子 %d", i))
		if want := map[string]string{"pass": "published", "review": "pending_review"}[verdict]; p["status"] != want {
			t.Fatalf("post %d: %v, want %s", i, p["status"], want)
		}
		id := int64(p["id"].(float64))
		all = append([]int64{id}, all...)
		if verdict == "pass" {
			published = append([]int64{id}, published...)
		}
	}
	h.WeChat.SetVerdict("pass")
	pages := func(u testkit.User) []int64 {
		var got []int64
		path := "/api/v1/circles/" + circle + "/posts?limit=2"
		for n := 0; path != ""; n++ {
			if n > 7 {
				t.Fatal("more pages than posts")
			}
			p := circleFeed(t, h, u, path)
			for _, it := range p.Items {
				got = append(got, it.ID)
			}
			path = ""
			if p.NextCursor != "" {
				path = "/api/v1/circles/" + circle + "/posts?limit=2&cursor=" + url.QueryEscape(p.NextCursor)
			}
		}
		return got
	}
	if got := pages(author); !slices.Equal(got, all) {
		t.Errorf("the author pages %v, want %v", got, all)
	}
	if got := pages(other); !slices.Equal(got, published) {
		t.Errorf("another member pages %v, want %v", got, published)
	}
}
