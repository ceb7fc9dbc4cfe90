package service

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"familycare/model"

	"gorm.io/gorm/clause"
)

// Recommendation is an article chosen for one member of the caller's family
// at one life stage (no member: the latest articles for a family without
// stages).
type Recommendation struct {
	Article    ArticleView
	Stage      string
	MemberID   int64
	MemberName string
}

// Recommendation rules.
const (
	postpartumDays   = 42 // six weeks after the due date
	elderlyAge       = 60
	recommendPool    = 200 // newest candidates considered
	maxRecommended   = 50
	defaultRecommend = 20
)

// stageReason is a stage and the member it comes from.
type stageReason struct {
	stage  string
	member model.Person
}

// memberStages returns the life stages of a member on the business date
// today: a due date gives pregnancy until it and postpartum for six weeks
// after; a child's age gives infant_0_6m, infant_6_12m, toddler_1_3y or
// child_3_6y; 60 and over, or a parent with chronic conditions, is elderly.
func memberStages(m model.Person, today time.Time) []string {
	day := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	var out []string
	if due, err := time.Parse(dateLayout, m.DueDate); err == nil {
		switch {
		case !day.After(due):
			out = append(out, model.StagePregnancy)
		case !day.After(due.AddDate(0, 0, postpartumDays)):
			out = append(out, model.StagePostpartum)
		}
	}
	elderly := m.Relation == model.RelationParent && len(m.ChronicConditions) > 0
	if birth, err := time.Parse(dateLayout, m.BirthDate); err == nil && !birth.After(day) {
		months := (day.Year()-birth.Year())*12 + int(day.Month()) - int(birth.Month())
		if day.Day() < birth.Day() {
			months--
		}
		switch {
		case months < 6:
			out = append(out, model.StageInfant0to6m)
		case months < 12:
			out = append(out, model.StageInfant6to12m)
		case months < 36:
			out = append(out, model.StageToddler1to3y)
		case months < 72:
			out = append(out, model.StageChild3to6y)
		case months >= elderlyAge*12:
			elderly = true
		}
	}
	if elderly {
		out = append(out, model.StageElderly)
	}
	return out
}

// Recommended returns published articles for the stages of the caller's
// family members, each with the stage and member it was chosen for. The
// stages take turns, so every member gets articles, and the chosen ones are
// listed newest first. Without a caller, stages or articles for them: the
// latest articles.
func (s *GuidanceService) Recommended(ctx context.Context, p Principal, limit int) ([]Recommendation, error) {
	if limit <= 0 {
		limit = defaultRecommend
	}
	limit = min(limit, maxRecommended)
	var reasons []stageReason
	if p.UserID > 0 {
		var members []model.Person
		db := s.db.WithContext(ctx)
		if err := db.Where("id IN (?)", actsFor(db, p.UserID)).Order("id").Find(&members).Error; err != nil {
			return nil, err
		}
		today := s.clock.Now().In(s.loc)
		for _, m := range members {
			for _, st := range memberStages(m, today) {
				reasons = append(reasons, stageReason{stage: st, member: m})
			}
		}
	}
	var stages []string
	for _, r := range reasons {
		if !slices.Contains(stages, r.stage) {
			stages = append(stages, r.stage)
		}
	}
	pool, err := s.stagePool(ctx, stages, max(limit, recommendPool))
	if err != nil {
		return nil, err
	}
	var chosen []Recommendation
	if len(reasons) > 0 {
		chosen = roundRobin(pool, reasons, limit)
	}
	if len(chosen) == 0 {
		// No stages, or no article for them yet: the latest articles.
		if len(reasons) > 0 {
			if pool, err = s.stagePool(ctx, nil, max(limit, recommendPool)); err != nil {
				return nil, err
			}
		}
		for _, a := range pool[:min(limit, len(pool))] {
			chosen = append(chosen, Recommendation{Article: ArticleView{Article: a}})
		}
	}
	rows := make([]model.Article, len(chosen))
	for i, c := range chosen {
		rows[i] = c.Article.Article
	}
	views, err := s.withFavorites(ctx, p.UserID, rows)
	if err != nil {
		return nil, err
	}
	for i := range chosen {
		chosen[i].Article = views[i]
	}
	return chosen, nil
}

// roundRobin gives each (stage, member) its newest article not chosen yet,
// in turns, until limit; the result is sorted newest first.
func roundRobin(pool []model.Article, reasons []stageReason, limit int) []Recommendation {
	next := make([]int, len(reasons)) // position in pool per reason
	taken := map[int64]bool{}
	var out []Recommendation
	for progress := true; progress && len(out) < limit; {
		progress = false
		for i, r := range reasons {
			for next[i] < len(pool) && len(out) < limit {
				a := pool[next[i]]
				next[i]++
				if taken[a.ID] || !slices.Contains(a.Stages, r.stage) {
					continue
				}
				taken[a.ID] = true
				out = append(out, Recommendation{Article: ArticleView{Article: a}, Stage: r.stage,
					MemberID: r.member.ID, MemberName: r.member.Name})
				progress = true
				break
			}
		}
	}
	slices.SortStableFunc(out, func(x, y Recommendation) int {
		if c := publishedAt(y.Article.Article).Compare(publishedAt(x.Article.Article)); c != 0 {
			return c
		}
		return cmp.Compare(y.Article.ID, x.Article.ID)
	})
	return out
}

// stagePool returns the newest published articles of any of the stages (any
// stage when none), cached like lists.
func (s *GuidanceService) stagePool(ctx context.Context, stages []string, n int) ([]model.Article, error) {
	sorted := slices.Clone(stages)
	slices.Sort(sorted)
	key := "pool\x01" + strings.Join(sorted, ",") + "\x01" + strconv.Itoa(n)
	page, err := s.cache.lists.GetOrLoad(ctx, key, func(ctx context.Context) (cachedList, bool, error) {
		q := s.db.WithContext(ctx).Table("articles").Where("status = ?", model.ArticlePublished)
		if len(stages) > 0 {
			conds := make([]string, len(stages))
			args := make([]any, len(stages))
			for i, st := range stages {
				conds[i] = "stages LIKE ? ESCAPE '!'"
				args[i] = likeContains(`"` + st + `"`)
			}
			q = q.Where("("+strings.Join(conds, " OR ")+")", args...)
		}
		var rows []model.Article
		if err := q.Clauses(clause.Select{Expression: clause.Expr{SQL: columnsOf("articles")}}).
			Order("published_at DESC, id DESC").Limit(n).Find(&rows).Error; err != nil {
			return cachedList{}, false, err
		}
		return cachedList{rows: rows}, true, nil
	})
	return page.rows, err
}
