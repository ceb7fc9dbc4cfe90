package handler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"familycare/service"

	"github.com/gin-gonic/gin"
)

func (a *API) guidanceRoutes(public, authed, staff *gin.RouterGroup) {
	public.GET("/articles", a.listArticles)
	public.GET("/articles/recommended", a.recommendedArticles)
	public.GET("/articles/:id", a.getArticle)
	authed.POST("/articles/:id/favorite", a.favoriteArticle)
	authed.DELETE("/articles/:id/favorite", a.unfavoriteArticle)
	authed.GET("/me/favorites", a.listFavorites)
	staff.GET("/articles", a.staffListArticles)
	staff.POST("/articles", a.idempotent(), a.createArticle)
	putWithPatchAlias(staff, "/articles/:id", a.updateArticle)
	staff.POST("/articles/:id/publish", a.publishArticle)
	staff.POST("/articles/:id/archive", a.archiveArticle)
}

// ArticleItem is an article in a list (no body).
type ArticleItem struct {
	ID          int64      `json:"id" example:"12"`
	Title       string     `json:"title" example:"宝宝 6 个月后如何添加辅食"`
	Summary     string     `json:"summary" example:"从强化铁米粉开始，一次只加一种新食物。"`
	Category    string     `json:"category" example:"nutrition" enums:"tcm,nutrition,parenting,elderly"`
	Stages      []string   `json:"stages" example:"infant_6_12m" enums:"preconception,pregnancy,postpartum,infant_0_6m,infant_6_12m,toddler_1_3y,child_3_6y,elderly"`
	CoverURL    string     `json:"cover_url" example:"https://img.example.com/fushi.jpg"`
	Status      string     `json:"status" example:"published" enums:"draft,published,archived"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
	ViewCount   int64      `json:"view_count" example:"128"`
	Favorited   bool       `json:"favorited"`
	ClinicID    int64      `json:"clinic_id" example:"1"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// ArticleDTO is one article with its body (sanitized HTML for rich-text).
type ArticleDTO struct {
	ID          int64      `json:"id" example:"12"`
	Title       string     `json:"title" example:"宝宝 6 个月后如何添加辅食"`
	Summary     string     `json:"summary" example:"从强化铁米粉开始，一次只加一种新食物。"`
	Body        string     `json:"body" example:"<p>宝宝满6个月后开始添加辅食。</p>"`
	Category    string     `json:"category" example:"nutrition" enums:"tcm,nutrition,parenting,elderly"`
	Stages      []string   `json:"stages" example:"infant_6_12m" enums:"preconception,pregnancy,postpartum,infant_0_6m,infant_6_12m,toddler_1_3y,child_3_6y,elderly"`
	CoverURL    string     `json:"cover_url" example:"https://img.example.com/fushi.jpg"`
	Status      string     `json:"status" example:"published" enums:"draft,published,archived"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
	ViewCount   int64      `json:"view_count" example:"128"`
	Favorited   bool       `json:"favorited"`
	AuthorID    int64      `json:"author_id" example:"3"`
	AuthorName  string     `json:"author_name" example:"李秀英"`
	ClinicID    int64      `json:"clinic_id" example:"1"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// ArticleList is a page of articles.
type ArticleList struct {
	Items      []ArticleItem `json:"items"`
	NextCursor string        `json:"next_cursor"`
}

// RecommendedFor is the family member an article was chosen for.
type RecommendedFor struct {
	ID   int64  `json:"id" example:"7"`
	Name string `json:"name" example:"小宝"`
}

// RecommendedArticle is an article chosen for a member at a life stage; a
// family without stages gets the latest articles, without stage and member.
type RecommendedArticle struct {
	Article ArticleItem     `json:"article"`
	Stage   string          `json:"stage,omitempty" example:"infant_6_12m" enums:"preconception,pregnancy,postpartum,infant_0_6m,infant_6_12m,toddler_1_3y,child_3_6y,elderly"`
	Member  *RecommendedFor `json:"member,omitempty"`
}

// RecommendedList is the caller's recommendations.
type RecommendedList struct {
	Items []RecommendedArticle `json:"items"`
}

// FavoriteState says whether the caller keeps an article.
type FavoriteState struct {
	ArticleID int64 `json:"article_id" example:"12"`
	Favorited bool  `json:"favorited" example:"true"`
}

// ArticleQuery filters article lists.
type ArticleQuery struct {
	Category string `form:"category" binding:"omitempty,oneof=tcm nutrition parenting elderly"`
	Stage    string `form:"stage" binding:"omitempty,oneof=preconception pregnancy postpartum infant_0_6m infant_6_12m toddler_1_3y child_3_6y elderly"`
	Q        string `form:"q" binding:"omitempty,max=100"`
}

// StaffArticleQuery filters the staff list.
type StaffArticleQuery struct {
	ArticleQuery
	Status string `form:"status" binding:"omitempty,oneof=draft published archived"`
}

// RecommendedQuery sizes the recommendations.
type RecommendedQuery struct {
	Limit int `form:"limit" binding:"omitempty,min=1,max=50"`
}

// ArticleRequest changes an article (absent fields stay;
// ArticleCreateRequest writes one). The body is HTML; scripts,
// styles, event handlers and non-https images and links are removed.
type ArticleRequest struct {
	Title    *string   `json:"title" binding:"omitempty,max=200" example:"宝宝 6 个月后如何添加辅食"`
	Summary  *string   `json:"summary" binding:"omitempty,max=500" example:"从强化铁米粉开始，一次只加一种新食物。"`
	Body     *string   `json:"body" example:"<p>宝宝满6个月后开始添加辅食。</p>"`
	Category *string   `json:"category" binding:"omitempty,oneof=tcm nutrition parenting elderly" example:"nutrition"`
	Stages   *[]string `json:"stages" binding:"omitempty,min=1,max=8,dive,oneof=preconception pregnancy postpartum infant_0_6m infant_6_12m toddler_1_3y child_3_6y elderly" example:"infant_6_12m" enums:"preconception,pregnancy,postpartum,infant_0_6m,infant_6_12m,toddler_1_3y,child_3_6y,elderly"`
	CoverURL *string   `json:"cover_url" binding:"omitempty,max=512" example:"https://img.example.com/fushi.jpg"`
	// An upload of purpose article_cover (replaces cover_url).
	CoverUploadID *int64 `json:"cover_upload_id" binding:"omitempty,min=1"`
}

// ArticleCreateRequest writes an article: title, body, category and stages are required.
type ArticleCreateRequest struct {
	Title    *string   `json:"title" validate:"required" binding:"omitempty,max=200" example:"宝宝 6 个月后如何添加辅食"`
	Summary  *string   `json:"summary" binding:"omitempty,max=500" example:"从强化铁米粉开始，一次只加一种新食物。"`
	Body     *string   `json:"body" validate:"required" example:"<p>宝宝满6个月后开始添加辅食。</p>"`
	Category *string   `json:"category" validate:"required" binding:"omitempty,oneof=tcm nutrition parenting elderly" example:"nutrition"`
	Stages   *[]string `json:"stages" validate:"required" binding:"omitempty,min=1,max=8,dive,oneof=preconception pregnancy postpartum infant_0_6m infant_6_12m toddler_1_3y child_3_6y elderly" example:"infant_6_12m" enums:"preconception,pregnancy,postpartum,infant_0_6m,infant_6_12m,toddler_1_3y,child_3_6y,elderly"`
	CoverURL *string   `json:"cover_url" binding:"omitempty,max=512" example:"https://img.example.com/fushi.jpg"`
	// An upload of purpose article_cover (replaces cover_url).
	CoverUploadID *int64 `json:"cover_upload_id" binding:"omitempty,min=1"`
}

func (r ArticleCreateRequest) input() service.ArticleInput { return ArticleRequest(r).input() }

func (r ArticleRequest) input() service.ArticleInput {
	return service.ArticleInput{Title: r.Title, Summary: r.Summary, Body: r.Body, Category: r.Category,
		Stages: r.Stages, CoverURL: r.CoverURL, CoverUploadID: r.CoverUploadID}
}

func (q ArticleQuery) filter() service.ArticleFilter {
	return service.ArticleFilter{Category: q.Category, Stage: q.Stage, Q: q.Q}
}

func (a *API) toArticleItem(v service.ArticleView) ArticleItem {
	return ArticleItem{ID: v.ID, Title: v.Title, Summary: v.Summary, Category: v.Category, Stages: nonNil(v.Stages),
		CoverURL: v.CoverURL, Status: v.Status, PublishedAt: a.timePtr(v.PublishedAt), ViewCount: v.ViewCount,
		Favorited: v.Favorited, ClinicID: v.ClinicID, UpdatedAt: a.timeIn(v.UpdatedAt)}
}

func (a *API) toArticle(v service.ArticleView) ArticleDTO {
	return ArticleDTO{ID: v.ID, Title: v.Title, Summary: v.Summary, Body: v.Body, Category: v.Category,
		Stages: nonNil(v.Stages), CoverURL: v.CoverURL, Status: v.Status, PublishedAt: a.timePtr(v.PublishedAt),
		ViewCount: v.ViewCount, Favorited: v.Favorited, AuthorID: v.AuthorID, AuthorName: v.AuthorName,
		ClinicID: v.ClinicID, CreatedAt: a.timeIn(v.CreatedAt), UpdatedAt: a.timeIn(v.UpdatedAt)}
}

func (a *API) toArticleList(views []service.ArticleView, next string) ArticleList {
	return ArticleList{Items: listOf(views, a.toArticleItem), NextCursor: next}
}

// writeWithETag answers 200 with body and a strong ETag over the body and
// the caller, or 304 when If-None-Match holds that tag. The body depends on
// the caller (favorited, drafts for staff), so the tag does too, and
// shared caches are told to keep it private.
func writeWithETag(c *gin.Context, body any) {
	raw, err := json.Marshal(body)
	if err != nil {
		fail(c, err)
		return
	}
	h := sha256.New()
	p := principal(c)
	h.Write([]byte(p.Role + ":" + strconv.FormatInt(p.UserID, 10) + "\n"))
	h.Write(raw)
	etag := `"` + hex.EncodeToString(h.Sum(nil)[:16]) + `"`
	c.Header("ETag", etag)
	c.Header("Cache-Control", "private, no-cache")
	c.Writer.Header().Add("Vary", "Authorization")
	if etagMatches(c.GetHeader("If-None-Match"), etag) {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", raw)
}

// etagMatches applies If-None-Match's weak comparison to a list of tags.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// listArticles godoc
// @Summary   Browse and search published guidance articles
// @Description Newest first; with q, articles whose title holds the words come first. q is one or more
// @Description words separated by spaces, each matched as a Chinese substring of the title, summary or
// @Description body (all words must occur). Answers carry an ETag; send it back in If-None-Match for a 304.
// @Tags      guidance
// @Produce   json
// @Param     category query string false "category" Enums(tcm, nutrition, parenting, elderly)
// @Param     stage    query string false "life stage" Enums(preconception, pregnancy, postpartum, infant_0_6m, infant_6_12m, toddler_1_3y, child_3_6y, elderly)
// @Param     q        query string false "search words, space separated"
// @Param     limit    query int    false "page size (1-100, default 20)"
// @Param     cursor   query string false "next_cursor of the previous page"
// @Param     If-None-Match header string false "ETag of a previous answer"
// @Success   200 {object} ArticleList
// @Header    200 {string} ETag "tag of this answer"
// @Success   304 "not modified"
// @Failure   401 {object} ErrorResponse
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/articles [get]
func (a *API) listArticles(c *gin.Context) {
	var q ArticleQuery
	pg, okPage := pageQuery(c, &q)
	if !okPage {
		return
	}
	views, next, err := a.svc.Guidance.List(c.Request.Context(), principal(c), q.filter(), pg)
	if err != nil {
		fail(c, err)
		return
	}
	writeWithETag(c, a.toArticleList(views, next))
}

// recommendedArticles godoc
// @Summary   Articles for the caller's family
// @Description Stages come from the caller's members: a due date gives pregnancy (and postpartum for six
// @Description weeks after it), a child's age gives infant_0_6m / infant_6_12m / toddler_1_3y / child_3_6y,
// @Description a member aged 60+ or a parent with chronic conditions gives elderly. Each item names the
// @Description stage and member it was chosen for. Without a token or stages: the latest articles.
// @Tags      guidance
// @Produce   json
// @Param     limit query int false "how many (1-50, default 20)"
// @Success   200 {object} RecommendedList
// @Failure   401 {object} ErrorResponse
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/articles/recommended [get]
func (a *API) recommendedArticles(c *gin.Context) {
	var q RecommendedQuery
	if !bindQuery(c, &q) {
		return
	}
	recs, err := a.svc.Guidance.Recommended(c.Request.Context(), principal(c), q.Limit)
	if err != nil {
		fail(c, err)
		return
	}
	out := RecommendedList{Items: make([]RecommendedArticle, 0, len(recs))}
	for _, r := range recs {
		item := RecommendedArticle{Article: a.toArticleItem(r.Article), Stage: r.Stage}
		if r.MemberID != 0 {
			item.Member = &RecommendedFor{ID: r.MemberID, Name: r.MemberName}
		}
		out.Items = append(out.Items, item)
	}
	ok(c, out)
}

// getArticle godoc
// @Summary   One article
// @Description Published articles for everyone; drafts and archived articles only for staff of the
// @Description author's clinic and admins (404 otherwise). Answers carry an ETag for If-None-Match.
// @Tags      guidance
// @Produce   json
// @Param     id path int true "article id"
// @Param     If-None-Match header string false "ETag of a previous answer"
// @Success   200 {object} ArticleDTO
// @Header    200 {string} ETag "tag of this answer"
// @Success   304 "not modified"
// @Failure   401 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Router    /api/v1/articles/{id} [get]
func (a *API) getArticle(c *gin.Context) {
	id, okID := pathID(c, "id")
	if !okID {
		return
	}
	v, err := a.svc.Guidance.Get(c.Request.Context(), principal(c), id)
	if err != nil {
		fail(c, err)
		return
	}
	writeWithETag(c, a.toArticle(v))
}

// favoriteArticle godoc
// @Summary   Keep an article in the caller's favorites (idempotent)
// @Tags      guidance
// @Produce   json
// @Security  Bearer
// @Param     id path int true "article id"
// @Success   200 {object} FavoriteState
// @Failure   401 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Router    /api/v1/articles/{id}/favorite [post]
func (a *API) favoriteArticle(c *gin.Context) {
	id, okID := pathID(c, "id")
	if !okID {
		return
	}
	if err := a.svc.Guidance.Favorite(c.Request.Context(), principal(c).UserID, id); err != nil {
		fail(c, err)
		return
	}
	ok(c, FavoriteState{ArticleID: id, Favorited: true})
}

// unfavoriteArticle godoc
// @Summary   Remove an article from the caller's favorites (idempotent)
// @Tags      guidance
// @Produce   json
// @Security  Bearer
// @Param     id path int true "article id"
// @Success   200 {object} FavoriteState
// @Failure   401 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Router    /api/v1/articles/{id}/favorite [delete]
func (a *API) unfavoriteArticle(c *gin.Context) {
	id, okID := pathID(c, "id")
	if !okID {
		return
	}
	if err := a.svc.Guidance.Unfavorite(c.Request.Context(), principal(c).UserID, id); err != nil {
		fail(c, err)
		return
	}
	ok(c, FavoriteState{ArticleID: id, Favorited: false})
}

// listFavorites godoc
// @Summary   The caller's favorite articles, latest kept first
// @Tags      guidance
// @Produce   json
// @Security  Bearer
// @Param     limit  query int    false "page size (1-100, default 20)"
// @Param     cursor query string false "next_cursor of the previous page"
// @Success   200 {object} ArticleList
// @Failure   401 {object} ErrorResponse
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/me/favorites [get]
func (a *API) listFavorites(c *gin.Context) {
	pg, okPage := page(c)
	if !okPage {
		return
	}
	views, next, err := a.svc.Guidance.Favorites(c.Request.Context(), principal(c).UserID, pg)
	reply(c, http.StatusOK, err, func() any { return a.toArticleList(views, next) })
}

// staffListArticles godoc
// @Summary   Articles of the caller's clinic in any status (admin: every clinic), newest first
// @Tags      guidance-staff
// @Produce   json
// @Security  Bearer
// @Param     status   query string false "status" Enums(draft, published, archived)
// @Param     category query string false "category" Enums(tcm, nutrition, parenting, elderly)
// @Param     stage    query string false "life stage" Enums(preconception, pregnancy, postpartum, infant_0_6m, infant_6_12m, toddler_1_3y, child_3_6y, elderly)
// @Param     q        query string false "search words, space separated"
// @Param     limit    query int    false "page size (1-100, default 20)"
// @Param     cursor   query string false "next_cursor of the previous page"
// @Success   200 {object} ArticleList
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/staff/articles [get]
func (a *API) staffListArticles(c *gin.Context) {
	var q StaffArticleQuery
	pg, okPage := pageQuery(c, &q)
	if !okPage {
		return
	}
	f := q.filter()
	f.Status = q.Status
	views, next, err := a.svc.Guidance.StaffList(c.Request.Context(), principal(c), f, pg)
	reply(c, http.StatusOK, err, func() any { return a.toArticleList(views, next) })
}

// createArticle godoc
// @Summary   Write a draft article for the caller's clinic
// @Tags      guidance-staff
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     Idempotency-Key header string false "replays the first answer for 24 h"
// @Param     body body ArticleCreateRequest true "the article"
// @Success   201 {object} ArticleDTO
// @Failure   400 {object} ErrorResponse
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/staff/articles [post]
func (a *API) createArticle(c *gin.Context) {
	var req ArticleCreateRequest
	if !bindJSON(c, &req) {
		return
	}
	v, err := a.svc.Guidance.Create(c.Request.Context(), principal(c), req.input())
	reply(c, http.StatusCreated, err, func() any { return a.toArticle(v) })
}

// updateArticle godoc
// @Summary   Change an article of the caller's clinic (any status)
// @Tags      guidance-staff
// @Accept    json
// @Produce   json
// @Security  Bearer
// @Param     id   path int            true "article id"
// @Param     body body ArticleRequest true "fields to change"
// @Success   200 {object} ArticleDTO
// @Failure   400 {object} ErrorResponse
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Failure   422 {object} ErrorResponse
// @Router    /api/v1/staff/articles/{id} [put]
// @Router    /api/v1/staff/articles/{id} [patch]
func (a *API) updateArticle(c *gin.Context) {
	var req ArticleRequest
	id, okID := pathID(c, "id")
	if !okID || !bindJSON(c, &req) {
		return
	}
	v, err := a.svc.Guidance.Update(c.Request.Context(), principal(c), id, req.input())
	reply(c, http.StatusOK, err, func() any { return a.toArticle(v) })
}

// publishArticle godoc
// @Summary   Publish a draft or archived article
// @Tags      guidance-staff
// @Produce   json
// @Security  Bearer
// @Param     id path int true "article id"
// @Success   200 {object} ArticleDTO
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Failure   409 {object} ErrorResponse "invalid_transition"
// @Router    /api/v1/staff/articles/{id}/publish [post]
func (a *API) publishArticle(c *gin.Context) {
	a.articleTransition(c, a.svc.Guidance.Publish)
}

// archiveArticle godoc
// @Summary   Archive an article (out of lists and reads; it can be published again)
// @Tags      guidance-staff
// @Produce   json
// @Security  Bearer
// @Param     id path int true "article id"
// @Success   200 {object} ArticleDTO
// @Failure   401 {object} ErrorResponse
// @Failure   403 {object} ErrorResponse
// @Failure   404 {object} ErrorResponse
// @Failure   409 {object} ErrorResponse "invalid_transition"
// @Router    /api/v1/staff/articles/{id}/archive [post]
func (a *API) archiveArticle(c *gin.Context) {
	a.articleTransition(c, a.svc.Guidance.Archive)
}

func (a *API) articleTransition(c *gin.Context, move func(ctx context.Context, p service.Principal, id int64) (service.ArticleView, error)) {
	id, okID := pathID(c, "id")
	if !okID {
		return
	}
	v, err := move(c.Request.Context(), principal(c), id)
	reply(c, http.StatusOK, err, func() any { return a.toArticle(v) })
}
