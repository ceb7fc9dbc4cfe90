package handler_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"familycare/testkit"
)

func TestHTTP_Basics(t *testing.T) {
	h := testkit.New(t)
	u := h.Login("p")
	big := `{"name":"` + strings.Repeat("a", 1<<20) + `","relation":"child"}`
	h.Do("POST", "/api/v1/me/members", big, testkit.Token(u.Token)).ExpectError(413, "body_too_large")
	h.Do("GET", "/api/v1/no/such/route", nil).ExpectError(404, "not_found")
	h.Do("POST", "/api/v1/me", nil, testkit.Token(u.Token)).ExpectError(405, "method_not_allowed")
	h.Do("POST", "/api/v1/me/members", `[1,2]`, testkit.Token(u.Token)).ExpectError(400, "bad_json")
	h.Do("POST", "/api/v1/me/members", `{"name":"a"} {"x":1}`, testkit.Token(u.Token)).ExpectError(400, "bad_json")
	h.Do("POST", "/api/v1/me/members", "{\"name\":\"a\x00\",", testkit.Token(u.Token)).ExpectError(422, "invalid_request")

	r := h.Do("GET", "/healthz", nil, testkit.Header("X-Request-ID", "abc-123"))
	if r.Header.Get("X-Request-ID") != "abc-123" {
		t.Fatalf("request id not echoed: %v", r.Header)
	}
	if id := h.Do("GET", "/healthz", nil).Header.Get("X-Request-ID"); len(id) < 16 {
		t.Fatalf("request id not generated: %q", id)
	}
	if id := h.Do("GET", "/healthz", nil, testkit.Header("X-Request-ID", "bad id\n<script>")).Header.Get("X-Request-ID"); strings.Contains(id, "<") {
		t.Fatalf("unsafe request id echoed: %q", id)
	}
	h.Do("GET", "/readyz", nil).Expect(http.StatusOK)
	h.Do("GET", "/swagger/index.html", nil).Expect(http.StatusOK)
	if spec := h.Do("GET", "/swagger/doc.json", nil).Expect(http.StatusOK).Map(); spec["paths"].(map[string]any)["/api/v1/bookings"] == nil {
		t.Fatal("the served spec lacks /api/v1/bookings")
	}
	if js := h.Do("GET", "/swagger/swagger-initializer.js", nil).Expect(http.StatusOK); !strings.Contains(string(js.Body), `"openapi.json"`) {
		t.Fatal("Swagger UI must load the generated spec")
	}
	h.Do("GET", "/swagger/swagger-ui-bundle.js", nil).Expect(http.StatusOK)
	// The served specs are the files in docs/, byte for byte.
	for name, file := range map[string]string{"doc.json": "swagger.json", "openapi.json": "openapi.json"} {
		want, err := os.ReadFile(filepath.Join("..", "docs", file))
		if err != nil {
			t.Fatal(err)
		}
		if got := h.Do("GET", "/swagger/"+name, nil).Expect(http.StatusOK).Body; !bytes.Equal(got, want) {
			t.Errorf("/swagger/%s differs from docs/%s", name, file)
		}
	}
	h.Do("GET", "/swagger/../../etc/passwd", nil).ExpectError(http.StatusNotFound, "not_found")
}

func TestReadyz_DatabaseDown(t *testing.T) {
	h := testkit.New(t)
	u := h.Login("p")
	sqlDB, err := h.DB.DB()
	if err != nil {
		t.Fatal(err)
	}
	_ = sqlDB.Close()
	h.Do("GET", "/readyz", nil).ExpectError(503, "database_unavailable")
	r := h.Do("GET", "/api/v1/me", nil, testkit.Token(u.Token))
	if r.Status == 500 {
		t.Fatalf("a closed database must not be a 500: %s", r.Body)
	}
}

func TestHTTP_BodyMustBeUTF8WithoutNUL(t *testing.T) {
	h := testkit.New(t)
	u := h.Login("p")
	h.Do("POST", "/api/v1/me/members", []byte("{\"name\":\"\xff\xfe\",\"relation\":\"child\"}"), testkit.Token(u.Token)).ExpectError(400, "bad_json")
	h.Do("POST", "/api/v1/me/members", `{"name":"a\u0000b","relation":"child"}`, testkit.Token(u.Token)).ExpectError(422, "invalid_request")
	h.Do("POST", "/api/v1/me/members", []byte("{\"name\":\"a\x00b\",\"relation\":\"child\"}"), testkit.Token(u.Token)).ExpectError(422, "invalid_request")
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	h.Do("POST", "/api/v1/me/members", deep, testkit.Token(u.Token)).ExpectError(400, "bad_json")
	var list struct {
		Items []any `json:"items"`
	}
	h.Do("GET", "/api/v1/me/members", nil, testkit.Token(u.Token)).Expect(200).JSON(&list)
	if len(list.Items) != 0 {
		t.Fatalf("nothing may be stored, found %d", len(list.Items))
	}
}
