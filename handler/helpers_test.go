package handler_test

import (
	"encoding/json"
	"strconv"

	"familycare/config"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

type configT = config.Config
