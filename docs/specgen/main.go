// Command specgen finishes the spec swag writes: it adds what swag
// annotations cannot express and writes the Swagger 2 and OpenAPI 3 files
// the server serves byte for byte. Run through docs/generate.sh:
//
//	go tool swag init -g main.go -o docs --outputTypes json --quiet
//	go run ./docs/specgen
//
// What it adds (see README "API docs"):
//   - operationId for every operation: the @ID annotation, or one derived
//     from method and path (putMe, getBookingsById);
//   - the error list of handler.ErrorCodes as the enum of error.code, and as
//     the description of each error status;
//   - the statuses every route of a kind can answer, with the envelope: 400
//     and 413 and 422 with a JSON body, 401 with a token, 403 under /staff
//     and /admin, 404 with a path parameter, 422 with query parameters,
//     409/422 with an Idempotency-Key, 500 and 503 everywhere;
//   - response headers: X-Request-ID everywhere, Retry-After on 429 and 503,
//     Idempotent-Replayed where an Idempotency-Key is taken, Vary
//     everywhere, Cache-Control on signed-in answers (no-store) and on
//     answers with an ETag (private, no-cache; ETag on 304 too); a
//     Cache-Control declared with @Header is kept;
//   - "@Security OptionalBearer" becomes an optional token ([{}, {Bearer}]);
//   - a PATCH route annotated on the same operation as a PUT becomes the
//     deprecated alias (Deprecation and Sunset headers);
//   - required and nullable on response objects from the Go structs' json
//     tags (a field without omitempty is always sent; a pointer may be null),
//     format date-time on *_at fields and format date on *_date fields;
//   - the closed sets of handler.SpecEnums (kept in the services' lists) as
//     enums;
//   - no empty host or schemes.
//
// It also rewrites the README's error-code table.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"familycare/handler"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
)

type obj = map[string]any

func main() {
	if err := run("."); err != nil {
		fmt.Fprintln(os.Stderr, "specgen:", err)
		os.Exit(1)
	}
}

func run(root string) error {
	path := filepath.Join(root, "docs", "swagger.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var spec obj
	if err := json.Unmarshal(raw, &spec); err != nil {
		return err
	}
	structs, err := goStructs(root)
	if err != nil {
		return err
	}
	if err := finish(spec, structs); err != nil {
		return err
	}
	v2, err := marshal(spec)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, v2, 0o644); err != nil {
		return err
	}
	v3, err := toV3(v2)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, "docs", "openapi.json"), v3, 0o644); err != nil {
		return err
	}
	return writeReadmeTable(filepath.Join(root, "README.md"))
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var methods = []string{"get", "put", "post", "delete", "patch"}

func finish(spec obj, structs map[string]goStruct) error {
	if h, _ := spec["host"].(string); h == "" {
		delete(spec, "host")
	}
	if s, _ := spec["schemes"].([]any); len(s) == 0 {
		delete(spec, "schemes")
	}
	defs, _ := spec["definitions"].(obj)
	if defs == nil {
		return fmt.Errorf("no definitions")
	}
	envelope := "#/definitions/handler.ErrorResponse"
	if _, ok := defs["handler.ErrorResponse"]; !ok {
		return fmt.Errorf("handler.ErrorResponse is not in the spec")
	}
	errBody := defs["handler.ErrorBody"].(obj)
	props := errBody["properties"].(obj)
	code := props["code"].(obj)
	codes := handler.ErrorCodeNames()
	enum := make([]any, len(codes))
	for i, c := range codes {
		enum[i] = c
	}
	code["enum"] = enum
	code["description"] = "Stable error code; the table of codes, statuses and meanings is in the README."
	props["message"].(obj)["description"] = "Short text for wx.showToast: Chinese (zh-CN) by default, English when Accept-Language prefers en."

	paths := spec["paths"].(obj)
	seen := map[string]string{}
	var keys []string
	for p := range paths {
		keys = append(keys, p)
	}
	sort.Strings(keys)
	reqDefs, respDefs := map[string]bool{}, map[string]bool{}
	var problems []string
	for _, p := range keys {
		item := paths[p].(obj)
		// Compared before finishOp changes the PUT.
		put, _ := item["put"].(obj)
		patch, _ := item["patch"].(obj)
		isAlias := put != nil && patch != nil && sameOp(put, patch)
		for _, m := range methods {
			op, ok := item[m].(obj)
			if !ok {
				continue
			}
			alias := m == "patch" && isAlias
			if alias {
				op = cloneObj(op)
				item[m] = op
			}
			if err := finishOp(p, m, op, alias, envelope); err != nil {
				problems = append(problems, err.Error())
				continue
			}
			id := op["operationId"].(string)
			if prev, dup := seen[id]; dup {
				return fmt.Errorf("operationId %s used by %s and %s %s", id, prev, strings.ToUpper(m), p)
			}
			seen[id] = strings.ToUpper(m) + " " + p
			for _, prm := range list(op["parameters"]) {
				if prm.(obj)["in"] == "body" {
					refs(prm.(obj)["schema"], defs, reqDefs)
				}
			}
			for st, r := range op["responses"].(obj) {
				_ = st
				refs(r.(obj)["schema"], defs, respDefs)
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("annotations to fix:\n  %s", strings.Join(problems, "\n  "))
	}
	for name, d := range defs {
		finishDef(name, d.(obj), structs, respDefs[name] && !reqDefs[name])
	}
	return specEnums(defs, paths)
}

// specEnums writes handler.SpecEnums: closed sets kept in the services'
// lists. A key naming nothing in the spec is an error (a renamed field).
func specEnums(defs, paths obj) error {
	for key, values := range handler.SpecEnums() {
		enum := make([]any, len(values))
		for i, v := range values {
			enum[i] = v
		}
		var target obj
		if op, param, ok := strings.Cut(key, " ?"); ok {
			method, path, _ := strings.Cut(op, " ")
			o, _ := paths[path].(obj)
			op, _ := o[strings.ToLower(method)].(obj)
			for _, p := range list(op["parameters"]) {
				if p.(obj)["name"] == param && p.(obj)["in"] == "query" {
					target = p.(obj)
				}
			}
		} else if i := strings.LastIndex(key, "."); i > 0 {
			d, _ := defs[key[:i]].(obj)
			props, _ := d["properties"].(obj)
			target, _ = props[key[i+1:]].(obj)
			if target != nil && target["type"] == "array" {
				target, _ = target["items"].(obj)
			}
		}
		if target == nil {
			return fmt.Errorf("handler.SpecEnums: %q names no property or query parameter in the spec", key)
		}
		target["enum"] = enum
	}
	return nil
}

func sameOp(a, b obj) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func cloneObj(o obj) obj {
	raw, _ := json.Marshal(o)
	var out obj
	_ = json.Unmarshal(raw, &out)
	return out
}

func list(v any) []any { l, _ := v.([]any); return l }

var segment = regexp.MustCompile(`[^A-Za-z0-9]+`)

// deriveID names an operation from method and path: GET
// /api/v1/bookings/{id}/history → getBookingsByIdHistory.
func deriveID(method, path string) string {
	var b strings.Builder
	b.WriteString(method)
	for _, s := range strings.Split(strings.TrimPrefix(path, "/api/v1"), "/") {
		if s == "" {
			continue
		}
		if strings.HasPrefix(s, "{") {
			s = "by_" + strings.Trim(s, "{}")
		}
		for _, w := range segment.Split(s, -1) {
			if w != "" {
				b.WriteString(strings.ToUpper(w[:1]) + w[1:])
			}
		}
	}
	return b.String()
}

func ref(def string) obj { return obj{"$ref": def} }

func header(desc string) obj { return obj{"type": "string", "description": desc} }

func finishOp(path, method string, op obj, alias bool, envelope string) error {
	if _, ok := op["operationId"].(string); !ok || alias {
		op["operationId"] = deriveID(method, path)
	}
	if _, ok := op["tags"]; !ok {
		return fmt.Errorf("%s %s has no @Tags", strings.ToUpper(method), path)
	}
	api := strings.HasPrefix(path, "/api/v1/")
	staff := strings.HasPrefix(path, "/api/v1/staff/") || strings.HasPrefix(path, "/api/v1/admin/")
	// Security: OptionalBearer is an optional token; staff and admin
	// routes always need one.
	token, optional := false, false
	var sec []any
	for _, s := range list(op["security"]) {
		if _, ok := s.(obj)["OptionalBearer"]; ok {
			optional = true
			continue
		}
		if _, ok := s.(obj)["Bearer"]; ok {
			token = true
		}
		sec = append(sec, s)
	}
	if staff && !token {
		return fmt.Errorf("%s %s is a staff/admin route without @Security Bearer", strings.ToUpper(method), path)
	}
	// The public group reads a token when one is sent (and refuses a bad
	// one): every /api/v1 route without @Security is optional-token, except
	// sign-in and the WeChat push callback.
	if !token && !optional && api && !strings.HasPrefix(path, "/api/v1/auth/") && !strings.HasPrefix(path, "/api/v1/wechat/") {
		optional = true
	}
	switch {
	case optional:
		op["security"] = []any{obj{}, obj{"Bearer": []any{}}}
	case token:
		op["security"] = sec
	default:
		op["security"] = []any{}
	}
	hasBody, hasPathID, hasQuery, idem := false, false, false, false
	for _, p := range list(op["parameters"]) {
		switch p.(obj)["in"] {
		case "body", "formData":
			hasBody = true
		case "path":
			hasPathID = true
		case "query":
			hasQuery = true
		case "header":
			if strings.EqualFold(p.(obj)["name"].(string), "Idempotency-Key") {
				idem = true
			}
		}
	}
	resps := op["responses"].(obj)
	add := func(status int) {
		k := strconv.Itoa(status)
		if _, ok := resps[k]; !ok {
			resps[k] = obj{"description": "", "schema": ref(envelope)}
		}
	}
	if api {
		add(500)
		add(503)
		if hasBody {
			add(400)
			add(413)
			add(422)
		}
		if hasQuery || idem {
			add(422)
		}
		if idem {
			add(409)
		}
		if token || optional {
			add(401)
		}
		if staff {
			add(403)
		}
		if hasPathID {
			add(404)
		}
	}
	// Caching: answers with an ETag (the guidance library) are private and
	// revalidated and vary by token; other signed-in answers are never
	// stored (no-store, set with the token check); a route may declare its
	// own Cache-Control with @Header (GET /subscribe-templates).
	etag := false
	if ok200, _ := resps["200"].(obj); ok200 != nil {
		if hs, _ := ok200["headers"].(obj); hs != nil && hs["ETag"] != nil {
			etag = true
		}
	}
	for k, r := range resps {
		ro := r.(obj)
		hs, _ := ro["headers"].(obj)
		if hs == nil {
			hs = obj{}
		}
		hs["X-Request-ID"] = header("Request id (echoed when the client sent one); quote it when reporting a problem.")
		vary := "Origin, when CORS_ORIGINS is set (README \"CORS\")."
		if etag {
			vary = "Authorization (the answer depends on the caller); also Origin when CORS_ORIGINS is set."
		}
		hs["Vary"] = header(vary)
		if _, own := hs["Cache-Control"]; !own && api {
			st, _ := strconv.Atoi(k)
			switch {
			case etag && (st == 200 || st == 304):
				hs["Cache-Control"] = obj{"type": "string", "enum": []any{"private, no-cache"}, "description": "Keep privately and revalidate with If-None-Match."}
			case token:
				hs["Cache-Control"] = obj{"type": "string", "enum": []any{"no-store"}, "description": "Signed-in answers carry personal data: never stored."}
			case optional:
				hs["Cache-Control"] = obj{"type": "string", "enum": []any{"no-store"}, "description": "Sent when a token was sent: the answer is the caller's."}
			}
		}
		if etag && k == "304" && hs["ETag"] == nil {
			hs["ETag"] = header("The tag sent in If-None-Match, still current.")
		}
		st, _ := strconv.Atoi(k)
		if st == 429 || st == 503 {
			hs["Retry-After"] = obj{"type": "integer", "description": "Seconds to wait before retrying."}
		}
		if idem && st < 300 {
			hs["Idempotent-Replayed"] = obj{"type": "string", "enum": []any{"true"}, "description": "Present when the answer is the stored result of an earlier request with the same Idempotency-Key."}
		}
		if alias {
			hs["Deprecation"] = obj{"type": "string", "enum": []any{"true"}, "description": "This PATCH route is a deprecated alias of PUT."}
			hs["Sunset"] = header("When the PATCH alias stops being answered: " + handler.PatchSunset + ".")
		}
		ro["headers"] = hs
		if st >= 400 {
			// swag's default description is the status text; say what the
			// status means here instead (the codes are the enum of error.code).
			if desc, _ := ro["description"].(string); desc == "" || desc == statusText(st) {
				ro["description"] = http2Text(st)
			}
			if _, ok := ro["schema"]; !ok {
				ro["schema"] = ref(envelope)
			}
		}
	}
	if alias {
		op["deprecated"] = true
		op["description"] = strings.TrimSpace(fmt.Sprint(op["description"]) +
			"\n\nDeprecated alias of PUT (wx.request has no PATCH); answered until " + handler.PatchSunset + ".")
		op["description"] = strings.TrimPrefix(op["description"].(string), "<nil>")
		op["description"] = strings.TrimSpace(op["description"].(string))
	}
	return nil
}

func http2Text(st int) string {
	switch st {
	case 400:
		return "Malformed JSON"
	case 401:
		return "No valid token"
	case 403:
		return "Not allowed for this role"
	case 404:
		return "Not found (or not yours)"
	case 409:
		return "Conflict with the current state"
	case 413:
		return "Body too large"
	case 415:
		return "Unsupported media type"
	case 422:
		return "Invalid request; details.fields names each field with a reason"
	case 429:
		return "Too many requests"
	case 500:
		return "A bug on our side; details.request_id"
	case 502:
		return "WeChat did not answer"
	case 503:
		return "The database does not answer"
	}
	return "Error"
}

// refs collects the definitions a schema reaches.
func refs(v any, defs obj, out map[string]bool) {
	switch s := v.(type) {
	case obj:
		if r, ok := s["$ref"].(string); ok {
			name := strings.TrimPrefix(r, "#/definitions/")
			if !out[name] {
				out[name] = true
				refs(defs[name], defs, out)
			}
		}
		for _, x := range s {
			refs(x, defs, out)
		}
	case []any:
		for _, x := range s {
			refs(x, defs, out)
		}
	}
}

var (
	dateTimeName = regexp.MustCompile(`(^|_)at$|^(starts|ends|expires|until|eta)$`)
	dateName     = regexp.MustCompile(`_date$`)
)

func finishDef(name string, d obj, structs map[string]goStruct, response bool) {
	props, _ := d["properties"].(obj)
	st, known := structs[name]
	var required []string
	for _, r := range list(d["required"]) {
		required = append(required, r.(string))
	}
	for pn, p := range props {
		po := p.(obj)
		gf, hasGo := st.fields[pn]
		if po["type"] == "string" && po["format"] == nil && po["enum"] == nil {
			switch {
			case known && hasGo && gf.isTime:
				po["format"] = "date-time"
			case dateName.MatchString(pn):
				po["format"] = "date"
			case dateTimeName.MatchString(pn):
				po["format"] = "date-time"
			}
		}
		// OpenAPI 3.0 wants a type beside nullable (redocly's spec rule);
		// a nullable reference is always to an object definition.
		if _, ok := po["allOf"]; ok && po["x-nullable"] == true && po["type"] == nil {
			po["type"] = "object"
		}
		if !known || !response {
			continue
		}
		f, ok := st.fields[pn]
		if !ok {
			continue
		}
		if !f.omitempty && !contains(required, pn) {
			required = append(required, pn)
		}
		if f.nullable && !f.omitempty {
			if r, ok := po["$ref"]; ok {
				delete(po, "$ref")
				po["allOf"] = []any{obj{"$ref": r}}
				po["type"] = "object"
			}
			po["x-nullable"] = true
		}
	}
	if len(required) > 0 {
		sort.Strings(required)
		d["required"] = toAny(required)
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func toAny(l []string) []any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

type goField struct {
	omitempty bool
	nullable  bool // a pointer or map without omitempty may be null (slices are sent as [])
	isTime    bool // time.Time or *time.Time: always date-time
}

type goStruct struct{ fields map[string]goField }

// goStructs reads the json tags of the structs swag names pkg.Type.
func goStructs(root string) (map[string]goStruct, error) {
	out := map[string]goStruct{}
	for _, pkg := range []string{"handler", "service", "model"} {
		fset := token.NewFileSet()
		names, err := filepath.Glob(filepath.Join(root, pkg, "*.go"))
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				return nil, err
			}
			for _, decl := range f.Decls {
				gd, ok := decl.(*ast.GenDecl)
				if !ok {
					continue
				}
				for _, s := range gd.Specs {
					ts, ok := s.(*ast.TypeSpec)
					if !ok {
						continue
					}
					stt, ok := ts.Type.(*ast.StructType)
					if !ok {
						continue
					}
					out[pkg+"."+ts.Name.Name] = structOf(stt)
				}
			}
		}
	}
	return out, nil
}

func structOf(st *ast.StructType) goStruct {
	g := goStruct{fields: map[string]goField{}}
	for _, f := range st.Fields.List {
		if f.Tag == nil || len(f.Names) == 0 {
			continue
		}
		tag := reflect.StructTag(strings.Trim(f.Tag.Value, "`"))
		name, opts, _ := strings.Cut(tag.Get("json"), ",")
		if name == "-" || name == "" {
			continue
		}
		var nullable bool
		typ := f.Type
		if st, ok := typ.(*ast.StarExpr); ok {
			typ = st.X
		}
		sel, isSel := typ.(*ast.SelectorExpr)
		isTime := isSel && sel.Sel.Name == "Time"
		switch f.Type.(type) {
		case *ast.StarExpr:
			nullable = true
		case *ast.MapType:
			nullable = true
		}
		g.fields[name] = goField{omitempty: strings.Contains(opts, "omitempty"), nullable: nullable, isTime: isTime}
	}
	return g
}

// toV3 converts the finished Swagger 2 spec to OpenAPI 3: the token is an
// HTTP bearer scheme, the server is the same origin.
func toV3(v2raw []byte) ([]byte, error) {
	var v2 openapi2.T
	if err := json.Unmarshal(v2raw, &v2); err != nil {
		return nil, err
	}
	v3, err := openapi2conv.ToV3(&v2)
	if err != nil {
		return nil, err
	}
	v3.Servers = openapi3.Servers{{URL: "/"}}
	v3.Components.SecuritySchemes = openapi3.SecuritySchemes{"Bearer": &openapi3.SecuritySchemeRef{Value: &openapi3.SecurityScheme{
		Type: "http", Scheme: "bearer", BearerFormat: "JWT", Description: "Authorization: Bearer <JWT> from POST /api/v1/auth/wechat/login"}}}
	raw, err := json.Marshal(v3)
	if err != nil {
		return nil, err
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return nil, err
	}
	binaryWorkbooks(generic)
	return marshal(generic)
}

// xlsxType is the media type of an .xlsx workbook.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// binaryWorkbooks gives every workbook answer of the OpenAPI 3 spec a binary
// schema: swag repeats an operation's one schema under each @Produce type,
// so a route that answers JSON or, with format=xlsx, a workbook would
// otherwise describe the workbook as the JSON object.
func binaryWorkbooks(spec any) {
	paths, _ := spec.(map[string]any)["paths"].(map[string]any)
	for _, p := range paths {
		ops, _ := p.(map[string]any)
		for _, op := range ops {
			o, _ := op.(map[string]any)
			resps, _ := o["responses"].(map[string]any)
			for _, r := range resps {
				resp, _ := r.(map[string]any)
				content, _ := resp["content"].(map[string]any)
				if c, ok := content[xlsxType].(map[string]any); ok {
					c["schema"] = map[string]any{"type": "string", "format": "binary"}
				}
			}
		}
	}
}

const (
	tableBegin = "<!-- error-codes:begin (generated by docs/specgen from handler/errcodes.go) -->"
	tableEnd   = "<!-- error-codes:end -->"
)

func writeReadmeTable(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(raw)
	i, j := strings.Index(s, tableBegin), strings.Index(s, tableEnd)
	if i < 0 || j < i {
		return fmt.Errorf("README.md has no %q … %q markers", tableBegin, tableEnd)
	}
	var b strings.Builder
	b.WriteString(tableBegin + "\n| code | status | message (zh) | meaning (en) |\n|---|---|---|---|\n")
	for _, e := range handler.ErrorCodes {
		fmt.Fprintf(&b, "| `%s` | %d | %s | %s |\n", e.Code, e.Status, e.ZH, e.EN)
	}
	out := s[:i] + b.String() + s[j:]
	if out == s {
		return nil
	}
	return os.WriteFile(path, []byte(out), 0o644)
}

func statusText(st int) string { return http.StatusText(st) }
