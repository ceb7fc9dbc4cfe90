package model_test

import (
	"fmt"
	"testing"
	"time"

	"familycare/model"
)

// TestMigrate_SQLiteMovesAgreementVersions: an embedded database of the
// build before agreement versions (every table but agreement_versions,
// contracts recording versions as text) gets the table from model.Migrate,
// with one row per distinct version published at its first use, as
// migration 00115 does on MySQL; a second start adds nothing.
func TestMigrate_SQLiteMovesAgreementVersions(t *testing.T) {
	db, err := model.Open("sqlite", "file:legacy_agreements?mode=memory&cache=shared", 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := model.Migrate(db); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrator().DropTable(&model.AgreementVersion{}); err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	for i, c := range []struct {
		version string
		created time.Time
	}{{"2025.1", at("2025-03-01T02:00:00Z")}, {"2025.1", at("2025-01-15T08:30:00Z")}, {"v2", at("2026-02-01T00:00:00Z")}, {"", at("2024-06-01T00:00:00Z")}} {
		if err := db.Create(&model.FamilyContract{ID: int64(i + 1), UserID: 1, TeamID: 1, ClinicID: 3, Status: model.ContractActive,
			AppliedBy: model.AppliedBySelf, AgreementVersion: c.version, CreatedAt: c.created, UpdatedAt: c.created}).Error; err != nil {
			t.Fatal(err)
		}
	}
	want := "[2025.1 历史版本 2025.1  2025-01-15 08:30 v2 历史版本 v2  2026-02-01 00:00]"
	for i := 0; i < 2; i++ { // the second start changes nothing
		if err := model.Migrate(db); err != nil {
			t.Fatal(err)
		}
		var rows []model.AgreementVersion
		if err := db.Order("id").Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, r.Version, r.Title, r.Body, r.PublishedAt.UTC().Format("2006-01-02 15:04"))
		}
		if fmt.Sprint(got) != want {
			t.Fatalf("start %d: %v, want %s", i+1, got, want)
		}
	}
}
