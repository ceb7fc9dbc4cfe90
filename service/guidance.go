package service

import (
	"context"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"familycare/model"
	"familycare/pagination"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Limits of an article.
const (
	maxArticleTitle    = 200    // characters
	maxArticleSummary  = 500    // characters
	maxArticleBodySize = 60_000 // bytes of sanitized HTML (a TEXT column holds 65,535)
	autoSummaryRunes   = 80
)

// articleMachine is the article state machine: drafts are published,
// published articles archived, archived ones published again; a draft may
// be archived without ever being published.
var articleMachine = &Machine{
	Name: "article", Table: "articles",
	States: []string{model.ArticleDraft, model.ArticlePublished, model.ArticleArchived},
	Moves: []Move{
		{"", model.ArticleDraft, []string{SideStaff}},
		{model.ArticleDraft, model.ArticlePublished, []string{SideStaff}},
		{model.ArticleDraft, model.ArticleArchived, []string{SideStaff}},
		{model.ArticlePublished, model.ArticleArchived, []string{SideStaff}},
		{model.ArticleArchived, model.ArticlePublished, []string{SideStaff}},
	},
	model: func() any { return &model.Article{} },
	event: func(st Step, at time.Time) any {
		return &model.ArticleEvent{ArticleID: st.ID, FromStatus: st.From, ToStatus: st.To, At: at, ByUserID: st.By.UserID}
	},
}

// GuidanceService is the guidance library: articles written by staff,
// browsed, searched, recommended and kept as favorites by residents.
type GuidanceService struct {
	db    *gorm.DB
	clock Clock
	loc   *time.Location
	log   *slog.Logger
	cache *guidanceCache
	views viewBuffer

	modeMu sync.Mutex
	mode   *searchMode

	// Uploads, when set, lets covers be uploads (CoverUploadID).
	Uploads *UploadService
}

// NewGuidanceService builds the service.
func NewGuidanceService(deps Deps) *GuidanceService {
	return &GuidanceService{db: deps.DB, clock: deps.Clock, loc: deps.Loc, log: deps.Log,
		cache: newGuidanceCache(deps.Clock, deps.Config.CacheMaxBytes)}
}

// ArticleInput is an article to create (title, body, category and stages
// required) or the fields to change (nil: unchanged).
type ArticleInput struct {
	Title, Summary, Body, Category, CoverURL *string
	Stages                                   *[]string
	// CoverUploadID is an upload of purpose article_cover by the caller;
	// it replaces CoverURL.
	CoverUploadID *int64
}

// attachCover attaches the caller's cover upload to the article and returns
// its URL.
func (s *GuidanceService) attachCover(tx *gorm.DB, p Principal, articleID, uploadID int64) (string, error) {
	if s.Uploads == nil {
		return "", InvalidField("cover_upload_id", "uploads are not enabled")
	}
	// A new cover replaces the old one, whose file goes with it.
	if err := tx.Model(&model.Upload{}).Where("ref_type = ? AND ref_id = ?", "article", articleID).
		Updates(map[string]any{"ref_type": "", "ref_id": 0, "attached_at": nil}).Error; err != nil {
		return "", err
	}
	ups, err := Attach(tx, s.clock.Now(), p.UserID, model.UploadArticleCover, "article", articleID, []int64{uploadID})
	if err != nil {
		return "", err
	}
	return s.Uploads.URL(ups[0].BlobKey), nil
}

// ArticleFilter narrows an article list. Status is for staff lists only.
type ArticleFilter struct {
	Category, Stage, Q, Status string
}

// ArticleView is an article as one caller sees it.
type ArticleView struct {
	model.Article
	AuthorName string
	Favorited  bool
}

// pubCursor is the position in a published list: title hits (search only),
// then published_at and id, all descending.
type pubCursor struct {
	H  int       `json:"h,omitempty"`
	P  time.Time `json:"p"`
	ID int64     `json:"id"`
}

// listColumns are the columns of list items (no body).
var listColumns = []string{"id", "title", "summary", "category", "stages", "cover_url", "author_id", "clinic_id",
	"status", "published_at", "view_count", "index_version", "created_at", "updated_at"}

func columnsOf(table string) string {
	cols := make([]string, len(listColumns))
	for i, c := range listColumns {
		cols[i] = table + "." + c
	}
	return strings.Join(cols, ", ")
}

// publishedAt is when a published article came out (zero if a row written
// behind the service lacks it, until the index job fills it in).
func publishedAt(a model.Article) time.Time {
	if a.PublishedAt == nil {
		return time.Time{}
	}
	return *a.PublishedAt
}

// articleRow is a list row with its search rank.
type articleRow struct {
	model.Article
	TitleHits int
}

// searchMode returns (and remembers) the search structures of the database.
// Call it outside transactions.
func (s *GuidanceService) searchMode(ctx context.Context) (searchMode, error) {
	s.modeMu.Lock()
	defer s.modeMu.Unlock()
	if s.mode != nil {
		return *s.mode, nil
	}
	m, err := detectSearchMode(s.db.WithContext(ctx))
	if err != nil {
		return searchMode{}, err
	}
	s.mode = &m
	return m, nil
}

// canManage reports whether p may see and change a unpublished article:
// staff of its clinic, or an admin.
func canManage(p Principal, a model.Article) bool {
	return p.IsAdmin() || (p.Role == model.RoleStaff && (p.Sees(a.ClinicID) || (p.ClinicID != 0 && a.ClinicID == p.ClinicID)))
}

func validateFilter(f ArticleFilter, staff bool) error {
	fields := map[string]string{}
	if f.Category != "" && !slices.Contains(model.ArticleCategories, f.Category) {
		fields["category"] = "must be one of " + strings.Join(model.ArticleCategories, ", ")
	}
	if f.Stage != "" && !slices.Contains(model.ArticleStages, f.Stage) {
		fields["stage"] = "must be one of " + strings.Join(model.ArticleStages, ", ")
	}
	if f.Status != "" && (!staff || !slices.Contains(articleMachine.States, f.Status)) {
		fields["status"] = "must be one of draft, published, archived"
	}
	if utf8.RuneCountInString(f.Q) > 100 {
		fields["q"] = "must be at most 100 characters"
	}
	if len(fields) > 0 {
		return Invalid(fields)
	}
	return nil
}

func filterCategoryStage(q *gorm.DB, f ArticleFilter) *gorm.DB {
	q = filterBy(q, "category", f.Category)
	if f.Stage != "" {
		q = q.Where("stages LIKE ? ESCAPE '!'", likeContains(`"`+f.Stage+`"`))
	}
	return q
}

// List returns published articles, newest first; with a search text, title
// matches first. Pages are cached in process for a short time.
func (s *GuidanceService) List(ctx context.Context, p Principal, f ArticleFilter, pg pagination.Page) ([]ArticleView, string, error) {
	if err := validateFilter(f, false); err != nil {
		return nil, "", err
	}
	terms, err := searchTerms(f.Q)
	if err != nil {
		return nil, "", err
	}
	var cur pubCursor
	if err := decodeCursor(pg.Cursor, &cur); err != nil {
		return nil, "", err
	}
	limit := pageLimit(pg.Limit)
	key := strings.Join([]string{"list", f.Category, f.Stage, strings.ToLower(strings.Join(terms, "\x00")),
		strconv.Itoa(limit), pg.Cursor}, "\x01")
	page, err := s.cache.lists.GetOrLoad(ctx, key, func(ctx context.Context) (cachedList, bool, error) {
		rows, next, err := s.queryPublished(ctx, f, terms, cur, limit)
		return cachedList{rows: rows, next: next}, err == nil, err
	})
	if err != nil {
		return nil, "", err
	}
	views, err := s.withFavorites(ctx, p.UserID, page.rows)
	return views, page.next, err
}

func (s *GuidanceService) queryPublished(ctx context.Context, f ArticleFilter, terms []string, cur pubCursor, limit int) ([]model.Article, string, error) {
	mode, err := s.searchMode(ctx)
	if err != nil {
		return nil, "", err
	}
	q := filterCategoryStage(s.db.WithContext(ctx).Table("articles").Where("status = ?", model.ArticlePublished), f)
	hits, hitArgs := "0", []any(nil)
	if len(terms) > 0 {
		where, args := searchWhere(mode, terms)
		q = q.Where(where, args...)
		hits, hitArgs = titleHits(terms)
	}
	q = q.Clauses(clause.Select{Expression: clause.Expr{SQL: columnsOf("articles") + ", " + hits + " AS title_hits", Vars: hitArgs}})
	if cur.ID > 0 {
		cond := "(published_at < ? OR (published_at = ? AND id < ?))"
		args := []any{cur.P, cur.P, cur.ID}
		if len(terms) > 0 {
			cond = "(" + hits + " < ? OR (" + hits + " = ? AND " + cond + "))"
			args = slices.Concat(hitArgs, []any{cur.H}, hitArgs, []any{cur.H}, args)
		}
		q = q.Where(cond, args...)
	}
	var rows []articleRow
	if err := q.Order("title_hits DESC, published_at DESC, id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		next = pagination.Encode(pubCursor{H: last.TitleHits, P: publishedAt(last.Article), ID: last.ID})
	}
	out := make([]model.Article, len(rows))
	for i, r := range rows {
		out[i] = r.Article
	}
	return out, next, nil
}

// StaffList lists the articles of the caller's clinic (every clinic for an
// admin) in any status, newest first.
func (s *GuidanceService) StaffList(ctx context.Context, p Principal, f ArticleFilter, pg pagination.Page) ([]ArticleView, string, error) {
	if err := validateFilter(f, true); err != nil {
		return nil, "", err
	}
	terms, err := searchTerms(f.Q)
	if err != nil {
		return nil, "", err
	}
	mode, err := s.searchMode(ctx)
	if err != nil {
		return nil, "", err
	}
	q := filterCategoryStage(s.db.WithContext(ctx).Table("articles"), f)
	q = filterBy(q, "status", f.Status)
	if len(terms) > 0 {
		where, args := searchWhere(mode, terms)
		q = q.Where(where, args...)
	}
	rows, next, err := findPageByIDEach(p.ApplyEach(q.Select(columnsOf("articles")), Cols{Clinic: "clinic_id"}), pg, true,
		func(a model.Article) int64 { return a.ID })
	if err != nil {
		return nil, "", err
	}
	views := make([]ArticleView, len(rows))
	for i, a := range rows {
		views[i] = ArticleView{Article: a}
	}
	return views, next, nil
}

// Get returns one article: published for everyone, in any status for staff
// of its clinic and admins (404 for anyone else). A resident's read of a
// published article counts a view (buffered, see Flush).
func (s *GuidanceService) Get(ctx context.Context, p Principal, id int64) (ArticleView, error) {
	// Read once for every concurrent caller (whatever their role); only a
	// published article is kept, and each caller's access is checked below.
	ca, err := s.cache.articles.GetOrLoad(ctx, articleKey(id), func(ctx context.Context) (cachedArticle, bool, error) {
		var a model.Article
		if err := s.db.WithContext(ctx).First(&a, id).Error; err != nil {
			return cachedArticle{}, false, notFound(err)
		}
		name, err := s.authorName(ctx, a.AuthorID)
		if err != nil {
			return cachedArticle{}, false, err
		}
		return cachedArticle{article: a, authorName: name}, a.Status == model.ArticlePublished, nil
	})
	if err != nil {
		return ArticleView{}, err
	}
	if ca.article.Status != model.ArticlePublished && !canManage(p, ca.article) {
		return ArticleView{}, ErrNotFound
	}
	v := ArticleView{Article: ca.article, AuthorName: ca.authorName}
	if v.Status == model.ArticlePublished && !p.IsStaff() {
		s.views.add(id)
	}
	if p.UserID > 0 {
		var n int64
		if err := s.db.WithContext(ctx).Model(&model.ArticleFavorite{}).Where("user_id = ? AND article_id = ?", p.UserID, id).
			Count(&n).Error; err != nil {
			return ArticleView{}, err
		}
		v.Favorited = n > 0
	}
	return v, nil
}

func (s *GuidanceService) authorName(ctx context.Context, userID int64) (string, error) {
	if userID == 0 {
		return "", nil
	}
	var u model.User
	err := s.db.WithContext(ctx).Select("id", "real_name", "nickname").Where("id = ?", userID).Limit(1).Find(&u).Error
	if u.RealName != "" {
		return u.RealName, err
	}
	return u.Nickname, err
}

// withFavorites marks the rows the user keeps as favorites.
func (s *GuidanceService) withFavorites(ctx context.Context, userID int64, rows []model.Article) ([]ArticleView, error) {
	views := make([]ArticleView, len(rows))
	ids := make([]int64, len(rows))
	for i, a := range rows {
		views[i] = ArticleView{Article: a}
		ids[i] = a.ID
	}
	if userID == 0 || len(rows) == 0 {
		return views, nil
	}
	var favs []int64
	if err := s.db.WithContext(ctx).Model(&model.ArticleFavorite{}).Where("user_id = ? AND article_id IN ?", userID, ids).
		Pluck("article_id", &favs).Error; err != nil {
		return nil, err
	}
	for i := range views {
		views[i].Favorited = slices.Contains(favs, views[i].ID)
	}
	return views, nil
}

// apply validates in and copies it onto a; it returns the columns to write.
func (s *GuidanceService) apply(a *model.Article, in ArticleInput, creating bool) ([]string, error) {
	fields := map[string]string{}
	var cols []string
	if in.Title != nil {
		t := strings.TrimSpace(*in.Title)
		if n := utf8.RuneCountInString(t); n == 0 || n > maxArticleTitle {
			fields["title"] = "must be 1 to 200 characters"
		}
		a.Title = t
		cols = append(cols, "title")
	}
	if in.Summary != nil {
		t := strings.TrimSpace(*in.Summary)
		if utf8.RuneCountInString(t) > maxArticleSummary {
			fields["summary"] = "must be at most 500 characters"
		}
		a.Summary = t
		cols = append(cols, "summary")
	}
	if in.Body != nil {
		b := sanitizeBody(*in.Body)
		switch {
		case b == "":
			fields["body"] = "must have content (scripts and unsafe markup are removed)"
		case len(b) > maxArticleBodySize:
			fields["body"] = "must be at most 60000 bytes"
		}
		a.Body, a.BodyText = b, plainText(b)
		cols = append(cols, "body", "body_text")
	}
	if in.Category != nil {
		if !slices.Contains(model.ArticleCategories, *in.Category) {
			fields["category"] = "must be one of " + strings.Join(model.ArticleCategories, ", ")
		}
		a.Category = *in.Category
		cols = append(cols, "category")
	}
	if in.Stages != nil {
		stages := make([]string, 0, len(*in.Stages))
		for _, st := range *in.Stages {
			if !slices.Contains(model.ArticleStages, st) {
				fields["stages"] = "each must be one of " + strings.Join(model.ArticleStages, ", ")
				break
			}
			if !slices.Contains(stages, st) {
				stages = append(stages, st)
			}
		}
		if len(stages) == 0 && fields["stages"] == "" {
			fields["stages"] = "must have at least 1 item"
		}
		a.Stages = stages
		cols = append(cols, "stages")
	}
	if in.CoverURL != nil {
		c := strings.TrimSpace(*in.CoverURL)
		if c != "" {
			u, err := url.Parse(c)
			if err != nil || u.Scheme != "https" || u.Host == "" || len(c) > 512 {
				fields["cover_url"] = "must be an https URL of at most 512 characters"
			}
		}
		a.CoverURL = c
		cols = append(cols, "cover_url")
	}
	if creating {
		for field, missing := range map[string]bool{"title": in.Title == nil, "body": in.Body == nil,
			"category": in.Category == nil, "stages": in.Stages == nil} {
			if missing {
				fields[field] = "required"
			}
		}
		if a.Summary == "" {
			a.Summary = truncate(strings.ReplaceAll(a.BodyText, "\n", " "), autoSummaryRunes)
		}
	}
	if len(fields) > 0 {
		return nil, Invalid(fields)
	}
	return cols, nil
}

// Create writes a draft for the caller's clinic.
func (s *GuidanceService) Create(ctx context.Context, p Principal, in ArticleInput) (ArticleView, error) {
	now := s.clock.Now()
	a := model.Article{Status: model.ArticleDraft, AuthorID: p.UserID, ClinicID: p.ClinicID, Stages: []string{},
		IndexVersion: articleIndexVersion, CreatedAt: now, UpdatedAt: now}
	if _, err := s.apply(&a, in, true); err != nil {
		return ArticleView{}, err
	}
	mode, err := s.searchMode(ctx)
	if err != nil {
		return ArticleView{}, err
	}
	err = transact(ctx, s.db, func(tx *gorm.DB) error {
		if err := tx.Create(&a).Error; err != nil {
			return err
		}
		if in.CoverUploadID != nil {
			cover, err := s.attachCover(tx, p, a.ID, *in.CoverUploadID)
			if err != nil {
				return err
			}
			a.CoverURL = cover
			if err := tx.Model(&model.Article{ID: a.ID}).Update("cover_url", cover).Error; err != nil {
				return err
			}
		}
		if err := articleMachine.Start(tx, now, Step{ID: a.ID, To: model.ArticleDraft, By: actorOf(p)}); err != nil {
			return err
		}
		return indexArticle(tx, mode, a)
	})
	if err != nil {
		return ArticleView{}, err
	}
	name, err := s.authorName(ctx, a.AuthorID)
	return ArticleView{Article: a, AuthorName: name}, err
}

// Update changes the given fields of an article of the caller's clinic, in
// any status; only those columns are written, so two editors changing
// different fields do not undo each other.
func (s *GuidanceService) Update(ctx context.Context, p Principal, id int64, in ArticleInput) (ArticleView, error) {
	mode, err := s.searchMode(ctx)
	if err != nil {
		return ArticleView{}, err
	}
	var a model.Article
	changed := false
	err = transact(ctx, s.db, func(tx *gorm.DB) error {
		if err := tx.First(&a, id).Error; err != nil {
			return notFound(err)
		}
		if !canManage(p, a) {
			return ErrNotFound
		}
		cols, err := s.apply(&a, in, false)
		if err != nil {
			return err
		}
		if in.CoverUploadID != nil {
			cover, err := s.attachCover(tx, p, a.ID, *in.CoverUploadID)
			if err != nil {
				return err
			}
			a.CoverURL = cover
			cols = append(cols, "cover_url")
		}
		if len(cols) == 0 {
			return nil
		}
		a.UpdatedAt = s.clock.Now()
		a.IndexVersion = articleIndexVersion
		cols = append(cols, "updated_at", "index_version")
		if err := tx.Model(&model.Article{ID: id}).Select(cols).Updates(&a).Error; err != nil {
			return err
		}
		if err := tx.First(&a, id).Error; err != nil {
			return err
		}
		changed = true
		return indexArticle(tx, mode, a)
	})
	if err != nil {
		return ArticleView{}, err
	}
	if changed {
		s.cache.invalidate()
	}
	name, err := s.authorName(ctx, a.AuthorID)
	return ArticleView{Article: a, AuthorName: name}, err
}

// Publish makes an article visible to residents.
func (s *GuidanceService) Publish(ctx context.Context, p Principal, id int64) (ArticleView, error) {
	return s.transition(ctx, p, id, model.ArticlePublished)
}

// Archive takes an article out of lists and reads.
func (s *GuidanceService) Archive(ctx context.Context, p Principal, id int64) (ArticleView, error) {
	return s.transition(ctx, p, id, model.ArticleArchived)
}

// transition moves an article to status to with a conditional update and a
// history row; a change the state machine does not allow, or one that lost
// a race, is ErrInvalidTransition.
func (s *GuidanceService) transition(ctx context.Context, p Principal, id int64, to string) (ArticleView, error) {
	now := s.clock.Now()
	var a model.Article
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		if err := tx.First(&a, id).Error; err != nil {
			return notFound(err)
		}
		if !canManage(p, a) {
			return ErrNotFound
		}
		set := map[string]any{}
		if to == model.ArticlePublished {
			// Published again after archiving keeps its first date.
			set["published_at"] = gorm.Expr("COALESCE(published_at, ?)", now)
		}
		return articleMachine.Apply(tx, now, Step{ID: id, From: a.Status, To: to, By: actorOf(p), Set: set, Row: &a})
	})
	if err != nil {
		return ArticleView{}, err
	}
	s.cache.invalidate()
	name, err := s.authorName(ctx, a.AuthorID)
	return ArticleView{Article: a, AuthorName: name}, err
}

// Favorite keeps a published article in the user's favorites (idempotent).
func (s *GuidanceService) Favorite(ctx context.Context, userID, articleID int64) error {
	db := s.db.WithContext(ctx)
	var n int64
	if err := db.Model(&model.Article{}).Where("id = ? AND status = ?", articleID, model.ArticlePublished).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return withRetry(ctx, func() error {
		return db.Clauses(clause.OnConflict{DoNothing: true}).
			Create(&model.ArticleFavorite{UserID: userID, ArticleID: articleID, CreatedAt: s.clock.Now()}).Error
	})
}

// Unfavorite removes an article from the user's favorites (idempotent; an
// article that is gone from the library can still be removed).
func (s *GuidanceService) Unfavorite(ctx context.Context, userID, articleID int64) error {
	db := s.db.WithContext(ctx)
	var gone int64
	err := withRetry(ctx, func() error {
		res := db.Where("user_id = ? AND article_id = ?", userID, articleID).Delete(&model.ArticleFavorite{})
		gone = res.RowsAffected
		return res.Error
	})
	if err != nil || gone > 0 {
		return err
	}
	var n int64
	if err := db.Model(&model.Article{}).Where("id = ? AND status = ?", articleID, model.ArticlePublished).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// Favorites lists the user's favorite published articles, latest kept first.
func (s *GuidanceService) Favorites(ctx context.Context, userID int64, pg pagination.Page) ([]ArticleView, string, error) {
	var cur idCursor
	if err := decodeCursor(pg.Cursor, &cur); err != nil {
		return nil, "", err
	}
	limit := pageLimit(pg.Limit)
	q := s.db.WithContext(ctx).Table("article_favorites").
		Joins("JOIN articles ON articles.id = article_favorites.article_id").
		Select("article_favorites.id AS fav_id, "+columnsOf("articles")).
		Where("article_favorites.user_id = ? AND articles.status = ?", userID, model.ArticlePublished)
	if cur.ID > 0 {
		q = q.Where("article_favorites.id < ?", cur.ID)
	}
	var rows []struct {
		FavID int64
		model.Article
	}
	if err := q.Order("article_favorites.id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = pagination.Encode(idCursor{ID: rows[limit-1].FavID})
	}
	views := make([]ArticleView, len(rows))
	for i, r := range rows {
		views[i] = ArticleView{Article: r.Article, Favorited: true}
	}
	return views, next, nil
}

// Reindex builds the search index of articles written behind the service
// (the guidance index job); it returns how many it indexed.
func (s *GuidanceService) Reindex(ctx context.Context) (int, error) {
	mode, err := s.searchMode(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for ctx.Err() == nil {
		n, err := indexPending(s.db.WithContext(ctx), mode, 100)
		total += n
		if err != nil {
			return total, err
		}
		if n == 0 {
			break
		}
	}
	if total > 0 {
		s.cache.invalidate()
	}
	return total, nil
}
