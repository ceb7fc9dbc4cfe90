package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"familycare/model"
)

// tokens signs in, through the dev login, the accounts the benchmark acts
// as, and prints them as shell assignments: DOCTOR_TOKEN (the lead of the
// first loaded team), DOCTOR_CLINIC (its clinic). It writes URLS, one
// "URL<TAB>token" line per household (GET /households/{id}/next as its
// guardian), households spread evenly over the loaded ones.
func tokens(args []string) error {
	fs := flag.NewFlagSet("tokens", flag.ContinueOnError)
	dsn := fs.String("dsn", "", "MariaDB DSN of the loaded database")
	base := fs.String("base", "http://127.0.0.1:18080", "familycare base URL")
	n := fs.Int("households", 256, "households to act for")
	urls := fs.String("urls", "", "file the household URLs are written to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := model.Open("mysql", *dsn, 2, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err != nil {
		return err
	}
	var doctor struct {
		ClinicID int64
	}
	if err := db.Raw("SELECT clinic_id FROM users WHERE open_id = 'scale-staff-0'").Scan(&doctor).Error; err != nil {
		return err
	}
	if doctor.ClinicID == 0 {
		return fmt.Errorf("no scale-staff-0: is this database loaded?")
	}
	tok, err := devLogin(*base, map[string]any{"openid": "scale-staff-0", "role": "staff", "clinic_id": doctor.ClinicID})
	if err != nil {
		return err
	}
	fmt.Printf("DOCTOR_TOKEN=%s\nDOCTOR_CLINIC=%d\n", tok, doctor.ClinicID)

	var users int64
	if err := db.Raw("SELECT COUNT(*) FROM users WHERE open_id LIKE 'scale-u-%'").Scan(&users).Error; err != nil {
		return err
	}
	households := users / 2
	var out bytes.Buffer
	for i := 0; i < *n; i++ {
		// Household h's guardian is resident 2h (0-based).
		h := int64(i) * households / int64(*n)
		openID := fmt.Sprintf("scale-u-%d", 2*h)
		var id int64
		if err := db.Raw("SELECT h.id FROM households h JOIN users u ON u.id = h.created_by WHERE u.open_id = ?", openID).
			Scan(&id).Error; err != nil {
			return err
		}
		tok, err := devLogin(*base, map[string]any{"openid": openID})
		if err != nil {
			return err
		}
		fmt.Fprintf(&out, "%s/api/v1/households/%d/next\t%s\n", *base, id, tok)
	}
	return os.WriteFile(*urls, out.Bytes(), 0o600)
}

func devLogin(base string, body map[string]any) (string, error) {
	raw, _ := json.Marshal(body)
	c := http.Client{Timeout: 30 * time.Second}
	resp, err := c.Post(base+"/api/v1/auth/dev/login", "application/json", bytes.NewReader(raw))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("dev login %s: %d %s", raw, resp.StatusCode, b)
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.Token == "" {
		return "", fmt.Errorf("dev login %s: no token in %s", raw, b)
	}
	return out.Token, nil
}
