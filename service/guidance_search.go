package service

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"familycare/model"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Article search. Every query term must occur in the title, the summary or
// the plain text of the body (a LIKE check, the same on every database); an
// index narrows the candidates first where the database has one:
//
//   - SQLite: the FTS5 table article_fts (trigram tokenizer) for terms of 3
//     or more characters; shorter terms ("辅食") are matched by LIKE alone.
//   - MySQL 8: the FULLTEXT index with the ngram parser for terms at least
//     ngram_token_size (default 2) long.
//   - MariaDB (no ngram parser): the article_grams table of each article's
//     distinct two-character sequences, kept in step by the service.
//
// Results list title matches first (how many terms the title holds), then
// newest first.

const (
	searchLike     = "like"     // no index: LIKE only
	searchFTS5     = "fts5"     // SQLite FTS5 trigram
	searchFulltext = "fulltext" // MySQL 8 FULLTEXT ngram
	searchGrams    = "grams"    // article_grams (MariaDB)
)

// articleIndexVersion is stored in articles.index_version once a row's body
// text and search index are built; raise it to rebuild every row.
const articleIndexVersion = 1

// Limits of a search query.
const (
	maxSearchTerms     = 5
	maxSearchTermRunes = 32
	gramsPerTerm       = 3
)

type searchMode struct {
	kind      string
	tokenSize int // ngram_token_size (fulltext)
}

// detectSearchMode finds which search structures the migration made.
func detectSearchMode(db *gorm.DB) (searchMode, error) {
	switch db.Dialector.Name() {
	case "sqlite":
		var n int64
		if err := db.Raw("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", model.ArticleFTSTable).Scan(&n).Error; err != nil {
			return searchMode{}, err
		}
		if n > 0 {
			return searchMode{kind: searchFTS5}, nil
		}
		return searchMode{kind: searchLike}, nil
	case "mysql":
		var n int64
		if err := db.Raw("SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'articles' AND index_name = ?",
			model.ArticleFulltextName).Scan(&n).Error; err != nil {
			return searchMode{}, err
		}
		if n == 0 {
			return searchMode{kind: searchGrams}, nil
		}
		var size int
		if err := db.Raw("SELECT @@ngram_token_size").Scan(&size).Error; err != nil || size < 1 {
			size = 2
		}
		return searchMode{kind: searchFulltext, tokenSize: size}, nil
	}
	return searchMode{kind: searchLike}, nil
}

// searchTerms splits a query into distinct terms at white space (ASCII or
// ideographic). Too many or too long terms are a 422 on q.
func searchTerms(q string) ([]string, error) {
	var terms []string
	seen := map[string]bool{}
	for _, t := range strings.FieldsFunc(q, unicode.IsSpace) {
		if utf8.RuneCountInString(t) > maxSearchTermRunes {
			return nil, InvalidField("q", fmt.Sprintf("each word must be at most %d characters", maxSearchTermRunes))
		}
		if k := strings.ToLower(t); !seen[k] {
			seen[k] = true
			terms = append(terms, t)
		}
	}
	if len(terms) > maxSearchTerms {
		return nil, InvalidField("q", fmt.Sprintf("at most %d words", maxSearchTerms))
	}
	return terms, nil
}

// likeEscaper escapes LIKE wildcards with '!' (the same ESCAPE works on
// SQLite, MySQL and MariaDB; a backslash would not).
var likeEscaper = strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")

func likeContains(s string) string { return "%" + likeEscaper.Replace(s) + "%" }

// searchWhere is the condition that every term occurs in the article.
func searchWhere(mode searchMode, terms []string) (string, []any) {
	var parts []string
	var args []any
	switch mode.kind {
	case searchFTS5:
		var phrases []string
		for _, t := range terms {
			if utf8.RuneCountInString(t) >= 3 {
				phrases = append(phrases, `"`+strings.ReplaceAll(t, `"`, `""`)+`"`)
			}
		}
		if len(phrases) > 0 {
			parts = append(parts, "id IN (SELECT rowid FROM "+model.ArticleFTSTable+" WHERE "+model.ArticleFTSTable+" MATCH ?)")
			args = append(args, strings.Join(phrases, " AND "))
		}
	case searchFulltext:
		var phrases []string
		for _, t := range terms {
			// Only terms without ASCII: the server's stopword list (English)
			// drops ngrams holding a stopword, which could hide ASCII words.
			if utf8.RuneCountInString(t) >= mode.tokenSize && !hasASCII(t) {
				phrases = append(phrases, `+"`+t+`"`)
			}
		}
		if len(phrases) > 0 {
			parts = append(parts, "MATCH (title, summary, body_text) AGAINST (? IN BOOLEAN MODE)")
			args = append(args, strings.Join(phrases, " "))
		}
	case searchGrams:
		for _, t := range terms {
			for _, g := range sampleGrams(strings.ToLower(t)) {
				parts = append(parts, "id IN (SELECT article_id FROM article_grams WHERE gram = ?)")
				args = append(args, g)
			}
		}
	}
	for _, t := range terms {
		p := likeContains(t)
		parts = append(parts, "(title LIKE ? ESCAPE '!' OR summary LIKE ? ESCAPE '!' OR body_text LIKE ? ESCAPE '!')")
		args = append(args, p, p, p)
	}
	return strings.Join(parts, " AND "), args
}

// titleHits is an SQL expression counting the terms the title holds.
func titleHits(terms []string) (string, []any) {
	parts := make([]string, len(terms))
	args := make([]any, len(terms))
	for i, t := range terms {
		parts[i] = "CASE WHEN title LIKE ? ESCAPE '!' THEN 1 ELSE 0 END"
		args[i] = likeContains(t)
	}
	return "(" + strings.Join(parts, " + ") + ")", args
}

// sampleGrams picks up to gramsPerTerm of a term's two-character sequences
// (first, middle, last): enough to narrow the candidates, which the LIKE
// check then confirms.
func sampleGrams(term string) []string {
	r := []rune(term)
	if len(r) < 2 {
		return nil
	}
	n := len(r) - 1
	picks := []int{0, n / 2, n - 1}
	var out []string
	seen := map[string]bool{}
	for _, i := range picks[:min(gramsPerTerm, len(picks))] {
		g := string(r[i : i+2])
		if !seen[g] && !hasSpace(g) {
			seen[g] = true
			out = append(out, g)
		}
	}
	return out
}

func hasSpace(s string) bool { return strings.IndexFunc(s, unicode.IsSpace) >= 0 }

func hasASCII(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r < utf8.RuneSelf }) >= 0
}

// articleGrams returns the distinct lower-case two-character sequences of an
// article's searchable text.
func articleGrams(a model.Article) []string {
	seen := map[string]bool{}
	var out []string
	for _, field := range []string{a.Title, a.Summary, a.BodyText} {
		r := []rune(strings.ToLower(field))
		for i := 0; i+1 < len(r); i++ {
			if unicode.IsSpace(r[i]) || unicode.IsSpace(r[i+1]) {
				continue
			}
			g := string(r[i : i+2])
			if !seen[g] {
				seen[g] = true
				out = append(out, g)
			}
		}
	}
	return out
}

// indexArticle rewrites the search index of one article inside tx.
func indexArticle(tx *gorm.DB, mode searchMode, a model.Article) error {
	switch mode.kind {
	case searchFTS5:
		if err := tx.Exec("DELETE FROM "+model.ArticleFTSTable+" WHERE rowid = ?", a.ID).Error; err != nil {
			return err
		}
		return tx.Exec("INSERT INTO "+model.ArticleFTSTable+" (rowid, title, summary, body_text) VALUES (?, ?, ?, ?)",
			a.ID, a.Title, a.Summary, a.BodyText).Error
	case searchGrams:
		if err := tx.Where("article_id = ?", a.ID).Delete(&model.ArticleGram{}).Error; err != nil {
			return err
		}
		grams := articleGrams(a)
		if len(grams) == 0 {
			return nil
		}
		rows := make([]model.ArticleGram, len(grams))
		for i, g := range grams {
			rows[i] = model.ArticleGram{Gram: g, ArticleID: a.ID}
		}
		// Grams equal under the column's collation (MySQL _ci) collide on
		// the primary key: one row is enough for either.
		return tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 500).Error
	}
	return nil
}

// IndexPending builds the body text and search index of up to batch articles
// written behind the service (seed data, imports: index_version is not
// current), sanitizing their bodies on the way. It returns how many it
// indexed. db may be a transaction.
func IndexPending(db *gorm.DB, batch int) (int, error) {
	mode, err := detectSearchMode(db)
	if err != nil {
		return 0, err
	}
	return indexPending(db, mode, batch)
}

func indexPending(db *gorm.DB, mode searchMode, batch int) (int, error) {
	var rows []model.Article
	if err := db.Where("index_version <> ?", articleIndexVersion).Order("id").Limit(batch).Find(&rows).Error; err != nil {
		return 0, err
	}
	done := 0
	for _, a := range rows {
		a.Body = sanitizeBody(a.Body)
		a.BodyText = plainText(a.Body)
		indexed := false
		err := transact(db.Statement.Context, db, func(tx *gorm.DB) error {
			// Conditional: a write through the service in between has
			// indexed the row already, from newer text.
			set := map[string]any{"body": a.Body, "body_text": a.BodyText, "index_version": articleIndexVersion}
			if a.Status == model.ArticlePublished && a.PublishedAt == nil {
				set["published_at"] = a.CreatedAt // lists page by it
			}
			res := tx.Model(&model.Article{}).Where("id = ? AND index_version <> ?", a.ID, articleIndexVersion).
				UpdateColumns(set)
			if res.Error != nil || res.RowsAffected == 0 {
				return res.Error
			}
			indexed = true
			return indexArticle(tx, mode, a)
		})
		if err != nil {
			return done, err
		}
		if indexed {
			done++
		}
	}
	return done, nil
}
