package handler_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"familycare/handler"
	"familycare/model"
	"familycare/service"
	"familycare/testkit"
)

// lcConflict asserts the one 409 invalid_transition shape.
func lcConflict(t *testing.T, r *testkit.Response, from, to, status string) {
	t.Helper()
	r.ExpectError(409, "invalid_transition")
	d, _ := r.Map()["error"].(map[string]any)["details"].(map[string]any)
	if d["from"] != from || d["to"] != to || d["status"] != status || len(d) != 3 {
		t.Fatalf("details %v, want {from:%s to:%s status:%s}", d, from, to, status)
	}
}

// lcHistory is the to-statuses and reasons of an order's history.
func lcHistory(h *testkit.Harness, u testkit.User, path string) []string {
	h.T.Helper()
	var v struct {
		History []struct {
			From   string `json:"from_status"`
			Status string `json:"status"`
			Reason string `json:"reason"`
		} `json:"history"`
	}
	h.Do("GET", path, nil, testkit.Token(u.Token)).Expect(200).JSON(&v)
	var out []string
	for _, e := range v.History {
		out = append(out, e.From+">"+e.Status+":"+e.Reason)
	}
	return out
}

// TestLifecycle_OneConflictShape: a forbidden move answers 409
// invalid_transition with {from, to, status} in every machine, the moves
// that keep a status included.
func TestLifecycle_OneConflictShape(t *testing.T) {
	h := ctNew(t)
	staff, u, member := mdSetup(h)
	tok := testkit.Token(u.Token)
	order := mdOrder(h, u, member)
	mdDispatch(h, staff, order)
	lcConflict(t, h.Do("POST", ctPath("/api/v1/medicine-orders/%d/cancel", order), map[string]any{}, tok),
		model.MedicineDispatched, model.MedicineCancelled, model.MedicineDispatched)
	lcConflict(t, h.Do("POST", ctPath("/api/v1/medicine-orders/%d/reorder", order), nil, tok),
		model.MedicineDispatched, model.MedicineDelivered, model.MedicineDispatched)
	lcConflict(t, h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/approve", order), nil, testkit.Token(staff.Token)),
		model.MedicineDispatched, model.MedicineApproved, model.MedicineDispatched)

	var contracts struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	h.Do("GET", "/api/v1/family-contracts", nil, tok).Expect(200).JSON(&contracts)
	lcConflict(t, h.Do("POST", ctPath("/api/v1/staff/family-contracts/%d/approve", contracts.Items[0].ID), nil, testkit.Token(staff.Token)),
		model.ContractActive, model.ContractActive, model.ContractActive)
	h.Do("POST", ctPath("/api/v1/family-contracts/%d/terminate", contracts.Items[0].ID), map[string]any{"reason": "搬家"}, tok).Expect(200)
	lcConflict(t, h.Do("POST", ctPath("/api/v1/family-contracts/%d/renew", contracts.Items[0].ID), nil, tok),
		model.ContractTerminated, model.ContractTerminated, model.ContractTerminated)
}

// TestLifecycle_SameStatusMovesAreRecorded: a wrong hand-over code, a
// hand-over reset and a reorder change no status but leave a history row.
func TestLifecycle_SameStatusMovesAreRecorded(t *testing.T) {
	h := ctNew(t)
	staff, u, member := mdSetup(h)
	order := mdOrder(h, u, member)
	mdDispatch(h, staff, order)
	deliver := ctPath("/api/v1/staff/medicine-orders/%d/deliver", order)
	h.Do("POST", deliver, map[string]any{"handover_code": mdWrongCode(mdCode(h, u, order))}, testkit.Token(staff.Token)).
		ExpectError(422, "handover_code_mismatch")
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/reset-handover", order), nil, testkit.Token(staff.Token)).Expect(200)
	h.Clock.Advance(time.Hour)
	h.Do("POST", deliver, map[string]any{"handover_code": mdCode(h, u, order)}, testkit.Token(staff.Token)).Expect(200)
	again := ctID(h.Do("POST", ctPath("/api/v1/medicine-orders/%d/reorder", order), nil, testkit.Token(u.Token)).Expect(201).Map())
	got := strings.Join(lcHistory(h, u, ctPath("/api/v1/medicine-orders/%d", order)), " | ")
	want := ">requested: | requested>approved: | approved>dispatched: | dispatched>dispatched:wrong hand-over code | " +
		"dispatched>dispatched:hand-over code reset | dispatched>delivered: | delivered>delivered:reordered as #" + itoa(again)
	if got != want {
		t.Fatalf("history\n got %s\nwant %s", got, want)
	}
}

// TestLifecycle_AuthorTextChangesLeaveHistory: a post and a comment the
// author writes and deletes have their history rows, as staff moves do.
func TestLifecycle_AuthorTextChangesLeaveHistory(t *testing.T) {
	h := testkit.New(t)
	h.Seed()
	circle := circleIDs(t, h)["beiyun"]
	author := circleMember(t, h, "lc-author", circle)
	post := circleIDOf(circlePost(t, h, author, circle, "今天产检一切正常"))
	comment := circleIDOf(h.Do("POST", "/api/v1/posts/"+post+"/comments", map[string]any{"content": "恭喜"},
		testkit.Token(author.Token)).Expect(201).Map())
	h.Do("DELETE", "/api/v1/posts/"+post, nil, testkit.Token(author.Token)).Expect(204)
	for target, id := range map[string]string{"post": post, "comment": comment} {
		var evs []model.TextEvent
		if err := h.DB.Where("target_type = ? AND target_id = ?", target, id).Order("id").Find(&evs).Error; err != nil {
			t.Fatal(err)
		}
		var steps []string
		for _, e := range evs {
			if e.ByUserID != author.ID || e.ByRole != model.RoleResident {
				t.Errorf("%s event by %d/%s, want the author", target, e.ByUserID, e.ByRole)
			}
			steps = append(steps, e.FromStatus+">"+e.ToStatus)
		}
		want := ">published"
		if target == "post" {
			want += " published>deleted"
		}
		if got := strings.Join(steps, " "); got != want {
			t.Errorf("%s history %q, want %q", target, got, want)
		}
	}
}

// TestLifecycle_LostRaceReadsTheLatestStatus: a move from a status the row
// no longer has changes nothing and names the status the row has now.
func TestLifecycle_LostRaceReadsTheLatestStatus(t *testing.T) {
	h := ctNew(t)
	staff, u, member := mdSetup(h)
	order := mdOrder(h, u, member)
	h.Do("POST", ctPath("/api/v1/staff/medicine-orders/%d/approve", order), nil, testkit.Token(staff.Token)).Expect(200)
	var m *service.Machine
	for _, x := range service.Machines() {
		if x.Table == "medicine_orders" {
			m = x
		}
	}
	staffActor := service.Actor{UserID: staff.ID, Role: model.RoleStaff, Side: service.SideStaff}
	err := m.Apply(h.DB, h.Clock.Now(), service.Step{ID: order, From: model.MedicineRequested, To: model.MedicineRejected, By: staffActor})
	se, ok := err.(*service.Error)
	if !ok || se.Code != "invalid_transition" || se.Details["status"] != model.MedicineApproved || se.Details["from"] != model.MedicineRequested {
		t.Fatalf("stale move: %v", err)
	}
	if n := ctCount(h, &model.MedicineOrderEvent{}, "order_id = ?", order); n != 2 {
		t.Fatalf("a lost race wrote history: %d rows", n)
	}
}

// TestLimits_BindingTagsMatchTheService: the binding limits of request
// bodies are the service's constants (one owner per limit).
func TestLimits_BindingTagsMatchTheService(t *testing.T) {
	for _, c := range []struct {
		typ   any
		field string
		want  int
	}{
		{handler.MedicineOrderRequest{}, "Items", service.MedicineMaxItems},
		{handler.MedicineItemRequest{}, "Quantity", service.MedicineMaxQuantity},
		{handler.ContractApplyRequest{}, "MemberIDs", service.ContractMaxMembers},
	} {
		f, _ := reflect.TypeOf(c.typ).FieldByName(c.field)
		if tag := f.Tag.Get("binding"); !strings.Contains(tag, ",max="+itoa(int64(c.want))+",") &&
			!strings.HasSuffix(tag, ",max="+itoa(int64(c.want))) {
			t.Errorf("%T.%s binding %q, want max=%d", c.typ, c.field, tag, c.want)
		}
	}
}
