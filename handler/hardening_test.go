package handler_test

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"familycare/model"
	"familycare/testkit"
)

// Issue 10 #5: one user's concurrent writes on two replicas (subscriptions,
// likes and unlikes, circle join and leave, favorites) never answer 500: a
// deadlock is retried, and what still fails is a 503 with Retry-After.
func TestWrites_ConcurrentSameUserNeverFail(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	engines := []http.Handler{h.App.Engine, h.Replica().Engine}
	ids := circleIDs(t, h)
	u := circleMember(t, h, "busy-mother", ids["yunma"])
	post := circlePost(t, h, u, ids["yunma"], "宝宝今天会翻身了")
	pid := circleIDOf(post)
	var article model.Article
	if err := h.DB.Where("status = ?", model.ArticlePublished).First(&article).Error; err != nil {
		t.Fatal(err)
	}
	calls := []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/v1/me/subscriptions", map[string]any{"template_ids": []string{"TPL-CONFIRM", "TPL-REMIND"}}},
		{"POST", "/api/v1/posts/" + pid + "/like", nil},
		{"DELETE", "/api/v1/posts/" + pid + "/like", nil},
		{"POST", "/api/v1/circles/" + ids["baoma"] + "/join", nil},
		{"POST", "/api/v1/circles/" + ids["baoma"] + "/leave", nil},
		{"POST", fmt.Sprintf("/api/v1/articles/%d/favorite", article.ID), nil},
		{"DELETE", fmt.Sprintf("/api/v1/articles/%d/favorite", article.ID), nil},
	}
	const rounds = 8
	var subscribed atomic.Int64
	parallel(len(calls)*rounds, func(i int) {
		c := calls[i%len(calls)]
		res := testkit.Do(t, engines[i%2], c.method, c.path, c.body, testkit.Token(u.Token))
		switch {
		case res.Status/100 == 2:
			if i%len(calls) == 0 {
				subscribed.Add(1)
			}
		case res.Status == 503 && res.ErrorCode() == "database_busy" && res.Header.Get("Retry-After") != "":
		default:
			t.Errorf("%s %s: %d %s", c.method, c.path, res.Status, res.Body)
		}
	})
	if subscribed.Load() != rounds {
		t.Errorf("%d of %d subscriptions succeeded", subscribed.Load(), rounds)
	}
	var q model.SubscriptionQuota
	if err := h.DB.Where("user_id = ? AND template_id = ?", u.ID, "TPL-CONFIRM").First(&q).Error; err != nil {
		t.Fatal(err)
	}
	if q.Remaining != rounds {
		t.Fatalf("quota %d after %d subscriptions", q.Remaining, rounds)
	}
}
