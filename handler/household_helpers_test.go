package handler_test

import (
	"fmt"
	"strings"
	"testing"

	"familycare/model"
	"familycare/testkit"
)

// residentID makes a valid 18-digit resident ID number (GB 11643 check
// digit) for a birth date YYYY-MM-DD and sex, with region 330726 and the
// sequence seq (1..99).
func residentID(birth string, male bool, seq int) string {
	s := seq * 2
	if male {
		s++
	}
	body := fmt.Sprintf("330726%s%03d", strings.ReplaceAll(birth, "-", ""), s%1000)
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(body[i]-'0') * w[i]
	}
	return body + string("10X98765432"[sum%11])
}

// setResidentID gives person id a resident ID agreeing with its birth date
// and sex (as its guardian u) and returns the number.
func setResidentID(t testing.TB, h *testkit.Harness, u testkit.User, id int64) string {
	t.Helper()
	var p model.Person
	if err := h.DB.First(&p, id).Error; err != nil {
		t.Fatal(err)
	}
	num := residentID(p.BirthDate, p.Gender == "male", int(id%90)+1)
	h.Do("PUT", fmt.Sprintf("/api/v1/persons/%d", id), map[string]any{"id_type": "resident_id", "id_number": num}, testkit.Token(u.Token)).Expect(200)
	return num
}

// firstHousehold is the id of u's first household.
func firstHousehold(t testing.TB, h *testkit.Harness, u testkit.User) int64 {
	t.Helper()
	var out struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
	}
	h.Do("GET", "/api/v1/households", nil, testkit.Token(u.Token)).Expect(200).JSON(&out)
	if len(out.Items) == 0 {
		t.Fatal("no household")
	}
	return out.Items[0].ID
}
