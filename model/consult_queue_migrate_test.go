package model_test

import (
	"testing"

	"familycare/model"
)

// TestMigrate_SQLiteFillsConsultationQueueRank: an embedded database of the
// build before the stored queue rank (consultations without queue_rank)
// gets the column from model.Migrate with each row at its status's rank, as
// migration 00142 does on MySQL; a second start changes nothing.
func TestMigrate_SQLiteFillsConsultationQueueRank(t *testing.T) {
	db, err := model.Open("sqlite", "file:legacy_consult_queue?mode=memory&cache=shared", 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := model.Migrate(db); err != nil {
		t.Fatal(err)
	}
	m := db.Migrator()
	if err := m.DropIndex(&model.Consultation{}, "ix_consult_queue"); err != nil {
		t.Fatal(err)
	}
	if err := m.DropColumn(&model.Consultation{}, "queue_rank"); err != nil {
		t.Fatal(err)
	}
	for _, st := range []string{model.ConsultOpen, model.ConsultAnswered, model.ConsultClosed, model.ConsultOpen} {
		if err := db.Exec("INSERT INTO consultations (person_id, opened_by, team_id, clinic_id, contract_id, status, last_message_at) "+
			"VALUES (1, 1, 1, 3, 1, ?, CURRENT_TIMESTAMP)", st).Error; err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 2; i++ { // the second start changes nothing
		if err := model.Migrate(db); err != nil {
			t.Fatal(err)
		}
		var rows []model.Consultation
		if err := db.Order("id").Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		var got []int16
		for _, r := range rows {
			got = append(got, r.QueueRank)
			if r.QueueRank != model.ConsultQueueRank(r.Status) {
				t.Errorf("start %d: consultation %d %s has rank %d", i+1, r.ID, r.Status, r.QueueRank)
			}
		}
		if len(got) != 4 || got[0] != 0 || got[1] != 1 || got[2] != 2 || got[3] != 0 {
			t.Fatalf("start %d: ranks %v, want [0 1 2 0]", i+1, got)
		}
		if !m.HasIndex(&model.Consultation{}, "ix_consult_queue") {
			t.Fatalf("start %d: no ix_consult_queue", i+1)
		}
	}
}
