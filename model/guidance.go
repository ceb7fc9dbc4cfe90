package model

import "time"

// Article statuses.
const (
	ArticleDraft     = "draft"
	ArticlePublished = "published"
	ArticleArchived  = "archived"
)

// Article is a piece of TCM, nutrition, parenting or elderly-care guidance.
type Article struct {
	ID          int64    `gorm:"primaryKey"`
	Title       string   `gorm:"size:200;not null"`
	Summary     string   `gorm:"size:500;not null;default:''"`
	Body        string   `gorm:"type:text"`
	Category    string   `gorm:"size:16;not null;index"`
	Stages      []string `gorm:"type:text;serializer:json"`
	CoverURL    string   `gorm:"size:512;not null;default:''"`
	AuthorID    int64    `gorm:"not null;default:0"`
	Status      string   `gorm:"size:16;not null;default:draft;index"`
	PublishedAt *time.Time
	ViewCount   int64 `gorm:"not null;default:0"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func guidanceModels() []any { return []any{&Article{}} }
