// Command scale bulk-loads a province-sized familycare database on MariaDB
// and signs in the accounts the scale benchmark drives (bench/scale/run.sh).
//
//	scale load   -dsn DSN [-f 1]      bulk-load on top of a migrated, seeded database
//	scale tokens -dsn DSN -base URL   print the benchmark's tokens and URLs
//
// The load is set-based: every table is filled by INSERT … SELECT over
// MariaDB's sequence engine (seq_0_to_N), in chunks, with explicit ids
// above the rows already there, so rows refer to each other by
// arithmetic. At -f 1: 300 clinics (1,500 services, 600 family-doctor
// teams of three staff), 1,000,000 sessions over two years (a year back,
// a year ahead), 5,000,000 bookings, 1,000,000 residents in 500,000
// households (two accounts and two persons each: a child and an elderly
// parent), 250,000 active contracts (500,000 covered persons, about 833
// per team), 550,000 planned follow-ups, 100,000 consultations, 200,000
// medicine orders, 1,000,000 vaccination doses, up to 1,000,000 growth
// points, 20,000 articles, 200,000 posts. -f scales every count but the
// per-team and per-clinic-day sizes (clinics scale with it).
//
// Personal data columns the bulk rows must fill (a medicine order's
// address, phone and hand-over code) carry one value sealed with the key
// the server uses (DATA_ENCRYPTION_KEYS, the dev key when unset); the
// optional sealed columns are left empty.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"familycare/model"
	"familycare/pii"
	"familycare/service"

	mysqldrv "github.com/go-sql-driver/mysql"
	"gorm.io/gorm"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: scale load|tokens -dsn DSN ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "load":
		err = load(os.Args[2:])
	case "tokens":
		err = tokens(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (load, tokens)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

// sizes are the row counts of one load.
type sizes struct {
	Clinics, Sessions, Users, Articles, Posts int
}

func sizesFor(f float64) sizes {
	n := func(full int, min int) int { return max(min, int(float64(full)*f)) }
	return sizes{Clinics: n(300, 3), Sessions: n(1_000_000, 1000), Users: n(1_000_000, 1000),
		Articles: n(20_000, 5000), Posts: n(200_000, 1000)}
}

// loader holds the id bases (the largest id of each table before the
// load) and the constants the statements share.
type loader struct {
	db                                                                 *gorm.DB
	sz                                                                 sizes
	chunk                                                              int
	clinic, service, session, user, staff, household, person, team, co int64
	now, today, base                                                   string
	log                                                                *slog.Logger
}

func load(args []string) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	dsn := fs.String("dsn", "", "MariaDB DSN of a migrated database")
	f := fs.Float64("f", 1, "fraction of the province-sized counts")
	chunk := fs.Int("chunk", 100_000, "rows per INSERT … SELECT")
	tz := fs.String("tz", "Asia/Shanghai", "business time zone")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	// One chunk may take minutes on a busy machine: no 30 s I/O timeout.
	cfg, err := mysqldrv.ParseDSN(*dsn)
	if err != nil {
		return err
	}
	cfg.ReadTimeout, cfg.WriteTimeout = time.Hour, time.Hour
	db, err := model.Open("mysql", cfg.FormatDSN(), 4, log)
	if err != nil {
		return err
	}
	var done int64
	if err := db.Raw("SELECT COUNT(*) FROM users WHERE open_id = 'scale-u-0'").Scan(&done).Error; err != nil {
		return err
	}
	if done > 0 {
		return errors.New("this database is loaded already")
	}
	loc, err := time.LoadLocation(*tz)
	if err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Second)
	y, m, d := now.In(loc).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, loc)
	const ts = "2006-01-02 15:04:05"
	l := &loader{db: db, sz: sizesFor(*f), chunk: *chunk, log: log,
		now: now.Format(ts), today: today.Format("2006-01-02"), base: today.AddDate(-1, 0, 0).UTC().Format(ts)}
	if perDay := (l.sz.Sessions + 729) / 730; perDay > 5*l.sz.Clinics {
		return fmt.Errorf("%d sessions a day at %d clinics: more than five a clinic", perDay, l.sz.Clinics)
	}
	for _, b := range []struct {
		table string
		into  *int64
	}{{"clinics", &l.clinic}, {"services", &l.service}, {"sessions", &l.session}, {"users", &l.user},
		{"households", &l.household}, {"persons", &l.person}, {"doctor_teams", &l.team}, {"family_contracts", &l.co}} {
		if err := db.Raw("SELECT COALESCE(MAX(id), 0) FROM " + b.table).Scan(b.into).Error; err != nil {
			return err
		}
	}
	l.staff = l.user + int64(l.sz.Users)
	box, err := pii.New(cmp.Or(os.Getenv("DATA_ENCRYPTION_KEYS"), pii.DevKeys), os.Getenv("DATA_ENCRYPTION_KEY_ID"))
	if err != nil {
		return err
	}
	sealed := map[string]string{}
	for _, s := range []string{"青山县人民路 8 号 3 单元 201", "13800000000", "246810"} {
		if sealed[s], err = box.Seal(s); err != nil {
			return err
		}
	}
	start := time.Now()
	log.Info("loading", "sizes", fmt.Sprintf("%+v", l.sz), "now", l.now, "today", l.today)
	steps := l.steps(sealed["青山县人民路 8 号 3 单元 201"], sealed["13800000000"], sealed["246810"])
	// Three connections at once, each a chain of steps that only the steps
	// before it in the chain depend on.
	chains := [][]string{
		{"clinics", "services", "sessions", "bookings"},
		{"users", "staff", "households", "household_accounts", "persons", "household_persons", "vaccination_doses", "growth_measurements"},
		{"doctor_teams", "doctor_team_members", "family_contracts", "contract_members", "follow_up_visits (hypertension)",
			"follow_up_visits (child_high_risk)", "consultations", "medicine_orders", "medicine_order_items", "articles", "posts", "circle post counts"},
	}
	if err := runChains(log, steps, chains); err != nil {
		return err
	}
	// The guidance search index of the articles, built as the server's job
	// builds it.
	t0 := time.Now()
	indexed := 0
	for {
		n, err := service.IndexPending(db.WithContext(context.Background()), 500)
		if err != nil {
			return fmt.Errorf("index articles: %w", err)
		}
		if n == 0 {
			break
		}
		indexed += n
	}
	log.Info("step", "name", "article index", "rows", indexed, "seconds", time.Since(t0).Round(100*time.Millisecond).Seconds())
	t0 = time.Now()
	for _, t := range []string{"clinics", "services", "sessions", "bookings", "users", "persons", "households", "household_accounts",
		"household_persons", "family_contracts", "contract_members", "follow_up_visits", "consultations", "medicine_orders",
		"vaccination_doses", "growth_measurements", "articles", "article_grams", "posts"} {
		if err := db.Exec("ANALYZE TABLE " + t).Error; err != nil {
			return err
		}
	}
	log.Info("step", "name", "analyze", "seconds", time.Since(t0).Round(100*time.Millisecond).Seconds())
	log.Info("loaded", "seconds", time.Since(start).Round(time.Second).Seconds())
	return nil
}

type step struct {
	name string
	run  func() (int64, error)
}

// runChains runs each chain of named steps on its own goroutine (its own
// connection), the steps of a chain in order; rows of other chains are
// referred to by arithmetic only, never read.
func runChains(log *slog.Logger, steps []step, chains [][]string) error {
	byName := map[string]step{}
	for _, st := range steps {
		byName[st.name] = st
	}
	named := 0
	for _, chain := range chains {
		for _, name := range chain {
			if _, ok := byName[name]; !ok {
				return fmt.Errorf("no step %q", name)
			}
			named++
		}
	}
	if len(byName) != len(steps) || named != len(steps) {
		return errors.New("every step must have its own name and be in one chain")
	}
	errs := make(chan error, len(chains))
	for _, chain := range chains {
		go func() {
			for _, name := range chain {
				st := byName[name]
				t0 := time.Now()
				rows, err := st.run()
				if err != nil {
					errs <- fmt.Errorf("%s: %w", name, err)
					return
				}
				log.Info("step", "name", name, "rows", rows, "seconds", time.Since(t0).Round(100*time.Millisecond).Seconds())
			}
			errs <- nil
		}()
	}
	var first error
	for range chains {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// chunked runs one statement per chunk of [0, n): the statement's %s is
// the chunk's sequence table, its ? arguments are args.
func (l *loader) chunked(name string, n int, sql string, args ...any) step {
	return step{name, func() (int64, error) {
		var rows int64
		for lo := 0; lo < n; lo += l.chunk {
			hi := min(lo+l.chunk, n) - 1
			res := l.db.Exec(fmt.Sprintf(sql, fmt.Sprintf("seq_%d_to_%d", lo, hi)), args...)
			if res.Error != nil {
				return rows, res.Error
			}
			rows += res.RowsAffected
		}
		return rows, nil
	}}
}

// once runs one statement.
func (l *loader) once(name, sql string, args ...any) step {
	return step{name, func() (int64, error) {
		res := l.db.Exec(sql, args...)
		return res.RowsAffected, res.Error
	}}
}

// steps are the statements of the load, in order. Index arithmetic: clinic
// ci (0-based) is l.clinic+1+ci; its services are l.service+1+ci*5+k; team
// t of clinic ci is l.team+1+ci*2+t with staff l.staff+1+(ci*2+t)*3+j
// (lead, doctor, nurse); household h has accounts l.user+1+2h (guardian,
// owner of the persons) and l.user+2+2h, persons l.person+1+2h (a child)
// and l.person+2+2h (an elderly parent), and belongs to clinic h mod C;
// household h < H/2 has contract l.co+1+h with its clinic's team
// (h div C) mod 2.
func (l *loader) steps(address, phone, code string) []step {
	C, S, U := l.sz.Clinics, l.sz.Sessions, l.sz.Users
	H := U / 2
	K := H / 2 // contracts
	perDay := (S + 729) / 730
	kinds := "'vaccination','growth_assessment','pediatric_massage','parenting_class','expert_clinic'"
	names := "'预防接种','儿童生长发育评估','小儿推拿','育儿课堂','专家门诊'"
	team := fmt.Sprintf("%d + 1 + (h MOD %d) * 2 + (h DIV %d) MOD 2", l.team, C, C)
	// A contract's place among its team's (h div 2C): what varies within a
	// team (who has a consultation, its status, an order's, a follow-up's
	// day) is a function of it, not of h, so every team has the same mix in
	// a database of any size. Of h, a team's contracts would share h mod 5,
	// h mod 40 … whenever C is a multiple (300 clinics: one team in ten
	// with every consultation open and every order waiting, another none).
	jh, j := fmt.Sprintf("(h DIV %d)", 2*C), fmt.Sprintf("(seq DIV %d)", 2*C)
	return []step{
		l.once("clinics", `INSERT INTO clinics (id, name, kind, parent_id, address, phone, status, offers, catchment, hours, created_at, updated_at)
			SELECT ? + seq, CONCAT('规模测试卫生院', seq), 'branch', (SELECT MIN(id) FROM clinics WHERE kind = 'main_hospital'),
			       CONCAT('规模测试县', seq, '号'), '0350-0000000', 'open',
			       '["vaccination","family_doctor","child_health_centre"]', '[]', '[]', ?, ?
			FROM `+fmt.Sprintf("seq_1_to_%d", C), l.clinic, l.now, l.now),
		l.once("services", `INSERT INTO services (id, kind, name, description, duration_minutes, clinic_id, created_at, updated_at)
			SELECT ? + c.seq * 5 + k.seq + 1, ELT(k.seq + 1, `+kinds+`), ELT(k.seq + 1, `+names+`), '', 60, ? + 1 + c.seq, ?, ?
			FROM `+fmt.Sprintf("seq_0_to_%d", C-1)+` c JOIN seq_0_to_4 k`, l.service, l.clinic, l.now, l.now),
		// Session s: day s div perDay, clinic (s mod perDay) mod C, slot
		// (s mod perDay) div C at 8, 9, 10, 14 or 15 o'clock; a past session
		// holds three seats (three checked in), a future one five.
		l.chunked("sessions", S, `INSERT INTO sessions (id, service_id, expert_id, starts_at, clinic_id, kind, ends_at, capacity, booked, status, created_at, updated_at)
			SELECT ? + seq + 1, ? + ci * 5 + k + 1, 0, t, ? + 1 + ci, ELT(k + 1, `+kinds+`), t + INTERVAL 1 HOUR, 20,
			       IF(t < ?, 3, 5), 'open', t - INTERVAL 30 DAY, t - INTERVAL 30 DAY
			FROM (SELECT seq, ci, k, TIMESTAMP(?) + INTERVAL d DAY + INTERVAL ELT(k + 1, 8, 9, 10, 14, 15) HOUR AS t
			      FROM (SELECT seq, seq DIV ? AS d, (seq MOD ?) MOD ? AS ci, (seq MOD ?) DIV ? AS k FROM %s) x) y`,
			l.session, l.service, l.clinic, l.now, l.base, perDay, perDay, C, perDay, C),
		l.chunked("users", U, `INSERT INTO users (id, open_id, role, nickname, created_at, updated_at)
			SELECT ? + seq + 1, CONCAT('scale-u-', seq), 'resident', CONCAT('居民', seq), ?, ? FROM %s`, l.user, l.now, l.now),
		l.once("staff", `INSERT INTO users (id, open_id, role, clinic_id, position, nickname, created_at, updated_at)
			SELECT ? + seq + 1, CONCAT('scale-staff-', seq), 'staff', ? + 1 + seq DIV 6, ELT(1 + seq MOD 3, 'doctor', 'doctor', 'nurse'),
			       CONCAT('医生', seq), ?, ? FROM `+fmt.Sprintf("seq_0_to_%d", 6*C-1), l.staff, l.clinic, l.now, l.now),
		l.chunked("households", H, `INSERT INTO households (id, name, created_by, clinic_id, created_at, updated_at)
			SELECT ? + seq + 1, CONCAT('家庭', seq), ? + 2 * seq + 1, ? + 1 + seq MOD ?, ?, ? FROM %s`,
			l.household, l.user, l.clinic, C, l.now, l.now),
		l.chunked("household_accounts", H, `INSERT INTO household_accounts (household_id, user_id, role, created_at)
			SELECT ? + h.seq + 1, ? + 2 * h.seq + 1 + a.seq, 'guardian', ? FROM %s h JOIN seq_0_to_1 a`, l.household, l.user, l.now),
		// Persons: even a child (0–6 years), odd an elderly parent with 高血压.
		l.chunked("persons", U, `INSERT INTO persons (id, user_id, name, relation, gender, birth_date, chronic_conditions, created_at, updated_at)
			SELECT ? + seq + 1, ? + 2 * (seq DIV 2) + 1, CONCAT(IF(seq MOD 2 = 0, '宝宝', '老人'), seq),
			       IF(seq MOD 2 = 0, 'child', 'parent'), IF(seq MOD 4 < 2, 'male', 'female'),
			       IF(seq MOD 2 = 0, DATE_FORMAT(DATE(?) - INTERVAL (seq * 37) MOD 2190 DAY, '%%Y-%%m-%%d'),
			                         DATE_FORMAT(DATE('1940-01-01') + INTERVAL (seq * 13) MOD 7300 DAY, '%%Y-%%m-%%d')),
			       IF(seq MOD 2 = 0, '[]', '["高血压"]'), ?, ? FROM %s`, l.person, l.user, l.today, l.now, l.now),
		l.chunked("household_persons", U, `INSERT INTO household_persons (household_id, person_id, relation, added_by, created_at)
			SELECT ? + seq DIV 2 + 1, ? + seq + 1, IF(seq MOD 2 = 0, 'child', 'parent'), ? + 2 * (seq DIV 2) + 1, ? FROM %s`,
			l.household, l.person, l.user, l.now),
		// Bookings: five per session, of persons spread over the province.
		step{"bookings", func() (int64, error) {
			var rows int64
			per := max(1, l.chunk/5)
			for lo := 0; lo < S; lo += per {
				hi := min(lo+per, S)
				res := l.db.Exec(`INSERT INTO bookings (session_id, member_id, user_id, clinic_id, status, active, note, wait_seq, reason,
						starts_at, no_show_marked, created_at, updated_at, slot_id, referral_id, reserved_seat)
					SELECT s.id, ? + 1 + p, ? + 2 * (p DIV 2) + 1, s.clinic_id,
					       IF(s.starts_at < ?, ELT(s.seq + 1, 'checked_in', 'checked_in', 'checked_in', 'no_show', 'cancelled'),
					                           ELT(s.seq + 1, 'confirmed', 'confirmed', 'confirmed', 'pending', 'pending')),
					       IF(s.starts_at < ? AND s.seq >= 3, NULL, 1), '', 0, '', s.starts_at, IF(s.starts_at < ? AND s.seq = 3, 1, 0),
					       s.starts_at - INTERVAL 3 DAY, s.starts_at - INTERVAL 3 DAY, 0, 0, 0
					FROM (SELECT s.id, s.clinic_id, s.starts_at, k.seq, (((s.id - ? - 1) * 5 + k.seq) * 7919) MOD ? AS p
					      FROM sessions s JOIN seq_0_to_4 k WHERE s.id > ? AND s.id <= ?) s`,
					l.person, l.user, l.now, l.now, l.now, l.session, U, l.session+int64(lo), l.session+int64(hi))
				if res.Error != nil {
					return rows, res.Error
				}
				rows += res.RowsAffected
			}
			return rows, nil
		}},
		l.once("doctor_teams", `INSERT INTO doctor_teams (id, clinic_id, name, created_at, updated_at)
			SELECT ? + seq + 1, ? + 1 + seq DIV 2, CONCAT('家庭医生团队', seq), ?, ? FROM `+fmt.Sprintf("seq_0_to_%d", 2*C-1),
			l.team, l.clinic, l.now, l.now),
		l.once("doctor_team_members", `INSERT INTO doctor_team_members (team_id, user_id, role, created_at)
			SELECT ? + seq DIV 3 + 1, ? + seq + 1, ELT(1 + seq MOD 3, 'lead', 'doctor', 'nurse'), ? FROM `+fmt.Sprintf("seq_0_to_%d", 6*C-1),
			l.team, l.staff, l.now),
		l.chunked("family_contracts", K, `INSERT INTO family_contracts (id, user_id, team_id, clinic_id, status, applied_by, applied_by_user_id,
				valid_from, valid_until, decided_at, decided_by, packages, responsible_doctor_id, created_at, updated_at)
			SELECT ? + h + 1, ? + 2 * h + 1, `+team+`, ? + 1 + h MOD ?, 'active', 'self', ? + 2 * h + 1,
			       DATE_FORMAT(f, '%%Y-%%m-%%d'), DATE_FORMAT(f + INTERVAL 1 YEAR - INTERVAL 1 DAY, '%%Y-%%m-%%d'), ?,
			       ? + 1 + ((h MOD ?) * 2 + (h DIV ?) MOD 2) * 3, '["basic_public_health"]',
			       ? + 1 + ((h MOD ?) * 2 + (h DIV ?) MOD 2) * 3, ?, ?
			FROM (SELECT seq AS h, DATE(?) - INTERVAL (seq * 7) MOD 365 DAY AS f FROM %s) x`,
			l.co, l.user, l.clinic, C, l.user, l.now, l.staff, C, C, l.staff, C, C, l.now, l.now, l.today),
		l.chunked("contract_members", K, `INSERT INTO contract_members (contract_id, member_id, active, applied_by)
			SELECT ? + c.seq + 1, ? + 2 * c.seq + m.seq + 1, 1, 'self' FROM %s c JOIN seq_0_to_1 m`, l.co, l.person),
		l.chunked("follow_up_visits (hypertension)", K, `INSERT INTO follow_up_visits (person_id, rule_code, due_date, team_id, contract_id, status, record, created_at, updated_at)
			SELECT ? + 2 * h + 2, 'hypertension', DATE_FORMAT(DATE(?) - INTERVAL 20 DAY + INTERVAL (`+jh+` MOD 40) + v.seq * 90 DAY, '%%Y-%%m-%%d'),
			       `+team+`, ? + h + 1, 'planned', '', ?, ?
			FROM (SELECT seq AS h FROM %s) x JOIN seq_0_to_1 v`, l.person, l.today, l.co, l.now, l.now),
		l.chunked("follow_up_visits (child_high_risk)", K, `INSERT INTO follow_up_visits (person_id, rule_code, due_date, team_id, contract_id, status, record, created_at, updated_at)
			SELECT ? + 2 * h + 1, 'child_high_risk', DATE_FORMAT(DATE(?) - INTERVAL 10 DAY + INTERVAL (`+jh+` MOD 30) + v.seq * 30 DAY, '%%Y-%%m-%%d'),
			       `+team+`, ? + h + 1, 'planned', '', ?, ?
			FROM (SELECT seq AS h FROM %s WHERE `+j+` MOD 10 = 0) x JOIN seq_0_to_1 v`, l.person, l.today, l.co, l.now, l.now),
		// Consultations: two of every five contracts; a quarter open.
		l.chunked("consultations", K, `INSERT INTO consultations (person_id, opened_by, team_id, clinic_id, contract_id, status, due_at,
				last_message_at, closed_at, created_at, updated_at, queue_rank)
			SELECT ? + 2 * h + 1 + `+jh+` MOD 2, ? + 2 * h + 1, `+team+`, ? + 1 + h MOD ?, ? + h + 1, st,
			       IF(st = 'open', lm + INTERVAL 24 HOUR, NULL), lm, IF(st = 'closed', lm, NULL), lm, lm,
			       CASE st WHEN 'open' THEN 0 WHEN 'answered' THEN 1 ELSE 2 END
			FROM (SELECT seq AS h, TIMESTAMP(?) - INTERVAL (`+j+` MOD 96) HOUR AS lm,
			             ELT(1 + (`+j+` DIV 5) MOD 4, 'open', 'answered', 'closed', 'closed') AS st FROM %s WHERE `+j+` MOD 5 < 2) x`,
			l.person, l.user, l.clinic, C, l.co, l.now),
		// Medicine orders: four of every five contracts, for the parent;
		// one in twenty waiting for the clinic.
		l.chunked("medicine_orders", K, `INSERT INTO medicine_orders (user_id, member_id, contract_id, clinic_id, status, address, contact_phone,
				handover_code, requested_via, delivered_at, created_at, updated_at)
			SELECT ? + 2 * h + 1, ? + 2 * h + 2, ? + h + 1, ? + 1 + h MOD ?, st, ?, ?, ?, 'app',
			       IF(st = 'delivered', cr + INTERVAL 2 DAY, NULL), cr, cr
			FROM (SELECT seq AS h, TIMESTAMP(?) - INTERVAL (`+j+` MOD 300) DAY AS cr,
			             CASE `+j+` MOD 40 WHEN 0 THEN 'requested' WHEN 1 THEN 'approved' ELSE 'delivered' END AS st
			      FROM %s WHERE `+j+` MOD 5 < 4) x`,
			l.user, l.person, l.co, l.clinic, C, address, phone, code, l.now),
		l.once("medicine_order_items", `INSERT INTO medicine_order_items (order_id, position, name, spec, quantity)
			SELECT o.id, 1, '苯磺酸氨氯地平片', '5mg*28片', 2 FROM medicine_orders o
			WHERE o.contract_id > ? AND NOT EXISTS (SELECT 1 FROM medicine_order_items i WHERE i.order_id = o.id)`, l.co),
		// First-days records of every child: HepB and BCG at birth, growth at
		// one and six months when those are past.
		l.chunked("vaccination_doses", H, `INSERT INTO vaccination_doses (person_id, vaccine, dose, given_at, clinic_id, booking_id, recorded_by, created_at)
			SELECT p.id, ELT(v.seq + 1, 'HepB', 'BCG'), 1, TIMESTAMP(p.birth_date) + INTERVAL 2 HOUR, ? + 1 + h MOD ?, 0,
			       ? + 1 + ((h MOD ?) * 2) * 3 + 2, ?
			FROM (SELECT seq AS h FROM %s) x JOIN persons p ON p.id = ? + 2 * x.h + 1 JOIN seq_0_to_1 v`,
			l.clinic, C, l.staff, C, l.now, l.person),
		l.chunked("growth_measurements", H, `INSERT INTO growth_measurements (person_id, measured_at, weight_kg, length_cm, head_cm, self_reported, clinic_id, recorded_by, created_at)
			SELECT p.id, TIMESTAMP(p.birth_date) + INTERVAL ELT(v.seq + 1, 1, 6) MONTH + INTERVAL 2 HOUR,
			       ELT(v.seq + 1, 4.5, 7.9), ELT(v.seq + 1, 54.7, 67.6), ELT(v.seq + 1, 37.3, 43.3), 0, ? + 1 + h MOD ?,
			       ? + 1 + ((h MOD ?) * 2) * 3 + 2, ?
			FROM (SELECT seq AS h FROM %s) x JOIN persons p ON p.id = ? + 2 * x.h + 1 JOIN seq_0_to_1 v
			WHERE TIMESTAMP(p.birth_date) + INTERVAL ELT(v.seq + 1, 1, 6) MONTH < ?`,
			l.clinic, C, l.staff, C, l.now, l.person, l.now),
		// Articles as bench/run.sh writes them (a fifth about 辅食), indexed
		// after the load by the guidance index job's function.
		l.chunked("articles", l.sz.Articles, `INSERT INTO articles (title, summary, body, body_text, category, stages, cover_url, author_id, clinic_id,
				status, published_at, view_count, index_version, created_at, updated_at)
			SELECT CONCAT(ELT(1 + seq MOD 4, '中医调理', '膳食营养', '科学育儿', '老年照护'), '指导第', seq, '篇'), '家庭健康小贴士',
			       CONCAT('<p>第', seq, '篇。', IF(seq MOD 5 = 0, '宝宝6个月后开始添加辅食，由稀到稠。', '规律作息，均衡饮食，按时体检。'), '</p>'), '',
			       ELT(1 + seq MOD 4, 'tcm', 'nutrition', 'parenting', 'elderly'),
			       ELT(1 + seq MOD 4, '["toddler_1_3y"]', '["infant_6_12m"]', '["infant_0_6m"]', '["elderly"]'),
			       '', 0, 0, 'published', TIMESTAMP(?) - INTERVAL seq MINUTE, 0, 0, ?, ? FROM %s`, l.now, l.now, l.now),
		l.chunked("posts", l.sz.Posts, `INSERT INTO posts (circle_id, user_id, content, image_urls, status, created_at, updated_at)
			SELECT c.id, ? + 1 + (x.seq * 7) MOD ?, CONCAT('宝宝今天', x.seq MOD 36, '个月了，分享一下辅食和睡眠的经验。'), '[]', 'published',
			       TIMESTAMP(?) - INTERVAL x.seq MINUTE, TIMESTAMP(?) - INTERVAL x.seq MINUTE
			FROM %s x JOIN (SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS n, COUNT(*) OVER () AS total FROM circles) c
			  ON c.n = x.seq MOD c.total`, l.user, U, l.now, l.now),
		l.once("circle post counts", `UPDATE circles SET post_count = (SELECT COUNT(*) FROM posts p WHERE p.circle_id = circles.id AND p.status = 'published')`),
	}
}
