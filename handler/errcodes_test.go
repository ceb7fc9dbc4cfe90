package handler_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"familycare/handler"
	"familycare/testkit"
)

// Every code the service and handler packages write is in the one list
// (handler.ErrorCodes) the spec's enum and the README table come from.
func TestErrorCodes_Listed(t *testing.T) {
	listed := map[string]bool{}
	for _, e := range handler.ErrorCodes {
		if listed[e.Code] {
			t.Errorf("%s listed twice", e.Code)
		}
		listed[e.Code] = true
	}
	uses := regexp.MustCompile(`newErr\(Kind\w+, "(\w+)"|abortWith\(c, http\.Status\w+, "(\w+)"`)
	for _, dir := range []string{"../service", "."} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range uses.FindAllStringSubmatch(string(raw), -1) {
				if code := m[1] + m[2]; !listed[code] {
					t.Errorf("%s: code %s is not in handler.ErrorCodes", f, code)
				}
			}
		}
	}
}

func TestErrors_ChineseByDefault_EnglishOnAsk(t *testing.T) {
	h := testkit.New(t)
	u := h.Login("p")
	var env struct {
		Error struct {
			Message string `json:"message"`
			Details struct {
				Fields map[string]string `json:"fields"`
			} `json:"details"`
		} `json:"error"`
	}
	h.Do("POST", "/api/v1/me/members", map[string]any{}, testkit.Token(u.Token)).ExpectError(422, "invalid_request").JSON(&env)
	if env.Error.Message != "填写的内容有误，请检查" || env.Error.Details.Fields["name"] != "必填" {
		t.Fatalf("zh by default: %+v", env.Error)
	}
	h.Do("POST", "/api/v1/me/members", map[string]any{}, testkit.Token(u.Token), testkit.Header("Accept-Language", "en-US,en;q=0.9,zh;q=0.8")).
		ExpectError(422, "invalid_request").JSON(&env)
	if env.Error.Message != "the request is not valid" || env.Error.Details.Fields["name"] != "required" {
		t.Fatalf("en when asked: %+v", env.Error)
	}
	h.Do("GET", "/api/v1/me", nil).ExpectError(401, "unauthorized").JSON(&env)
	if env.Error.Message != "登录已失效，请重新登录" {
		t.Fatalf("401 message: %q", env.Error.Message)
	}
}

// PATCH stays answered as a deprecated alias of PUT.
func TestPatchAlias_Deprecated(t *testing.T) {
	h := testkit.New(t)
	u := h.Login("p")
	r := h.Do("PATCH", "/api/v1/me", map[string]any{"nickname": "小雨妈妈"}, testkit.Token(u.Token)).Expect(200)
	if r.Header.Get("Deprecation") != "true" || r.Header.Get("Sunset") != handler.PatchSunset {
		t.Fatalf("PATCH alias headers: %v", r.Header)
	}
	r = h.Do("PUT", "/api/v1/me", map[string]any{"nickname": "小雨"}, testkit.Token(u.Token)).Expect(200)
	if r.Header.Get("Deprecation") != "" || r.Map()["nickname"] != "小雨" {
		t.Fatalf("PUT: %v %s", r.Header, r.Body)
	}
}
