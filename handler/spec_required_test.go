package handler_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"familycare/testkit"
)

// requestSchema is the body schema of an operation in docs/openapi.json,
// with its $ref resolved.
func requestSchema(t *testing.T, spec map[string]any, method, path string) map[string]any {
	t.Helper()
	op, _ := spec["paths"].(map[string]any)[path].(map[string]any)[method].(map[string]any)
	if op == nil {
		t.Fatalf("%s %s is not in the spec", method, path)
	}
	body, _ := op["requestBody"].(map[string]any)
	if body == nil {
		t.Fatalf("%s %s takes no body in the spec", method, path)
	}
	schema := body["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
	if ref, ok := schema["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		schema = spec["components"].(map[string]any)["schemas"].(map[string]any)[name].(map[string]any)
	}
	return schema
}

// openAPISpec is docs/openapi.json, decoded.
func openAPISpec(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "docs", "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	return spec
}

func requiredOf(schema map[string]any) map[string]bool {
	out := map[string]bool{}
	list, _ := schema["required"].([]any)
	for _, r := range list {
		out[r.(string)] = true
	}
	return out
}

// TestSpec_RequiredRequestFields: what the spec declares required is what
// the server refuses without (422 naming the field), and an update body
// has nothing required, so generated clients type both exactly.
func TestSpec_RequiredRequestFields(t *testing.T) {
	spec := openAPISpec(t)
	h := testkit.New(t)
	h.Seed()
	mum := h.Login("mum")
	staff := h.Staff("nurse", circleClinic(t, h))
	circles := circleIDs(t, h)
	var anyCircle string
	for _, id := range circles {
		anyCircle = id
		break
	}
	h.Do("POST", "/api/v1/circles/"+anyCircle+"/join", nil, testkit.Token(mum.Token)).Expect(200)
	hh := h.Do("POST", "/api/v1/households", map[string]any{"name": "王家"}, testkit.Token(mum.Token)).Expect(201).Map()
	household := itoa(int64(hh["id"].(float64)))

	for _, tc := range []struct {
		method, specPath, path string
		user                   testkit.User
		valid                  map[string]any
		required               []string
	}{
		{"post", "/api/v1/me/members", "/api/v1/me/members", mum,
			map[string]any{"name": "小宝", "relation": "child"}, []string{"name", "relation"}},
		{"post", "/api/v1/households/{id}/persons", "/api/v1/households/" + household + "/persons", mum,
			map[string]any{"name": "豆豆", "relation": "child"}, []string{"name", "relation"}},
		{"post", "/api/v1/circles/{id}/posts", "/api/v1/circles/" + anyCircle + "/posts", mum,
			map[string]any{"content": "大家好"}, []string{"content"}},
		{"post", "/api/v1/staff/bookings/{id}/reject", "/api/v1/staff/bookings/999999/reject", staff,
			map[string]any{"reason": "停诊"}, []string{"reason"}},
		{"post", "/api/v1/staff/posts/{id}/hide", "/api/v1/staff/posts/999999/hide", staff,
			map[string]any{"reason": "广告"}, []string{"reason"}},
		{"post", "/api/v1/staff/comments/{id}/hide", "/api/v1/staff/comments/999999/hide", staff,
			map[string]any{"reason": "广告"}, []string{"reason"}},
	} {
		req := requiredOf(requestSchema(t, spec, tc.method, tc.specPath))
		for _, f := range tc.required {
			if !req[f] {
				t.Errorf("%s %s: the spec does not require %s", tc.method, tc.specPath, f)
				continue
			}
			body := map[string]any{}
			for k, v := range tc.valid {
				if k != f {
					body[k] = v
				}
			}
			r := h.Do(strings.ToUpper(tc.method), tc.path, body, testkit.Token(tc.user.Token)).ExpectError(422, "invalid_request")
			fields, _ := r.Map()["error"].(map[string]any)["details"].(map[string]any)["fields"].(map[string]any)
			if fields[f] == nil {
				t.Errorf("%s %s without %s: 422 does not name it: %s", tc.method, tc.path, f, r.Body)
			}
		}
	}
	// Updates take any subset: nothing is required.
	for _, op := range [][2]string{{"put", "/api/v1/me/members/{id}"}, {"put", "/api/v1/persons/{id}"},
		{"put", "/api/v1/admin/clinics/{id}"}, {"put", "/api/v1/admin/experts/{id}"}, {"put", "/api/v1/staff/articles/{id}"}} {
		if s := requestSchema(t, spec, op[0], op[1]); s["required"] != nil {
			t.Errorf("%s %s requires %v", op[0], op[1], s["required"])
		}
	}
	// Creates say what they need.
	for op, want := range map[[2]string][]string{
		{"post", "/api/v1/admin/clinics"}:       {"kind", "name"},
		{"post", "/api/v1/admin/experts"}:       {"home_clinic_id", "name", "sitting_clinic_ids"},
		{"post", "/api/v1/staff/articles"}:      {"body", "category", "stages", "title"},
		{"post", "/api/v1/posts/{id}/comments"}: {"content"},
	} {
		req := requiredOf(requestSchema(t, spec, op[0], op[1]))
		for _, f := range want {
			if !req[f] {
				t.Errorf("%s %s: %s is not required", op[0], op[1], f)
			}
		}
	}
}
