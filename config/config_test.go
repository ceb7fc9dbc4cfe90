package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

const goodKeys = "k1:MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE="

func TestLoad_DefaultsAreADevServerOnSQLite(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Env != EnvDev || c.HTTPAddr != ":8080" || c.DBDriver != "sqlite" || c.DBDSN != "familycare.db" ||
		c.BusinessTZ != "Asia/Shanghai" || !c.EnableDevLogin || !c.SeedDemoData || c.CancelWindow != 2*time.Hour {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestLoad_ProdRefusesUnsafeSettings(t *testing.T) {
	base := map[string]string{"APP_ENV": "prod", "JWT_SECRET": strings.Repeat("s", 40), "WECHAT_APPID": "wx1",
		"WECHAT_SECRET": "x", "DATA_ENCRYPTION_KEYS": goodKeys,
		"WECHAT_PUSH_TOKEN": "push-token", "WECHAT_PUSH_AES_KEY": strings.Repeat("k", 43), "UPLOAD_PUBLIC_URL": "https://api.example.com",
		"METRICS_TOKEN": "metrics-token-of-ours"}
	if _, err := Load(env(base)); err != nil {
		t.Fatalf("a complete prod config must load: %v", err)
	}
	cases := map[string]map[string]string{
		"JWT_SECRET":           {"JWT_SECRET": ""},
		"of your own":          {"JWT_SECRET": DevJWTSecret},
		"at least 32 bytes":    {"JWT_SECRET": "short-secret"},
		"WECHAT_APPID":         {"WECHAT_APPID": ""},
		"DATA_ENCRYPTION_KEYS": {"DATA_ENCRYPTION_KEYS": ""},
		"ENABLE_DEV_LOGIN":     {"ENABLE_DEV_LOGIN": "true"},
		"WECHAT_PUSH_TOKEN":    {"WECHAT_PUSH_TOKEN": ""},
		"UPLOAD_PUBLIC_URL":    {"UPLOAD_PUBLIC_URL": "http://api.example.com"},
		"UPLOAD_S3_ENDPOINT":   {"UPLOAD_STORE": "s3"},
		"UPLOAD_STORE must be": {"UPLOAD_STORE": "ftp"},
		"EncodingAESKey":       {"WECHAT_PUSH_AES_KEY": "short"},
		"METRICS_TOKEN":        {"METRICS_TOKEN": ""},
	}
	for want, change := range cases {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range change {
			m[k] = v
		}
		_, err := Load(env(m))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v", want, err)
		}
	}
	if _, err := Load(env(map[string]string{"APP_ENV": "staging"})); err == nil {
		t.Error("unknown APP_ENV accepted")
	}
	if _, err := Load(env(map[string]string{"JWT_TTL": "soon"})); err == nil {
		t.Error("bad duration accepted")
	}
	if _, err := Load(env(map[string]string{"BUSINESS_TZ": "Mars/Olympus"})); err == nil {
		t.Error("bad time zone accepted")
	}
}

func TestLoad_FileThenEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "familycare.yaml")
	if err := os.WriteFile(path, []byte("http_addr: \":9000\"\ndb_driver: mysql\ndb_dsn: \"u:p@tcp(db:3306)/fc\"\ncancel_window: 3h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{"CONFIG_FILE": path, "HTTP_ADDR": ":9100", "WECHAT_TEMPLATES": "booking_confirmed=T1, booking_reminder=T2"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":9100" || c.DBDriver != "mysql" || c.CancelWindow != 3*time.Hour || c.WeChatTemplates["booking_reminder"] != "T2" {
		t.Fatalf("file then env: %+v", c)
	}
	if s := c.String(); strings.Contains(s, ":p@") || strings.Contains(s, DevJWTSecret) {
		t.Fatalf("secrets printed: %s", s)
	}
}
