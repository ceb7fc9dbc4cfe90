package model_test

import (
	"testing"
	"time"

	"familycare/model"

	"gorm.io/gorm"
)

// legacyMember is the members table of the build before households.
type legacyMember struct {
	ID                int64    `gorm:"primaryKey"`
	UserID            int64    `gorm:"not null;index"`
	Name              string   `gorm:"size:64;not null"`
	Relation          string   `gorm:"size:16;not null"`
	Gender            string   `gorm:"size:16;not null;default:unknown"`
	BirthDate         string   `gorm:"size:10;not null;default:'';index"`
	DueDate           string   `gorm:"size:10;not null;default:''"`
	ChronicConditions []string `gorm:"type:text;serializer:json"`
	CreatedAt         time.Time
	UpdatedAt         time.Time
	DeletedAt         gorm.DeletedAt `gorm:"index"`
}

func (legacyMember) TableName() string { return "members" }

// TestMigrate_SQLiteMovesMembersIntoHouseholds: an embedded database of the
// build before households (users and their members) is renamed and moved
// into households by model.Migrate, once; nothing is lost.
func TestMigrate_SQLiteMovesMembersIntoHouseholds(t *testing.T) {
	db, err := model.Open("sqlite", "file:legacy_households?mode=memory&cache=shared", 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AutoMigrate(&model.User{}, &legacyMember{}); err != nil {
		t.Fatal(err)
	}
	db.Create(&model.User{ID: 1, OpenID: "o1", Role: model.RoleResident})
	db.Create(&model.User{ID: 2, OpenID: "o2", Role: model.RoleResident})
	db.Create(&legacyMember{ID: 5, UserID: 1, Name: "我", Relation: "self", Gender: "female"})
	db.Create(&legacyMember{ID: 6, UserID: 1, Name: "豆豆", Relation: "child", BirthDate: "2025-06-01"})
	db.Create(&legacyMember{ID: 7, UserID: 2, Name: "外公", Relation: "parent", BirthDate: "1948-01-02", ChronicConditions: []string{"高血压"}})
	for i := 0; i < 2; i++ { // the second start changes nothing
		if err := model.Migrate(db); err != nil {
			t.Fatal(err)
		}
	}
	var persons []model.Person
	if err := db.Order("id").Find(&persons).Error; err != nil {
		t.Fatal(err)
	}
	if len(persons) != 3 || persons[2].Name != "外公" || len(persons[2].ChronicConditions) != 1 {
		t.Fatalf("persons after migration: %+v", persons)
	}
	var links []model.HouseholdPerson
	db.Order("person_id").Find(&links)
	var accts []model.HouseholdAccount
	db.Order("user_id").Find(&accts)
	if len(links) != 3 || len(accts) != 2 || links[0].HouseholdID != links[1].HouseholdID || links[2].HouseholdID == links[0].HouseholdID {
		t.Fatalf("links %+v accounts %+v", links, accts)
	}
	if accts[0].PersonID == nil || *accts[0].PersonID != 5 || accts[1].PersonID != nil {
		t.Fatalf("the self member must be account 1's person: %+v", accts)
	}
	if db.Migrator().HasTable("members") || !db.Migrator().HasIndex(&model.Person{}, "idx_persons_user_id") {
		t.Fatal("members must be renamed to persons with its indexes")
	}
}
