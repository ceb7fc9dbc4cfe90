package service

import (
	"strings"
	"testing"
	"time"

	"familycare/config"
)

func TestParseSubscribeTemplates_Problems(t *testing.T) {
	cfg := config.Default()
	cfg.WeChatSubscribe = map[string]config.SubscribeTemplate{
		"no_such_event":     {TemplateID: "T1", Data: map[string]string{"thing1": "title"}},
		"booking_confirmed": {TemplateID: "T2", Data: map[string]string{"car_number1": "title", "time2": "service", "thing3": "nope"}},
		"booking_reminder":  {TemplateID: "T3", Data: map[string]string{"thing1": "service", "time2": "starts_at"}, Scenes: []string{"after_booking"}},
	}
	cfg.WeChatTemplates = map[string]string{"contract_approved": "T4"}
	got, problems, warnings := ParseSubscribeTemplates(cfg)
	text := ""
	for _, p := range problems {
		text += p.Error() + "\n"
	}
	for _, want := range []string{"no_such_event: unknown event", "car_number1: a key type we cannot fill", "time2: a time key needs a time field", `thing3: unknown field "nope"`} {
		if !strings.Contains(text, want) {
			t.Errorf("problems lack %q:\n%s", want, text)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0].Error(), "contract_approved") {
		t.Errorf("warnings %v", warnings)
	}
	if _, ok := got["booking_reminder"]; !ok || len(got) != 2 {
		t.Errorf("valid templates %v", got)
	}
	if sc := got.Scenes(); len(sc["after_booking"]) != 1 || sc["after_booking"][0] != "T3" {
		t.Errorf("scenes %v", sc)
	}
}

func TestFormatValue_KeyTypeRules(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 3, 5, 1, 30, 0, 0, time.UTC)
	cases := []struct {
		typ, in string
		t       *time.Time
		want    string
	}{
		{"thing", "县医院儿童保健门诊小儿推拿与生长发育评估专场（上午）", nil, "县医院儿童保健门诊小儿推拿与生长发育评…"},
		{"thing", "", nil, "-"},
		{"thing", "a\nb", nil, "a b"},
		{"phrase", "已确认了吗", nil, "已确认了吗"},
		{"phrase", "confirmed 已确认!", nil, "已确认"},
		{"phrase", "ok", nil, "已更新"},
		{"character_string", "MO-12 订单", nil, "MO-12"},
		{"character_string", strings.Repeat("x", 40), nil, strings.Repeat("x", 32)},
		{"number", "12a3", nil, "123"},
		{"time", "", &at, "2026-03-05 09:30"},
		{"date", "", &at, "2026-03-05"},
		{"time", "", nil, "-"},
		{"name", "王小明的外婆李秀英同志你好", nil, "王小明的外婆李秀英…"},
		{"amount", "12.5", nil, "¥12.5"},
	}
	for _, c := range cases {
		if got := formatValue(c.typ, c.in, c.t, loc); got != c.want {
			t.Errorf("%s(%q) = %q, want %q", c.typ, c.in, got, c.want)
		}
	}
}
