package migrations_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"testing"
	"time"

	"familycare/model"
	"familycare/model/migrations"
)

// TestMigrations_Issue10IdempotencyKeys fills a database as the build before
// issue 10 left it (schema 40, clear keys and answers), migrates it, and finds
// every key stored as the SHA-256 of its exact bytes, two keys that differ
// only in case or accent kept apart (the schema before could not hold both), and the answers marked unsealed for the
// SealLegacy job.
func TestMigrations_Issue10IdempotencyKeys(t *testing.T) {
	ctx := context.Background()
	db := scratchDB(t, "idem")
	if err := migrations.UpTo(ctx, db.sql, 40); err != nil {
		t.Fatal(err)
	}
	keys := []string{"Case-x", "accent-a"} // the old collation could not hold case-x beside Case-x
	for i, k := range keys {
		if _, err := db.sql.Exec("INSERT INTO idempotency_records (user_id, `key`, request_hash, state, status_code, response_body, created_at, expires_at) VALUES (7, ?, 'h', 'done', 201, ?, NOW(3), NOW(3) + INTERVAL 1 DAY)",
			k, []byte(`{"id":`+string(rune('1'+i))+`}`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := migrations.Up(ctx, db.sql, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		sum := sha256.Sum256([]byte(k))
		var sealed bool
		var n int
		if err := db.sql.QueryRow("SELECT COUNT(*), COALESCE(MAX(sealed), 0) FROM idempotency_records WHERE `key` = ?", hex.EncodeToString(sum[:])).Scan(&n, &sealed); err != nil {
			t.Fatal(err)
		}
		if n != 1 || sealed {
			t.Errorf("key %q: %d rows (sealed %v), want 1 unsealed", k, n, sealed)
		}
	}
}

// TestMigrations_Issue10FarFutureTimes: a session and a mute in the year 9999,
// stored by the build before issue 10, are repaired so that they can be
// written as JSON again; ordinary rows are untouched.
func TestMigrations_Issue10FarFutureTimes(t *testing.T) {
	ctx := context.Background()
	db := scratchDB(t, "times")
	if err := migrations.UpTo(ctx, db.sql, 40); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"INSERT INTO sessions (id, service_id, starts_at, clinic_id, kind, ends_at, capacity) VALUES (1, 1, '9999-12-31 23:00:00', 1, 'vaccination', '9999-12-31 23:30:00', 5)",
		"INSERT INTO sessions (id, service_id, starts_at, clinic_id, kind, ends_at, capacity) VALUES (2, 1, '2027-01-05 01:00:00', 1, 'vaccination', '2027-01-05 02:00:00', 5)",
		"INSERT INTO circle_mutes (user_id, ends_at, muted_by) VALUES (5, '9999-12-31 00:00:00', 1)",
		"INSERT INTO circle_mutes (user_id, ends_at, muted_by) VALUES (6, '2027-01-01 00:00:00', 1)",
	} {
		if _, err := db.sql.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := migrations.Up(ctx, db.sql, io.Discard); err != nil {
		t.Fatal(err)
	}
	var st1, st2, starts1, starts2, mute5, mute6 string
	if err := db.sql.QueryRow("SELECT s1.status, s2.status, DATE_FORMAT(s1.starts_at, '%Y'), DATE_FORMAT(s2.starts_at, '%Y'), "+
		"(SELECT DATE_FORMAT(ends_at, '%Y') FROM circle_mutes WHERE user_id = 5), (SELECT DATE_FORMAT(ends_at, '%Y') FROM circle_mutes WHERE user_id = 6) "+
		"FROM sessions s1, sessions s2 WHERE s1.id = 1 AND s2.id = 2").Scan(&st1, &st2, &starts1, &starts2, &mute5, &mute6); err != nil {
		t.Fatal(err)
	}
	if st1 != "cancelled" || starts1 != "2199" || st2 != "open" || starts2 != "2027" || mute5 != "2076" || mute6 != "2027" {
		t.Fatalf("after migration: sessions %s %s / %s %s, mutes %s %s", st1, starts1, st2, starts2, mute5, mute6)
	}
}

// TestMigrations_Issue14Households fills a database as the build before
// households left it (schema 79: accounts with private member lists, a
// deleted member, a booking and a contract naming members) and migrates it:
// every resident account is the guardian of a household of its own, every
// live member is a person of it with the same id and relation, the "self"
// member is the account's person, the deleted member stays deleted and out
// of every household, and the bookings and contract still name the same
// ids. A second run of the backfill adds nothing.
func TestMigrations_Issue14Households(t *testing.T) {
	ctx := context.Background()
	db := scratchDB(t, "hh")
	if err := migrations.UpTo(ctx, db.sql, 79); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"INSERT INTO users (id, open_id, role, created_at) VALUES (1, 'o1', 'resident', NOW(3)), (2, 'o2', 'resident', NOW(3)), (3, 'o3', 'staff', NOW(3)), (4, 'o4', 'resident', NOW(3))",
		"INSERT INTO members (id, user_id, name, relation, gender, birth_date, created_at) VALUES " +
			"(10, 1, '妈妈', 'self', 'female', '1992-03-04', NOW(3)), (11, 1, '豆豆', 'child', 'male', '2025-06-01', NOW(3)), " +
			"(12, 2, '爷爷', 'parent', 'male', '1948-01-02', NOW(3)), (13, 2, '旧的', 'child', 'female', '2020-01-01', NOW(3))",
		"UPDATE members SET deleted_at = NOW(3) WHERE id = 13",
		"INSERT INTO bookings (id, session_id, member_id, user_id, clinic_id, status, starts_at, created_at, updated_at) VALUES (1, 1, 11, 1, 3, 'pending', NOW(3), NOW(3), NOW(3))",
	} {
		if _, err := db.sql.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := migrations.Up(ctx, db.sql, io.Discard); err != nil {
		t.Fatal(err)
	}
	type link struct {
		creator, person int64
		relation        string
	}
	rows, err := db.sql.Query("SELECT h.created_by, hp.person_id, hp.relation FROM household_persons hp JOIN households h ON h.id = hp.household_id ORDER BY hp.person_id")
	if err != nil {
		t.Fatal(err)
	}
	var got []link
	for rows.Next() {
		var l link
		if err := rows.Scan(&l.creator, &l.person, &l.relation); err != nil {
			t.Fatal(err)
		}
		got = append(got, l)
	}
	rows.Close()
	want := []link{{1, 10, "self"}, {1, 11, "child"}, {2, 12, "parent"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("household persons %v, want %v", got, want)
	}
	var households, guardians, selfLinked, persons, deleted int
	if err := db.sql.QueryRow("SELECT (SELECT COUNT(*) FROM households), (SELECT COUNT(*) FROM household_accounts WHERE role = 'guardian'), "+
		"(SELECT COUNT(*) FROM household_accounts WHERE user_id = 1 AND person_id = 10), (SELECT COUNT(*) FROM persons), "+
		"(SELECT COUNT(*) FROM persons WHERE id = 13 AND deleted_at IS NOT NULL)").Scan(&households, &guardians, &selfLinked, &persons, &deleted); err != nil {
		t.Fatal(err)
	}
	// Users 1, 2 and 4 are residents (4 without members still gets a
	// household); staff 3 does not.
	if households != 3 || guardians != 3 || selfLinked != 1 || persons != 4 || deleted != 1 {
		t.Fatalf("households %d, guardians %d, self linked %d, persons %d, deleted kept %d", households, guardians, selfLinked, persons, deleted)
	}
	var bookingPerson int64
	if err := db.sql.QueryRow("SELECT p.id FROM bookings b JOIN persons p ON p.id = b.member_id WHERE b.id = 1").Scan(&bookingPerson); err != nil || bookingPerson != 11 {
		t.Fatalf("the booking's person: %d %v", bookingPerson, err)
	}
	for _, q := range model.HouseholdBackfill {
		if _, err := db.sql.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	var again int
	if err := db.sql.QueryRow("SELECT (SELECT COUNT(*) FROM households) + (SELECT COUNT(*) FROM household_accounts) + (SELECT COUNT(*) FROM household_persons)").Scan(&again); err != nil || again != 9 {
		t.Fatalf("rerun of the backfill: %d rows, want 9 (%v)", again, err)
	}
}

// TestMigrations_Issue15CoverageFlags fills a database as the build before
// the coverage flags left it (schema 100: 失能 and 特困 written among a
// person's conditions, households without a village) and migrates it: the
// conditions become the flags, a household made at a single-village station
// gets that village, one whose contracts all name one single-village
// station gets it, and every ambiguous household stays without one. A
// second run changes nothing.
func TestMigrations_Issue15CoverageFlags(t *testing.T) {
	ctx := context.Background()
	db := scratchDB(t, "cov")
	if err := migrations.UpTo(ctx, db.sql, 100); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"INSERT INTO clinics (id, name, kind, catchment) VALUES (1, '柳树村卫生驿站', 'station', '[\"柳树村\"]'), " +
			"(2, '石桥镇卫生院', 'branch', '[\"石桥镇\",\"柳树村\",\"桃园村\"]'), (3, '桃园村卫生驿站', 'station', '[\"桃园村\"]')",
		"INSERT INTO users (id, open_id, role, created_at) VALUES (1, 'o1', 'resident', NOW(3)), (2, 'o2', 'resident', NOW(3)), " +
			"(3, 'o3', 'resident', NOW(3)), (4, 'o4', 'resident', NOW(3)), (5, 'o5', 'resident', NOW(3))",
		"INSERT INTO persons (id, user_id, name, relation, gender, birth_date, chronic_conditions, created_at) VALUES " +
			"(10, 1, '甲', 'self', 'male', '1940-01-01', '[\"高血压\",\"失能\"]', NOW(3)), (11, 2, '乙', 'self', 'female', '1950-01-01', '[\"特困\"]', NOW(3)), " +
			"(12, 3, '丙', 'self', 'male', '1950-01-01', '[]', NOW(3)), (13, 4, '丁', 'self', 'male', '1950-01-01', NULL, NOW(3)), " +
			"(14, 5, '戊', 'self', 'male', '1950-01-01', '[\"失眠\"]', NOW(3))",
		"INSERT INTO households (id, name, created_by, clinic_id, created_at, updated_at) VALUES (1, '', 1, 1, NOW(3), NOW(3)), " +
			"(2, '', 2, 2, NOW(3), NOW(3)), (3, '', 3, NULL, NOW(3), NOW(3)), (4, '', 4, NULL, NOW(3), NOW(3)), (5, '', 5, NULL, NOW(3), NOW(3))",
		"INSERT INTO household_persons (household_id, person_id, relation, created_at) VALUES (1, 10, 'self', NOW(3)), (2, 11, 'self', NOW(3)), " +
			"(3, 12, 'self', NOW(3)), (4, 13, 'self', NOW(3)), (5, 14, 'self', NOW(3))",
		// household 2: every contract with station 3 (桃园村); household 3:
		// stations 1 and 3 (ambiguous); household 4: the branch (several).
		"INSERT INTO family_contracts (id, user_id, team_id, clinic_id, status, applied_by, applied_by_user_id) VALUES " +
			"(1, 2, 1, 3, 'active', 'self', 2), (2, 2, 1, 3, 'expired', 'self', 2), (3, 3, 1, 1, 'active', 'self', 3), " +
			"(4, 3, 1, 3, 'expired', 'self', 3), (5, 4, 1, 2, 'active', 'self', 4)",
		"INSERT INTO contract_members (contract_id, member_id, active, applied_by) VALUES (1, 11, 1, 'self'), (2, 11, NULL, 'self'), " +
			"(3, 12, 1, 'self'), (4, 12, NULL, 'self'), (5, 13, 1, 'self')",
	} {
		if _, err := db.sql.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := migrations.Up(ctx, db.sql, io.Discard); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		got := map[string]string{}
		for _, q := range []string{
			"SELECT CONCAT('p', id), CONCAT(disabled, '/', special_hardship) FROM persons",
			"SELECT CONCAT('h', id), village FROM households",
		} {
			rows, err := db.sql.Query(q)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var k, v string
				if err := rows.Scan(&k, &v); err != nil {
					t.Fatal(err)
				}
				got[k] = v
			}
			rows.Close()
		}
		want := map[string]string{"p10": "1/0", "p11": "0/1", "p12": "0/0", "p13": "0/0", "p14": "0/0",
			"h1": "柳树村", "h2": "桃园村", "h3": "", "h4": "", "h5": ""}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: %v, want %v", when, got, want)
		}
	}
	check("after the migration")
	if err := model.CoverageBackfill(ctx, db.sql); err != nil {
		t.Fatal(err)
	}
	check("after a second run")
}

// TestMigrations_Issue17SlotReserved: a sliced session made before 00113 (6
// seats in three slots of 2, 3 reserved, one reserved seat held in the
// second slot, one public seat in the first) keeps its reserved seats, now
// in its slots: the held one stays where it is, the unused two go to the
// earliest slots with free seats. The session's counters are the sums; a
// session without slots is untouched.
func TestMigrations_Issue17SlotReserved(t *testing.T) {
	ctx := context.Background()
	db := scratchDB(t, "slotres")
	if err := migrations.UpTo(ctx, db.sql, 112); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"INSERT INTO sessions (id, service_id, starts_at, clinic_id, kind, ends_at, capacity, booked, reserved, reserved_booked) VALUES " +
			"(1, 1, '2027-01-05 01:00:00', 3, 'expert_clinic', '2027-01-05 02:00:00', 6, 2, 3, 1), " +
			"(2, 1, '2027-01-06 01:00:00', 3, 'expert_clinic', '2027-01-06 02:00:00', 5, 0, 2, 0)",
		"INSERT INTO session_slots (id, session_id, starts_at, ends_at, capacity, booked) VALUES " +
			"(1, 1, '2027-01-05 01:00:00', '2027-01-05 01:20:00', 2, 1), (2, 1, '2027-01-05 01:20:00', '2027-01-05 01:40:00', 2, 1), " +
			"(3, 1, '2027-01-05 01:40:00', '2027-01-05 02:00:00', 2, 0)",
		"INSERT INTO bookings (id, session_id, member_id, user_id, clinic_id, status, starts_at, created_at, updated_at, slot_id, reserved_seat, referral_id) VALUES " +
			"(1, 1, 11, 1, 3, 'pending', '2027-01-05 01:00:00', NOW(3), NOW(3), 1, 0, 0), " +
			"(2, 1, 12, 2, 3, 'confirmed', '2027-01-05 01:20:00', NOW(3), NOW(3), 2, 1, 7), " +
			"(3, 1, 13, 2, 3, 'cancelled', '2027-01-05 01:40:00', NOW(3), NOW(3), 3, 1, 8)",
	} {
		if _, err := db.sql.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := migrations.Up(ctx, db.sql, io.Discard); err != nil {
		t.Fatal(err)
	}
	var got []string
	rows, err := db.sql.Query("SELECT id, reserved, reserved_booked FROM session_slots ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, r, rb int
		if err := rows.Scan(&id, &r, &rb); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d:%d/%d", id, r, rb))
	}
	if fmt.Sprint(got) != "[1:1/0 2:2/1 3:0/0]" {
		t.Errorf("slots (id:reserved/reserved_booked) %v, want [1:1/0 2:2/1 3:0/0]", got)
	}
	for id, want := range map[int]string{1: "3/1", 2: "2/0"} {
		var r, rb int
		if err := db.sql.QueryRow("SELECT reserved, reserved_booked FROM sessions WHERE id = ?", id).Scan(&r, &rb); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprintf("%d/%d", r, rb) != want {
			t.Errorf("session %d reserved/reserved_booked %d/%d, want %s", id, r, rb, want)
		}
	}
}

// TestMigrations_Issue17AgreementVersions fills a database as the build
// before agreement versions left it (every migration but 00114 and 00115:
// contracts recording versions as free text, one without a creation time,
// some without a version) and migrates it: each distinct version becomes
// one published row titled 历史版本 <v> with an empty body, published at its
// first use (the oldest contract's time when no contract of it is dated),
// in that order; the contracts are untouched; the latest is the current one. A
// second run adds nothing.
func TestMigrations_Issue17AgreementVersions(t *testing.T) {
	ctx := context.Background()
	db := scratchDB(t, "agree")
	if err := migrations.UpExcept(ctx, db.sql, 114, 115); err != nil {
		t.Fatal(err)
	}
	if _, err := db.sql.Exec("SELECT 1 FROM agreement_versions"); err == nil {
		t.Fatal("the database before the migration already has agreement_versions")
	}
	if _, err := db.sql.Exec("INSERT INTO family_contracts (id, user_id, team_id, clinic_id, status, applied_by, applied_by_user_id, agreement_version, created_at) VALUES " +
		"(1, 1, 1, 3, 'active', 'self', 1, '2025.1', '2025-03-01 02:00:00'), (2, 2, 1, 3, 'expired', 'self', 2, '2025.1', '2025-01-15 08:30:00'), " +
		"(3, 3, 1, 3, 'pending', 'self', 3, 'v2', '2026-02-01 00:00:00'), (4, 4, 1, 3, 'active', 'self', 4, '', '2024-06-01 00:00:00'), " +
		"(5, 5, 1, 3, 'rejected', 'self', 5, 'beta', NULL), (6, 6, 1, 3, 'active', 'relative', 6, 'v2', '2026-05-01 00:00:00')"); err != nil {
		t.Fatal(err)
	}
	if err := migrations.Up(ctx, db.sql, io.Discard); err != nil {
		t.Fatal(err)
	}
	read := func() []string {
		t.Helper()
		rows, err := db.sql.Query("SELECT id, version, title, body, published_at, created_by FROM agreement_versions ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id, by int64
			var v, title, body string
			var at time.Time
			if err := rows.Scan(&id, &v, &title, &body, &at, &by); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%d %s %q %q %s %d", id, v, title, body, at.UTC().Format("2006-01-02 15:04"), by))
		}
		return out
	}
	// beta, which no contract dates, is placed at the oldest contract.
	want := []string{`1 beta "历史版本 beta" "" 2024-06-01 00:00 0`, `2 2025.1 "历史版本 2025.1" "" 2025-01-15 08:30 0`,
		`3 v2 "历史版本 v2" "" 2026-02-01 00:00 0`}
	if got := read(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("agreement versions:\n%v\nwant\n%v", got, want)
	}
	var versions, current string
	if err := db.sql.QueryRow("SELECT version FROM agreement_versions ORDER BY published_at DESC, id DESC LIMIT 1").Scan(&current); err != nil || current != "v2" {
		t.Fatalf("current version %q (%v), want v2", current, err)
	}
	if err := db.sql.QueryRow("SELECT GROUP_CONCAT(agreement_version ORDER BY id) FROM family_contracts").Scan(&versions); err != nil || versions != "2025.1,2025.1,v2,,beta,v2" {
		t.Fatalf("contracts changed: %q %v", versions, err)
	}
	if err := model.AgreementVersionBackfill(ctx, db.sql, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := read(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after a second run:\n%v", got)
	}
}

// TestMigrations_Issue18ConsultationQueueRank fills a database as the build
// before the stored queue rank left it (every migration but 00142: the staff
// queue ordered by CASE status) with consultations in each status and
// migrates it: each gets its status's rank (open 0, answered 1, closed 2),
// and ix_consult_queue holds the queue's order, its last two parts
// descending.
func TestMigrations_Issue18ConsultationQueueRank(t *testing.T) {
	ctx := context.Background()
	db := scratchDB(t, "queue")
	if err := migrations.UpExcept(ctx, db.sql, 142); err != nil {
		t.Fatal(err)
	}
	if _, err := db.sql.Exec("SELECT queue_rank FROM consultations"); err == nil {
		t.Fatal("the database before the migration already has consultations.queue_rank")
	}
	if _, err := db.sql.Exec("INSERT INTO consultations (id, person_id, opened_by, team_id, clinic_id, contract_id, status, due_at, last_message_at, closed_at) VALUES " +
		"(1, 10, 1, 1, 3, 1, 'open', '2026-03-02 08:00:00', '2026-03-01 08:00:00', NULL), " +
		"(2, 10, 1, 1, 3, 1, 'answered', NULL, '2026-03-01 09:00:00', NULL), " +
		"(3, 11, 2, 1, 3, 2, 'closed', NULL, '2026-02-01 09:00:00', '2026-02-09 09:00:00'), " +
		"(4, 12, 3, 2, 4, 3, 'open', '2026-03-03 08:00:00', '2026-03-02 08:00:00', NULL), " +
		"(5, 12, 3, 2, 4, 3, 'closed', NULL, '2026-01-01 09:00:00', '2026-01-09 09:00:00')"); err != nil {
		t.Fatal(err)
	}
	if err := migrations.Up(ctx, db.sql, io.Discard); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := db.sql.QueryRow("SELECT GROUP_CONCAT(CONCAT(id, ':', status, '=', queue_rank) ORDER BY id) FROM consultations").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := "1:open=0,2:answered=1,3:closed=2,4:open=0,5:closed=2"; got != want {
		t.Fatalf("ranks %s, want %s", got, want)
	}
	if err := db.sql.QueryRow("SELECT GROUP_CONCAT(CONCAT(column_name, ' ', COALESCE(collation, '-')) ORDER BY seq_in_index) FROM information_schema.statistics " +
		"WHERE table_schema = DATABASE() AND table_name = 'consultations' AND index_name = 'ix_consult_queue'").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := "team_id A,queue_rank A,due_at A,last_message_at D,id D"; got != want {
		t.Fatalf("ix_consult_queue: %s, want %s", got, want)
	}
}
