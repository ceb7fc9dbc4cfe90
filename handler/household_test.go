package handler_test

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"familycare/config"
	"familycare/model"
	"familycare/testkit"
)

// hhPerson adds a person to household hh as u and returns the answer.
func hhPerson(h *testkit.Harness, u testkit.User, hh int64, body map[string]any) *testkit.Response {
	return h.Do("POST", fmt.Sprintf("/api/v1/households/%d/persons", hh), body, testkit.Token(u.Token))
}

// hhLink makes `other` (a guardian of its own household) a guardian of
// person: the add with the same document is refused with person_exists, the
// link request is made, and owner approves it.
func hhLink(t *testing.T, h *testkit.Harness, owner, other testkit.User, person int64, relation, idNumber string) {
	t.Helper()
	otherHH := firstHouseholdOrNew(t, h, other)
	res := hhPerson(h, other, otherHH, map[string]any{"name": "同一个人", "relation": relation, "id_type": "resident_id", "id_number": idNumber}).
		ExpectError(409, "person_exists")
	details := res.Map()["error"].(map[string]any)["details"].(map[string]any)
	if int64(details["person_id"].(float64)) != person || strings.Contains(string(res.Body), "豆豆") {
		t.Fatalf("person_exists must name the person by id only: %s", res.Body)
	}
	lr := h.Do("POST", fmt.Sprintf("/api/v1/persons/%d/link-requests", person), map[string]any{"household_id": otherHH,
		"relation": relation, "id_type": "resident_id", "id_number": idNumber}, testkit.Token(other.Token)).Expect(201).Map()
	h.Do("POST", "/api/v1/link-requests/"+id(lr)+"/approve", nil, testkit.Token(owner.Token)).Expect(200)
}

func firstHouseholdOrNew(t *testing.T, h *testkit.Harness, u testkit.User) int64 {
	t.Helper()
	var out struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	h.Do("GET", "/api/v1/households", nil, testkit.Token(u.Token)).Expect(200).JSON(&out)
	if len(out.Items) > 0 {
		return out.Items[0].ID
	}
	return ctID(h.Do("POST", "/api/v1/households", map[string]any{"name": "我家"}, testkit.Token(u.Token)).Expect(201).Map())
}

// Story 1: a grandmother and a mother each add the same child and book him
// into the same 推拿 class: one record, one seat, the second booking 409
// already_booked, and the nurse's queue shows him once.
func TestHousehold_GrandmotherAndMotherBookOneChild(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	grandma := h.Login("grandma")
	num := setResidentID(t, h, w.parent, w.child)
	hhLink(t, h, w.parent, grandma, w.child, "grandchild", num)

	h.Do("PUT", "/api/v1/me", map[string]any{"real_name": "王奶奶"}, testkit.Token(grandma.Token)).Expect(200)
	s := w.session(5, 48*time.Hour)
	mineNow := w.book(grandma, s, w.child, false).Expect(201).Map()
	if m := mineNow["member"].(map[string]any); m["guardian_name"] != nil || m["age"] == nil {
		t.Fatalf("a resident's answer names no guardian and gives the age: %v", m)
	}
	w.book(w.parent, s, w.child, false).ExpectError(409, "already_booked")
	var queue struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", fmt.Sprintf("/api/v1/staff/bookings?session_id=%d", s), nil, testkit.Token(w.staff.Token)).Expect(200).JSON(&queue)
	if len(queue.Items) != 1 {
		t.Fatalf("the queue shows %d bookings, want the child once", len(queue.Items))
	}
	if m := queue.Items[0]["member"].(map[string]any); m["guardian_name"] != "王奶奶" || m["age"].(map[string]any)["text"] != "36月龄" && m["age"].(map[string]any)["text"] != "3岁" {
		t.Fatalf("the nurse's row: %v", m)
	}
	// Both guardians see the booking; the grandmother says "grandchild".
	var mine struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", "/api/v1/bookings", nil, testkit.Token(w.parent.Token)).Expect(200).JSON(&mine)
	if len(mine.Items) != 1 {
		t.Fatalf("the mother sees %d bookings, want the grandmother's one", len(mine.Items))
	}
	p := h.Do("GET", fmt.Sprintf("/api/v1/persons/%d", w.child), nil, testkit.Token(grandma.Token)).Expect(200).Map()
	if p["relation"] != "grandchild" || p["id_number_masked"] != num[:4]+"**********"+num[14:] || strings.Contains(fmt.Sprint(p), num) {
		t.Fatalf("the grandmother's view: %v", p)
	}
	var stored model.Person
	h.DB.First(&stored, w.child)
	if strings.Contains(stored.IDNumber, num) || stored.IDHash == nil || strings.Contains(*stored.IDHash, num) {
		t.Fatal("the identity number is stored in clear")
	}
}

// Concurrency: two guardians of one household book the same child at once:
// exactly one seat is taken.
func TestHousehold_TwoGuardiansBookAtOnce(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	grandma := h.Login("grandma")
	hhLink(t, h, w.parent, grandma, w.child, "grandchild", setResidentID(t, h, w.parent, w.child))
	for round := 0; round < 5; round++ {
		s := w.session(5, time.Duration(48+24*round)*time.Hour)
		var ok, dup atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, u := range []testkit.User{w.parent, grandma, w.parent, grandma} {
			wg.Add(1)
			go func(u testkit.User) {
				defer wg.Done()
				<-start
				res := w.book(u, s, w.child, false)
				switch {
				case res.Status == 201:
					ok.Add(1)
				case res.Status == 409 && res.ErrorCode() == "already_booked":
					dup.Add(1)
				default:
					t.Errorf("booking: %d %s", res.Status, res.Body)
				}
			}(u)
		}
		close(start)
		wg.Wait()
		var sess model.Session
		h.DB.First(&sess, s)
		if ok.Load() != 1 || dup.Load() != 3 || sess.Booked != 1 {
			t.Fatalf("round %d: %d booked, %d already_booked, %d seats taken; want 1, 3, 1", round, ok.Load(), dup.Load(), sess.Booked)
		}
	}
}

// Concurrency: two households add the same identity number at once: one
// person is made; the other is told person_exists.
func TestHousehold_TwoHouseholdsAddOneNumberAtOnce(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	num := residentID("1948-01-02", true, 7)
	for round := 0; round < 4; round++ {
		num = residentID("1948-01-02", true, 10+round)
		son, daughter := h.Login(fmt.Sprintf("son%d", round)), h.Login(fmt.Sprintf("daughter%d", round))
		hs := []int64{firstHouseholdOrNew(t, h, son), firstHouseholdOrNew(t, h, daughter)}
		var made, exists atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, u := range []testkit.User{son, daughter} {
			wg.Add(1)
			go func(u testkit.User, hh int64) {
				defer wg.Done()
				<-start
				res := hhPerson(h, u, hh, map[string]any{"name": "老张", "relation": "parent", "id_type": "resident_id", "id_number": num})
				switch {
				case res.Status == 201:
					made.Add(1)
				case res.Status == 409 && res.ErrorCode() == "person_exists":
					exists.Add(1)
				default:
					t.Errorf("add: %d %s", res.Status, res.Body)
				}
			}(u, hs[i])
		}
		close(start)
		wg.Wait()
		var n int64
		h.DB.Model(&model.Person{}).Where("name = ?", "老张").Count(&n)
		if made.Load() != 1 || exists.Load() != 1 || n != int64(round+1) {
			t.Fatalf("round %d: %d made, %d exists, %d persons named 老张", round, made.Load(), exists.Load(), n)
		}
	}
}

// Story 2: a son and a daughter each add their 78-year-old father: one
// person; a second contract for him is impossible across households, and
// the coverage statistics count him once. Story 3: the father, on his own
// phone, sees his contract, his medicine order and its hand-over code, and
// nothing else of the family.
func TestHousehold_OneFatherTwoChildrenAndHisOwnPhone(t *testing.T) {
	h := ctNew(t)
	h.Seed()
	staff := h.Staff("staff-3", ctClinic3)
	son, daughter, father := h.Login("son"), h.Login("daughter"), h.Login("father")
	sonHH := firstHouseholdOrNew(t, h, son)
	birth := ctBirth(78, 30)
	num := residentID(birth, true, 21)
	dad := ctID(hhPerson(h, son, sonHH, map[string]any{"name": "张大爷", "relation": "parent", "gender": "male", "birth_date": birth,
		"id_type": "resident_id", "id_number": num, "chronic_conditions": []string{"高血压"}}).Expect(201).Map())
	grandson := ctID(hhPerson(h, son, sonHH, map[string]any{"name": "小张", "relation": "child", "birth_date": ctBirth(4, 0)}).Expect(201).Map())
	hhLink(t, h, son, daughter, dad, "parent", num)

	ctContract(h, son, staff, ctTeam3, dad)
	res := h.Do("POST", "/api/v1/family-contracts", map[string]any{"team_id": ctTeam3, "member_ids": []int64{dad}}, testkit.Token(daughter.Token))
	res.ExpectError(409, "member_already_contracted")
	if n := ctCount(h, &model.ContractMember{}, "member_id = ?", dad); n != 1 {
		t.Fatalf("%d contract rows for the father, want 1", n)
	}
	var st struct {
		CoveredMembers int64 `json:"covered_members"`
	}
	h.Do("GET", "/api/v1/staff/stats/family-doctor", nil, testkit.Token(staff.Token)).Expect(200).JSON(&st)
	if st.CoveredMembers != 1 {
		t.Fatalf("covered %d, want the father once", st.CoveredMembers)
	}

	// The daughter orders his medicines; the father joins on his own phone.
	order := h.Do("POST", "/api/v1/medicine-orders", mdBody(dad), testkit.Token(daughter.Token)).Expect(201).Map()
	inv := h.Do("POST", fmt.Sprintf("/api/v1/households/%d/invitations", sonHH), map[string]any{"role": "self_only", "person_id": dad},
		testkit.Token(son.Token)).Expect(201).Map()
	h.Do("POST", "/api/v1/households/join", map[string]any{"code": inv["code"]}, testkit.Token(father.Token)).Expect(200)
	h.Do("POST", "/api/v1/households/join", map[string]any{"code": inv["code"]}, testkit.Token(daughter.Token)).ExpectError(404, "invitation_invalid")
	me := h.Do("GET", "/api/v1/me/person", nil, testkit.Token(father.Token)).Expect(200).Map()
	if int64(me["id"].(float64)) != dad {
		t.Fatalf("the father's person: %v", me)
	}
	var contracts, orders struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", "/api/v1/family-contracts", nil, testkit.Token(father.Token)).Expect(200).JSON(&contracts)
	h.Do("GET", "/api/v1/medicine-orders", nil, testkit.Token(father.Token)).Expect(200).JSON(&orders)
	if len(contracts.Items) != 1 || len(orders.Items) != 1 {
		t.Fatalf("the father sees %d contracts and %d orders, want 1 and 1", len(contracts.Items), len(orders.Items))
	}
	got := h.Do("GET", "/api/v1/medicine-orders/"+id(order), nil, testkit.Token(father.Token)).Expect(200).Map()
	if got["handover_code"] == nil || got["handover_code"] != order["handover_code"] {
		t.Fatalf("the father must see the hand-over code: %v", got)
	}
	// Self-only: his grandson's records are not his to see.
	h.Do("GET", fmt.Sprintf("/api/v1/persons/%d", grandson), nil, testkit.Token(father.Token)).ExpectError(404, "not_found")
	hh := h.Do("GET", fmt.Sprintf("/api/v1/households/%d", sonHH), nil, testkit.Token(father.Token)).Expect(200).Map()
	if ps := hh["persons"].([]any); len(ps) != 1 {
		t.Fatalf("a self_only account sees %d persons, want itself", len(ps))
	}
	h.Do("POST", fmt.Sprintf("/api/v1/households/%d/persons", sonHH), map[string]any{"name": "x", "relation": "other"},
		testkit.Token(father.Token)).ExpectError(403, "not_guardian")
}

// Story 5: a three-no-shows suspension is not shed by another guardian of
// the family removing and re-adding the child without a document.
func TestHousehold_SuspensionNotShedByAnotherGuardian(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	grandma := h.Login("grandma")
	hh := firstHousehold(t, h, w.parent)
	inv := h.Do("POST", fmt.Sprintf("/api/v1/households/%d/invitations", hh), map[string]any{"role": "guardian"}, testkit.Token(w.parent.Token)).Expect(201).Map()
	h.Do("POST", "/api/v1/households/join", map[string]any{"code": inv["code"]}, testkit.Token(grandma.Token)).Expect(200)
	child := map[string]any{"name": "豆豆", "relation": "grandchild", "birth_date": h.DateAgo(2, 0, 0)}
	m := ctID(hhPerson(h, w.parent, hh, child).Expect(201).Map())
	for i := 0; i < 3; i++ {
		s := w.session(5, 3*time.Hour)
		b := w.book(w.parent, s, m, false).Expect(201).Map()
		h.Do("POST", "/api/v1/staff/bookings/"+id(b)+"/confirm", nil, testkit.Token(w.staff.Token)).Expect(200)
		h.Clock.Advance(5 * time.Hour)
		h.Do("POST", "/api/v1/staff/bookings/"+id(b)+"/no-show", nil, testkit.Token(w.staff.Token)).Expect(200)
		if i == 1 {
			h.Do("DELETE", fmt.Sprintf("/api/v1/persons/%d", m), nil, testkit.Token(w.parent.Token)).Expect(204)
			m = ctID(hhPerson(h, grandma, hh, child).Expect(201).Map())
		}
	}
	w.book(grandma, w.session(5, 48*time.Hour), m, false).ExpectError(409, "booking_suspended")
}

// Identity rules: a resident ID's check digit, birth date and sex must
// agree; ages are said the clinic's way.
func TestHousehold_IdentityAndAge(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	u := h.Login("mum")
	hh := firstHouseholdOrNew(t, h, u)
	good := residentID("2024-03-05", false, 3)
	bad := good[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", good[17])+1)%11])
	hhPerson(h, u, hh, map[string]any{"name": "a", "relation": "child", "id_type": "resident_id", "id_number": bad}).ExpectError(422, "invalid_id_number")
	hhPerson(h, u, hh, map[string]any{"name": "a", "relation": "child", "gender": "male", "id_type": "resident_id", "id_number": good}).ExpectError(422, "invalid_id_number")
	hhPerson(h, u, hh, map[string]any{"name": "a", "relation": "child", "birth_date": "2024-03-06", "id_type": "resident_id", "id_number": good}).ExpectError(422, "invalid_id_number")
	p := hhPerson(h, u, hh, map[string]any{"name": "囡囡", "relation": "child", "id_type": "resident_id", "id_number": strings.ToLower(good)}).Expect(201).Map()
	if p["birth_date"] != "2024-03-05" || p["gender"] != "female" || p["verified"] != false {
		t.Fatalf("the number gives birth date and sex, and is not verified by itself: %v", p)
	}
	for _, c := range []struct {
		birth, want string
	}{
		{h.DateAgo(0, 0, 12), "12天"}, {h.DateAgo(0, 7, 3), "7月龄"}, {h.DateAgo(4, 3, 0), "4岁3个月"}, {h.DateAgo(78, 0, 2), "78岁"},
	} {
		got := hhPerson(h, u, hh, map[string]any{"name": "x" + c.want, "relation": "other", "birth_date": c.birth}).Expect(201).Map()
		if got["age"].(map[string]any)["text"] != c.want {
			t.Errorf("born %s: age %v, want %s", c.birth, got["age"], c.want)
		}
	}
	due := h.Clock.Now().In(ctLoc).AddDate(0, 0, 280-(23*7+4)).Format("2006-01-02")
	got := hhPerson(h, u, hh, map[string]any{"name": "孕妈", "relation": "self", "gender": "female", "due_date": due}).Expect(201).Map()
	if got["gestation"].(map[string]any)["text"] != "孕23+4周" {
		t.Fatalf("gestation %v", got["gestation"])
	}
}

// Story 4 and the stage rule: a grandmother says "grandchild", and a
// 64-year-old grandmother who added herself is not suggested 备孕圈.
func TestHousehold_GrandmotherNotSuggestedPreconception(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	u := h.Login("nainai")
	h.Member(u, map[string]any{"name": "奶奶", "relation": "self", "gender": "female", "birth_date": h.DateAgo(64, 0, 0)})
	h.Member(u, map[string]any{"name": "孙子", "relation": "grandchild", "birth_date": h.DateAgo(5, 0, 0)})
	var cs struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", "/api/v1/circles", nil, testkit.Token(u.Token)).Expect(200).JSON(&cs)
	for _, c := range cs.Items {
		if c["slug"] == "beiyun" && c["suggested"] == true {
			t.Fatal("备孕圈 suggested to a 64-year-old grandmother")
		}
	}
}

// Staff find persons within their reach only, and see the guardian's
// masked phone.
func TestHousehold_StaffLookupWithinReach(t *testing.T) {
	w := newBookingWorld(t)
	h := w.h
	num := setResidentID(t, h, w.parent, w.child)
	q := "/api/v1/staff/persons?id_number=" + num
	var none, found struct {
		Items []map[string]any `json:"items"`
	}
	h.Do("GET", q, nil, testkit.Token(w.staff.Token)).Expect(200).JSON(&none)
	if len(none.Items) != 0 {
		t.Fatal("a person with no booking at the clinic is out of its reach")
	}
	w.book(w.parent, w.session(5, 48*time.Hour), w.child, false).Expect(201)
	h.Do("GET", q, nil, testkit.Token(w.staff.Token)).Expect(200).JSON(&found)
	h.Do("GET", q, nil, testkit.Token(w.staffB.Token)).Expect(200).JSON(&none)
	if len(found.Items) != 1 || len(none.Items) != 0 || found.Items[0]["age"] == nil {
		t.Fatalf("clinic A finds %d, clinic B %d", len(found.Items), len(none.Items))
	}
}

// The birth record on the person flags a child 早产 and 低出生体重 (高危儿)
// before any measurement.
func TestHousehold_BirthRecordFlagsHighRisk(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	u := h.Login("mum")
	hh := firstHouseholdOrNew(t, h, u)
	baby := ctID(hhPerson(h, u, hh, map[string]any{"name": "早早", "relation": "child", "gender": "male",
		"birth_date": h.DateAgo(0, 1, 0), "birth_weeks": 34, "birth_weight_g": 2300}).Expect(201).Map())
	var g struct {
		HighRisk bool `json:"high_risk"`
		Flags    []struct {
			Code string `json:"code"`
		} `json:"flags"`
	}
	h.Do("GET", fmt.Sprintf("/api/v1/persons/%d/growth", baby), nil, testkit.Token(u.Token)).Expect(200).JSON(&g)
	if !g.HighRisk || len(g.Flags) != 2 || g.Flags[0].Code != "preterm" || g.Flags[1].Code != "low_birth_weight" {
		t.Fatalf("growth flags %+v", g)
	}
	hhPerson(h, u, hh, map[string]any{"name": "x", "relation": "child", "birth_weeks": 60}).ExpectError(422, "invalid_request")
	p := h.Do("PUT", fmt.Sprintf("/api/v1/persons/%d", baby), map[string]any{"birth_weeks": 39, "birth_weight_g": 0}, testkit.Token(u.Token)).Expect(200).Map()
	if p["birth_weeks"] != float64(39) || p["birth_weight_g"] != nil {
		t.Fatalf("birth record after update: %v", p)
	}
}

// With REAL_NAME_FOR_CARE (on in prod) a contract is signed only for
// persons whose document staff checked: the family applies in the app,
// staff verify at the counter (the application puts the family within the
// clinic's reach), then approve.
func TestHousehold_RealNameForContracts(t *testing.T) {
	h := testkit.New(t, testkit.WithConfig(func(c *config.Config) { c.RealNameForCare = true }))
	h.Seed()
	staff := h.Staff("staff-3", ctClinic3)
	u := h.Login("son")
	hh := firstHouseholdOrNew(t, h, u)
	birth := ctBirth(76, 10)
	dad := ctID(hhPerson(h, u, hh, map[string]any{"name": "王大爷", "relation": "parent", "gender": "male", "birth_date": birth}).Expect(201).Map())
	c := ctApply(h, u, ctTeam3, dad)
	h.Do("POST", ctPath("/api/v1/staff/family-contracts/%d/approve", ctID(c)), nil, testkit.Token(staff.Token)).ExpectError(422, "person_not_verified")
	h.Do("POST", fmt.Sprintf("/api/v1/staff/persons/%d/verify", dad), map[string]any{"id_type": "resident_id", "id_number": residentID(birth, true, 5)},
		testkit.Token(staff.Token)).Expect(200)
	h.Do("POST", ctPath("/api/v1/staff/family-contracts/%d/approve", ctID(c)), nil, testkit.Token(staff.Token)).Expect(200)
}

// Consent (PIPL): the contract and the delivery a son orders for his
// father are recorded as a relative's consent, and the export lists them.
func TestHousehold_ConsentsRecordedAndExported(t *testing.T) {
	h := ctNew(t)
	h.Seed()
	staff := h.Staff("staff-3", ctClinic3)
	son := h.Login("son")
	dad := ctElder(h, son, "李大爷", 79)
	ctContract(h, son, staff, ctTeam3, dad)
	h.Do("POST", "/api/v1/medicine-orders", mdBody(dad), testkit.Token(son.Token)).Expect(201)
	var out struct {
		Consents []struct {
			PersonID int64  `json:"person_id"`
			Purpose  string `json:"purpose"`
			Method   string `json:"method"`
		} `json:"consents"`
	}
	h.Do("GET", "/api/v1/me/export", nil, testkit.Token(son.Token)).Expect(200).JSON(&out)
	got := map[string]string{}
	for _, c := range out.Consents {
		if c.PersonID == dad {
			got[c.Purpose] = c.Method
		}
	}
	if got["personal_data"] != "guardian" || got["family_contract"] != "guardian" || got["medicine_delivery"] != "guardian" {
		t.Fatalf("consents for the father: %v", out.Consents)
	}
}
