package model

import (
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Article statuses.
const (
	ArticleDraft     = "draft"
	ArticlePublished = "published"
	ArticleArchived  = "archived"
)

// Article categories.
const (
	CategoryTCM       = "tcm"
	CategoryNutrition = "nutrition"
	CategoryParenting = "parenting"
	CategoryElderly   = "elderly"
)

// ArticleCategories lists every category.
var ArticleCategories = []string{CategoryTCM, CategoryNutrition, CategoryParenting, CategoryElderly}

// Life stages an article is written for.
const (
	StagePreconception = "preconception"
	StagePregnancy     = "pregnancy"
	StagePostpartum    = "postpartum"
	StageInfant0to6m   = "infant_0_6m"
	StageInfant6to12m  = "infant_6_12m"
	StageToddler1to3y  = "toddler_1_3y"
	StageChild3to6y    = "child_3_6y"
	StageElderly       = "elderly"
)

// ArticleStages lists every stage, from before pregnancy to old age.
var ArticleStages = []string{StagePreconception, StagePregnancy, StagePostpartum, StageInfant0to6m,
	StageInfant6to12m, StageToddler1to3y, StageChild3to6y, StageElderly}

// Article is a piece of TCM, nutrition, parenting or elderly-care guidance.
// Body is sanitized HTML; BodyText is its plain text, which search reads.
// Published lists read (status, published_at) and (category, status,
// published_at).
type Article struct {
	ID       int64  `gorm:"primaryKey"`
	Title    string `gorm:"size:200;not null"`
	Summary  string `gorm:"size:500;not null;default:''"`
	Body     string `gorm:"type:text"`
	BodyText string `gorm:"type:text"`
	Category string `gorm:"size:16;not null;index;index:ix_article_cat_pub,priority:1"`
	// Stages is a JSON array of stage names; a stage filter matches the
	// quoted name inside it.
	Stages   []string `gorm:"type:text;serializer:json"`
	CoverURL string   `gorm:"size:512;not null;default:''"`
	AuthorID int64    `gorm:"not null;default:0"`
	// ClinicID is the clinic whose staff wrote the article and may change it.
	ClinicID    int64      `gorm:"not null;default:0;index"`
	Status      string     `gorm:"size:16;not null;default:draft;index;index:ix_article_pub,priority:1;index:ix_article_cat_pub,priority:2"`
	PublishedAt *time.Time `gorm:"index:ix_article_pub,priority:2;index:ix_article_cat_pub,priority:3"`
	ViewCount   int64      `gorm:"not null;default:0"`
	// IndexVersion is the version of the search index built for the row;
	// rows written behind the service (seed, imports) have 0 and are indexed
	// by the guidance index job.
	IndexVersion int `gorm:"not null;default:0;index"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// ArticleEvent is one status change of an article.
type ArticleEvent struct {
	ID         int64     `gorm:"primaryKey"`
	ArticleID  int64     `gorm:"not null;index"`
	FromStatus string    `gorm:"size:16;not null;default:''"`
	ToStatus   string    `gorm:"size:16;not null"`
	At         time.Time `gorm:"not null"`
	ByUserID   int64     `gorm:"not null;default:0"`
}

// ArticleFavorite is an article a user keeps in their favorites.
type ArticleFavorite struct {
	ID        int64 `gorm:"primaryKey"`
	UserID    int64 `gorm:"not null;uniqueIndex:ux_article_favorite,priority:1"`
	ArticleID int64 `gorm:"not null;uniqueIndex:ux_article_favorite,priority:2;index"`
	CreatedAt time.Time
}

// ArticleGram is one distinct two-character sequence of an article's text:
// the search index on databases without an ngram full-text parser (MariaDB).
// A term's grams narrow the candidates, a LIKE check confirms them.
type ArticleGram struct {
	Gram      string `gorm:"size:8;primaryKey;autoIncrement:false"`
	ArticleID int64  `gorm:"primaryKey;autoIncrement:false;index"`
}

func guidanceModels() []any {
	return []any{&Article{}, &ArticleEvent{}, &ArticleFavorite{}, &ArticleGram{}}
}

// Names of the search structures made by MigrateGuidanceSearch.
const (
	ArticleFTSTable     = "article_fts"      // SQLite FTS5, trigram tokenizer
	ArticleFulltextName = "ft_articles_text" // MySQL 8 FULLTEXT WITH PARSER ngram
)

// MigrateGuidanceSearch creates the full-text structures of article search
// where the database has them: on SQLite an FTS5 table with the trigram
// tokenizer (filled from the existing rows when it is created), on MySQL 8 a
// FULLTEXT index with the ngram parser. MariaDB has no ngram parser: it
// keeps the article_grams table instead. Idempotent.
func MigrateGuidanceSearch(db *gorm.DB) error {
	switch db.Dialector.Name() {
	case "sqlite":
		var n int64
		if err := db.Raw("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", ArticleFTSTable).Scan(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		err := db.Exec("CREATE VIRTUAL TABLE " + ArticleFTSTable + " USING fts5(title, summary, body_text, tokenize = 'trigram')").Error
		if err != nil {
			if msg := err.Error(); strings.Contains(msg, "no such module") || strings.Contains(msg, "no such tokenizer") {
				return nil // search falls back to LIKE
			}
			return fmt.Errorf("article search table: %w", err)
		}
		return db.Exec("INSERT INTO " + ArticleFTSTable + " (rowid, title, summary, body_text) " +
			"SELECT id, title, summary, COALESCE(body_text, '') FROM articles").Error
	case "mysql":
		var ngram int64
		if err := db.Raw("SELECT COUNT(*) FROM information_schema.plugins WHERE plugin_name = 'ngram' AND plugin_status = 'ACTIVE'").
			Scan(&ngram).Error; err != nil {
			return err
		}
		if ngram == 0 {
			return nil // MariaDB: article_grams
		}
		var n int64
		if err := db.Raw("SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'articles' AND index_name = ?",
			ArticleFulltextName).Scan(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		return db.Exec("ALTER TABLE articles ADD FULLTEXT INDEX " + ArticleFulltextName + " (title, summary, body_text) WITH PARSER ngram").Error
	}
	return nil
}
