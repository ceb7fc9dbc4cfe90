package handler_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"familycare/model"
	"familycare/testkit"
)

// spCodes are the codes of a list of service packages, in order.
func spCodes(h *testkit.Harness, path string, who testkit.Req) string {
	h.T.Helper()
	var list struct {
		Items []struct {
			Code  string `json:"code"`
			Basic bool   `json:"basic"`
		} `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	h.Do("GET", path, nil, who).Expect(200).JSON(&list)
	var codes []string
	for _, it := range list.Items {
		c := it.Code
		if it.Basic {
			c += "*"
		}
		codes = append(codes, c)
	}
	return strings.Join(codes, ",") + "|" + list.NextCursor
}

// ServicePackageDTOView is what the tests read of a package in a list.
type ServicePackageDTOView struct {
	Code   string `json:"code"`
	Active bool   `json:"active"`
}

// fieldReason is the reason details.fields gives for field.
func fieldReason(r *testkit.Response, field string) string {
	fields, _ := ctErrDetails(r)["fields"].(map[string]any)
	s, _ := fields[field].(string)
	return s
}

// TestServicePackages_ManagersDefineAndRetire: a clinic's manager adds
// packages for their clinic (code unique per clinic, 409 otherwise), other
// staff and residents may not, another clinic's package is 404, the basic
// package is 403 for everyone; retiring one takes it off the signing page,
// and every change is audited.
func TestServicePackages_ManagersDefineAndRetire(t *testing.T) {
	h := ctNew(t)
	h.Seed()
	m3, m4 := h.Manager("sp-m3", ctClinic3), h.Manager("sp-m4", ctClinic4)
	nurse3, admin, resident := h.Staff("sp-nurse3", ctClinic3), h.Admin("sp-admin"), h.Login("sp-resident")
	M3, M4, A, R := testkit.Token(m3.Token), testkit.Token(m4.Token), testkit.Token(admin.Token), testkit.Token(resident.Token)
	const path = "/api/v1/staff/service-packages"
	pkg := func(code, name string) map[string]any {
		return map[string]any{"code": code, "name": name, "description": "每年一次体检"}
	}

	elderly := h.Do("POST", path, pkg("elderly_care", "老年人健康管理包"), M3).Expect(201).Map()
	if elderly["clinic_id"] != float64(ctClinic3) || elderly["active"] != true || elderly["basic"] != false || elderly["code"] != "elderly_care" {
		t.Fatalf("created: %v", elderly)
	}
	chronic := h.Do("POST", path, pkg("chronic_care", "慢病管理包"), M3).Expect(201).Map()
	// Unique per clinic: the same code again, or the basic package's, is
	// 409; another clinic may use the code.
	h.Do("POST", path, pkg("elderly_care", "又一个"), M3).ExpectError(409, "package_code_taken")
	h.Do("POST", path, pkg(model.PackageBasic, "基本包"), M3).ExpectError(409, "package_code_taken")
	h.Do("POST", path, pkg("elderly_care", "河口镇老年包"), M4).Expect(201)
	// Who: other staff 403 manager_required, residents 403; a clinic out of
	// the manager's reach is 422 on clinic_id; admins name the clinic.
	h.Do("POST", path, pkg("child_care", "儿童包"), testkit.Token(nurse3.Token)).ExpectError(403, "manager_required")
	h.Do("POST", path, pkg("child_care", "儿童包"), R).ExpectError(403, "forbidden")
	cross := pkg("child_care", "儿童包")
	cross["clinic_id"] = ctClinic4
	if r := h.Do("POST", path, cross, M3).ExpectError(422, "invalid_request"); fieldReason(r, "clinic_id") == "" {
		t.Fatalf("cross-clinic create: %s", r.Body)
	}
	h.Do("POST", path, pkg("child_care", "儿童包"), A).ExpectError(422, "invalid_request")
	h.Do("POST", path, cross, A).Expect(201)
	// Bad input: 422 with Chinese reasons, nothing stored.
	r := h.Do("POST", path, map[string]any{"code": "Bad Code", "name": "  "}, M3).ExpectError(422, "invalid_request")
	if !strings.Contains(fieldReason(r, "code"), "小写字母") || fieldReason(r, "name") == "" {
		t.Fatalf("bad input reasons: %s", r.Body)
	}
	if n := ctCount(h, &model.ServicePackage{}, "clinic_id <> 0"); n != 4 {
		t.Fatalf("packages stored: %d, want 4", n)
	}

	// Edits: another clinic's package is 404, the basic package 403.
	put := func(id int64, body map[string]any, who testkit.Req) *testkit.Response {
		return h.Do("PUT", ctPath(path+"/%d", id), body, who)
	}
	retire := map[string]any{"name": "老年人健康管理包", "active": false}
	put(ctID(elderly), retire, M4).ExpectError(404, "not_found")
	put(ctID(elderly), retire, testkit.Token(nurse3.Token)).ExpectError(403, "manager_required")
	put(999999, retire, M3).ExpectError(404, "not_found")
	var basic model.ServicePackage
	if err := h.DB.Where("clinic_id = 0 AND code = ?", model.PackageBasic).First(&basic).Error; err != nil {
		t.Fatal(err)
	}
	put(basic.ID, retire, M3).ExpectError(403, "forbidden")
	put(basic.ID, retire, A).ExpectError(403, "forbidden")
	put(ctID(elderly), map[string]any{"name": ""}, M3).ExpectError(422, "invalid_request")

	// The signing page before and after retiring elderly_care.
	if got := spCodes(h, "/api/v1/service-packages?clinic_id=3", R); got != "basic_public_health*,elderly_care,chronic_care|" {
		t.Fatalf("clinic 3 packages: %s", got)
	}
	if got := spCodes(h, "/api/v1/service-packages?clinic_id=3&limit=2", R); !strings.HasPrefix(got, "basic_public_health*,elderly_care|") || strings.HasSuffix(got, "|") {
		t.Fatalf("first page of 2: %s", got)
	}
	retired := put(ctID(elderly), retire, M3).Expect(200).Map()
	if retired["active"] != false || retired["code"] != "elderly_care" || retired["description"] != "" {
		t.Fatalf("retired: %v", retired)
	}
	if got := spCodes(h, "/api/v1/service-packages?clinic_id=3", R); got != "basic_public_health*,chronic_care|" {
		t.Fatalf("clinic 3 packages after retiring: %s", got)
	}
	// Staff see their clinics' packages, the retired one too (to offer it
	// again); another clinic's only when it is in their reach.
	staffList := map[string]struct {
		who  testkit.Req
		path string
		want string
	}{
		"manager 3":               {M3, path, "elderly_care,chronic_care|"},
		"nurse 3":                 {testkit.Token(nurse3.Token), path, "elderly_care,chronic_care|"},
		"manager 3, one per page": {M3, path + "?limit=1", "elderly_care|"},
		"manager 4":               {M4, path, "elderly_care,child_care|"},
		"manager 3, clinic 4":     {M3, path + "?clinic_id=4", "|"},
		"admin, clinic 4":         {A, path + "?clinic_id=4", "elderly_care,child_care|"},
	}
	for name, c := range staffList {
		got := spCodes(h, c.path, c.who)
		if name == "manager 3, one per page" {
			got = got[:strings.Index(got, "|")+1]
		}
		if got != c.want {
			t.Fatalf("%s: staff packages %s, want %s", name, got, c.want)
		}
	}
	var staffPkgs struct {
		Items []ServicePackageDTOView `json:"items"`
	}
	h.Do("GET", path, nil, M3).Expect(200).JSON(&staffPkgs)
	if len(staffPkgs.Items) != 2 || staffPkgs.Items[0].Active || !staffPkgs.Items[1].Active {
		t.Fatalf("the staff list's active flags: %+v", staffPkgs.Items)
	}
	h.Do("GET", path, nil, R).ExpectError(403, "forbidden")
	h.Do("GET", path+"?clinic_id=-1", nil, M3).ExpectError(422, "invalid_request")
	if got := spCodes(h, "/api/v1/service-packages", R); got != "basic_public_health*|" {
		t.Fatalf("without a clinic: %s", got)
	}
	h.Do("GET", "/api/v1/service-packages", nil).ExpectError(401, "unauthorized")
	h.Do("GET", "/api/v1/service-packages?clinic_id=x", nil, R).ExpectError(422, "invalid_request")
	// Offered again.
	put(ctID(elderly), map[string]any{"name": "老年人健康管理包", "active": true}, M3).Expect(200)
	if got := spCodes(h, "/api/v1/service-packages?clinic_id=3", R); got != "basic_public_health*,elderly_care,chronic_care|" {
		t.Fatalf("clinic 3 packages after offering again: %s", got)
	}
	_ = chronic

	// Audited: four creates, two updates (the refused calls wrote nothing).
	for action, want := range map[string]int{"service_package.create": 4, "service_package.update": 2} {
		var logs struct {
			Items []struct {
				TargetType string `json:"target_type"`
				ClinicID   int64  `json:"clinic_id"`
			} `json:"items"`
		}
		h.Do("GET", "/api/v1/staff/audit-logs?action="+action, nil, A).Expect(200).JSON(&logs)
		if len(logs.Items) != want || logs.Items[0].TargetType != "service_package" {
			t.Errorf("%s: %+v, want %d rows", action, logs, want)
		}
	}
	// The clinic's manager reads their clinic's rows only.
	var mine struct {
		Items []struct {
			ClinicID int64 `json:"clinic_id"`
		} `json:"items"`
	}
	h.Do("GET", "/api/v1/staff/audit-logs?target_type=service_package", nil, M3).Expect(200).JSON(&mine)
	if len(mine.Items) != 4 { // two creates, two updates at clinic 3
		t.Fatalf("manager 3's audit rows: %+v", mine)
	}
}

// TestServicePackages_RetiredRefusedAtSigning: a contract keeps a package
// retired after it was signed (and its renewal carries it over); a new
// signing that picks it is 422 on the field, in Chinese.
func TestServicePackages_RetiredRefusedAtSigning(t *testing.T) {
	w := newCnWorld(t)
	h := w.h
	U := testkit.Token(w.u.Token)
	m3 := h.Manager("rp-m3", ctClinic3)
	M3 := testkit.Token(m3.Token)
	pkg := h.Do("POST", "/api/v1/staff/service-packages", map[string]any{"code": "elderly_care", "name": "老年人健康管理包"}, M3).Expect(201).Map()
	mum := ctElder(h, w.u, "李秀英", 70)
	dad := ctElder(h, w.u, "王建国", 72)
	signed := h.Do("POST", "/api/v1/family-contracts", map[string]any{"team_id": ctTeam3, "member_ids": []int64{mum},
		"packages": []string{"elderly_care"}}, U).Expect(201).Map()
	h.Do("PUT", ctPath("/api/v1/staff/service-packages/%d", ctID(pkg)), map[string]any{"name": "老年人健康管理包", "active": false}, M3).Expect(200)

	r := h.Do("POST", "/api/v1/family-contracts", map[string]any{"team_id": ctTeam3, "member_ids": []int64{dad},
		"packages": []string{"elderly_care"}}, U).ExpectError(422, "invalid_request")
	if got := fieldReason(r, "packages[0]"); got != "该服务包已停止签约" {
		t.Fatalf("retired package at signing: %q (%s)", got, r.Body)
	}
	if n := ctCount(h, &model.FamilyContract{}, "1 = 1"); n != 2 { // newCnWorld's and the signed one
		t.Fatalf("contracts: %d, want 2", n)
	}
	ctApprove(h, w.lead, ctID(signed))
	got := h.Do("GET", ctPath("/api/v1/family-contracts/%d", ctID(signed)), nil, U).Expect(200).Map()
	if strings.Join(toStrings(got["packages"]), ",") != "basic_public_health,elderly_care" {
		t.Fatalf("the contract keeps its retired package: %v", got["packages"])
	}
	renewal := h.Do("POST", ctPath("/api/v1/family-contracts/%d/renew", ctID(signed)), nil, U).Expect(201).Map()
	if strings.Join(toStrings(renewal["packages"]), ",") != "basic_public_health,elderly_care" {
		t.Fatalf("the renewal carries it over: %v", renewal["packages"])
	}
	// Another clinic's package of the same code is not this team's.
	m4 := h.Manager("rp-m4", ctClinic4)
	h.Do("POST", "/api/v1/staff/service-packages", map[string]any{"code": "home_visit", "name": "上门服务包"}, testkit.Token(m4.Token)).Expect(201)
	r = h.Do("POST", "/api/v1/family-contracts", map[string]any{"team_id": ctTeam3, "member_ids": []int64{dad},
		"packages": []string{"home_visit"}}, U).ExpectError(422, "invalid_request")
	if got := fieldReason(r, "packages[0]"); got != "不是该机构提供的服务包" {
		t.Fatalf("another clinic's package: %q", got)
	}
}

// TestAgreementVersions_PublishAndSign: an admin publishes versions (409 for
// one already published, 422 for bad input, 403 for anyone else); the
// current one is the latest; a signing records the version it names (422
// for one never published) or the current one.
func TestAgreementVersions_PublishAndSign(t *testing.T) {
	w := newCnWorld(t)
	h := w.h
	U := testkit.Token(w.u.Token)
	admin := h.Admin("av-admin")
	A := testkit.Token(admin.Token)
	const path = "/api/v1/admin/agreement-versions"
	ver := func(v string) map[string]any {
		return map[string]any{"version": v, "title": "家庭医生签约服务协议（" + v + "）", "body": "甲方（签约居民）与乙方（家庭医生团队）约定：\n一、服务内容……"}
	}
	// None yet: 404, and a signing without a version records none.
	h.Do("GET", "/api/v1/agreement-versions/current", nil, U).ExpectError(404, "not_found")
	mum := ctElder(h, w.u, "李秀英", 70)
	dad := ctElder(h, w.u, "王建国", 72)
	first := ctApply(h, w.u, ctTeam3, mum)
	if first["agreement_version"] != "" {
		t.Fatalf("no version published: %v", first["agreement_version"])
	}
	h.Do("POST", ctPath("/api/v1/staff/family-contracts/%d/reject", ctID(first)), map[string]any{"reason": "重新签"}, testkit.Token(w.lead.Token)).Expect(200)

	v1 := h.Do("POST", path, ver("2026.1"), A).Expect(201).Map()
	if v1["version"] != "2026.1" || !strings.HasPrefix(v1["body"].(string), "甲方") || v1["published_at"] == nil {
		t.Fatalf("published: %v", v1)
	}
	h.Clock.Advance(24 * time.Hour)
	h.Do("POST", path, ver("2026.2"), A).Expect(201)
	h.Do("POST", path, ver("2026.1"), A).ExpectError(409, "agreement_version_exists")
	r := h.Do("POST", path, map[string]any{"version": "第一版 !", "title": "协议", "body": "正文\u0007"}, A).ExpectError(422, "invalid_request")
	if fieldReason(r, "version") == "" || fieldReason(r, "body") != "不能含有控制字符" {
		t.Fatalf("bad version: %s", r.Body)
	}
	h.Do("POST", path, ver("2026.9"), testkit.Token(w.lead.Token)).ExpectError(403, "forbidden")
	h.Do("POST", path, ver("2026.9"), U).ExpectError(403, "forbidden")
	h.Do("GET", path, nil, testkit.Token(w.lead.Token)).ExpectError(403, "forbidden")
	if n := ctCount(h, &model.AgreementVersion{}, "1 = 1"); n != 2 {
		t.Fatalf("versions stored: %d, want 2", n)
	}
	var list struct {
		Items []struct {
			Version string `json:"version"`
		} `json:"items"`
		NextCursor string `json:"next_cursor"`
	}
	h.Do("GET", path+"?limit=1", nil, A).Expect(200).JSON(&list)
	if len(list.Items) != 1 || list.Items[0].Version != "2026.2" || list.NextCursor == "" {
		t.Fatalf("page 1: %+v", list)
	}
	h.Do("GET", path+"?limit=1&cursor="+list.NextCursor, nil, A).Expect(200).JSON(&list)
	if len(list.Items) != 1 || list.Items[0].Version != "2026.1" || list.NextCursor != "" {
		t.Fatalf("page 2: %+v", list)
	}
	cur := h.Do("GET", "/api/v1/agreement-versions/current", nil, U).Expect(200).Map()
	if cur["version"] != "2026.2" || cur["title"] != "家庭医生签约服务协议（2026.2）" {
		t.Fatalf("current: %v", cur)
	}

	// Signing: a version never published is 422 on the field (Chinese);
	// the one named is recorded; none named records the current one.
	r = h.Do("POST", "/api/v1/family-contracts", map[string]any{"team_id": ctTeam3, "member_ids": []int64{mum}, "agreement_version": "2025.9"}, U).
		ExpectError(422, "invalid_request")
	if got := fieldReason(r, "agreement_version"); got != "不是已发布的协议版本" {
		t.Fatalf("unpublished version: %q", got)
	}
	named := h.Do("POST", "/api/v1/family-contracts", map[string]any{"team_id": ctTeam3, "member_ids": []int64{mum}, "agreement_version": "2026.1"}, U).Expect(201).Map()
	if named["agreement_version"] != "2026.1" {
		t.Fatalf("named version: %v", named["agreement_version"])
	}
	if c := ctApply(h, w.u, ctTeam3, dad); c["agreement_version"] != "2026.2" {
		t.Fatalf("no version named records the current one: %v", c["agreement_version"])
	}
	// Staff applying on a family's behalf (a person their clinic already
	// serves): the same rule.
	byStaff := h.Do("POST", "/api/v1/staff/family-contracts", map[string]any{"team_id": ctTeam3, "member_ids": []int64{mum}},
		testkit.Token(w.lead.Token)).Expect(201).Map()
	if byStaff["agreement_version"] != "2026.2" {
		t.Fatalf("staff application: %v", byStaff["agreement_version"])
	}
	// A renewal keeps the version the family accepted, though a newer one
	// is current.
	ctApprove(h, w.lead, ctID(named))
	if rn := h.Do("POST", ctPath("/api/v1/family-contracts/%d/renew", ctID(named)), nil, U).Expect(201).Map(); rn["agreement_version"] != "2026.1" {
		t.Fatalf("renewal: %v", rn["agreement_version"])
	}
	var logs struct {
		Items []struct {
			TargetType string         `json:"target_type"`
			Detail     map[string]any `json:"detail"`
		} `json:"items"`
	}
	h.Do("GET", "/api/v1/staff/audit-logs?action=agreement_version.publish", nil, A).Expect(200).JSON(&logs)
	if len(logs.Items) != 2 || logs.Items[0].TargetType != "agreement" || logs.Items[0].Detail["version"] != "2026.2" {
		t.Fatalf("audit: %+v", logs)
	}
}

// TestContract_ResponsibleDoctorAtApproval: answers name the responsible
// doctor; staff may choose another member of the team at approval (422 for
// anyone else, nothing changed), and a renewal carries the choice over.
func TestContract_ResponsibleDoctorAtApproval(t *testing.T) {
	w := newCnWorld(t)
	h := w.h
	U, L := testkit.Token(w.u.Token), testkit.Token(w.lead.Token)
	h.DB.Model(&model.User{}).Where("id = ?", w.lead.ID).Update("real_name", "赵立新")
	doctor := h.Staff("rd-doctor", ctClinic3)
	h.DB.Model(&model.User{}).Where("id = ?", doctor.ID).Update("real_name", "钱小红")
	dtJoin(h, ctTeam3, "doctor", doctor)
	mum := ctElder(h, w.u, "李秀英", 70)
	c := ctApply(h, w.u, ctTeam3, mum)
	doc, _ := c["responsible_doctor"].(map[string]any)
	if fmt.Sprint(doc) != fmt.Sprint(map[string]any{"id": float64(w.lead.ID), "name": "赵立新", "title": "家庭医生团队长", "role": "lead"}) {
		t.Fatalf("signed: the lead by default: %v", c["responsible_doctor"])
	}
	id := ctID(c)
	approve := ctPath("/api/v1/staff/family-contracts/%d/approve", id)
	// Not a member of the team (another clinic's staff, a resident), a
	// negative id, or a string: 422, still pending.
	for _, bad := range []any{w.staff4.ID, w.u.ID, -1, "41"} {
		r := h.Do("POST", approve, map[string]any{"responsible_doctor_id": bad}, L).ExpectError(422, "invalid_request")
		if fieldReason(r, "responsible_doctor_id") == "" {
			t.Fatalf("doctor %v: %s", bad, r.Body)
		}
	}
	if n := ctCount(h, &model.FamilyContract{}, "id = ? AND status = ?", id, model.ContractPending); n != 1 {
		t.Fatal("a refused approval changed the contract")
	}
	// Staff of another clinic: 404.
	h.Do("POST", approve, map[string]any{"responsible_doctor_id": doctor.ID}, testkit.Token(w.staff4.Token)).ExpectError(404, "not_found")
	got := h.Do("POST", approve, map[string]any{"responsible_doctor_id": doctor.ID}, L).Expect(200).Map()
	doc, _ = got["responsible_doctor"].(map[string]any)
	if got["status"] != "active" || got["responsible_doctor_id"] != float64(doctor.ID) ||
		fmt.Sprint(doc) != fmt.Sprint(map[string]any{"id": float64(doctor.ID), "name": "钱小红", "title": "家庭医生", "role": "doctor"}) {
		t.Fatalf("approved with a doctor: %v", got)
	}
	// Lists name the doctor too; the renewal carries the choice over, and
	// approving it without a body keeps it.
	var list struct {
		Items []struct {
			ID                int64 `json:"id"`
			ResponsibleDoctor struct {
				ID   int64  `json:"id"`
				Name string `json:"name"`
			} `json:"responsible_doctor"`
		} `json:"items"`
	}
	h.Do("GET", "/api/v1/family-contracts", nil, U).Expect(200).JSON(&list)
	if len(list.Items) != 2 || list.Items[0].ID != id || list.Items[0].ResponsibleDoctor.Name != "钱小红" || list.Items[1].ResponsibleDoctor.ID != w.lead.ID {
		t.Fatalf("list: %+v", list)
	}
	rn := h.Do("POST", ctPath("/api/v1/family-contracts/%d/renew", id), nil, U).Expect(201).Map()
	if rn["responsible_doctor_id"] != float64(doctor.ID) {
		t.Fatalf("renewal: %v", rn["responsible_doctor"])
	}
	if ap := ctApprove(h, w.lead, ctID(rn)); ap["responsible_doctor_id"] != float64(doctor.ID) {
		t.Fatalf("renewal approved without a body: %v", ap["responsible_doctor"])
	}
	// A doctor who left the team is still named, without a title.
	h.DB.Where("team_id = ? AND user_id = ?", ctTeam3, doctor.ID).Delete(&model.DoctorTeamMember{})
	left := h.Do("GET", ctPath("/api/v1/family-contracts/%d", id), nil, U).Expect(200).Map()
	if doc, _ := left["responsible_doctor"].(map[string]any); doc["name"] != "钱小红" || doc["title"] != "" || doc["role"] != nil {
		t.Fatalf("after leaving the team: %v", left["responsible_doctor"])
	}
}
