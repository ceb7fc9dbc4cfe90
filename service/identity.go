package service

import (
	"strings"
	"time"
	"unicode/utf8"

	"familycare/model"
)

// Identity documents (实名就医): what can be checked of a number is checked
// here, once, for every route that takes one.

// ErrInvalidIDNumber refuses an identity number that cannot be right.
var ErrInvalidIDNumber = newErr(KindInvalid, "invalid_id_number", "the identity number is not valid")

// gb11643Weights are the weights of the first 17 digits of a resident ID
// number (GB 11643-1999); the check character is gb11643Check[sum % 11].
var (
	gb11643Weights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	gb11643Check   = "10X98765432"
)

// ResidentID is what an 18-character resident ID number encodes.
type ResidentID struct {
	BirthDate string // YYYY-MM-DD
	Gender    string // male (odd sequence digit) or female (even)
}

// ParseResidentID checks an 18-character resident ID number: 17 digits, the
// GB 11643 check character (a lower-case x is read as X) and a real birth
// date not in the future. It returns the normalised number.
func ParseResidentID(number string, today time.Time) (string, ResidentID, bool) {
	n := strings.ToUpper(strings.TrimSpace(number))
	if len(n) != 18 {
		return n, ResidentID{}, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := n[i]
		if c < '0' || c > '9' {
			return n, ResidentID{}, false
		}
		sum += int(c-'0') * gb11643Weights[i]
	}
	if n[17] != gb11643Check[sum%11] {
		return n, ResidentID{}, false
	}
	birth, err := time.Parse("20060102", n[6:14])
	if err != nil || birth.Year() < 1900 || birth.After(today) {
		return n, ResidentID{}, false
	}
	g := "female"
	if (n[16]-'0')%2 == 1 {
		g = "male"
	}
	return n, ResidentID{BirthDate: birth.Format(dateLayout), Gender: g}, true
}

// normaliseIDNumber validates a document number of any type and returns it
// normalised (upper case, no spaces). A resident ID must also agree with the
// birth date and sex given for the person (when given).
func normaliseIDNumber(idType, number, birthDate, gender string, today time.Time) (string, ResidentID, map[string]string) {
	bad := map[string]string{}
	n := strings.ToUpper(strings.Join(strings.Fields(number), ""))
	switch idType {
	case model.IDResident:
		norm, rid, ok := ParseResidentID(n, today)
		if !ok {
			bad["id_number"] = "not a valid resident ID number (check digit or date)"
			return norm, rid, bad
		}
		if birthDate != "" && birthDate != rid.BirthDate {
			bad["birth_date"] = "does not agree with the resident ID number"
		}
		if gender != "" && gender != "unknown" && gender != rid.Gender {
			bad["gender"] = "does not agree with the resident ID number"
		}
		return norm, rid, bad
	case model.IDBirthCertificate, model.IDHMTPermit, model.IDPassport:
		if l := utf8.RuneCountInString(n); l < 5 || l > 24 || !alnum(n) {
			bad["id_number"] = "must be 5 to 24 letters or digits"
		}
		return n, ResidentID{}, bad
	}
	bad["id_type"] = "must be one of resident_id, birth_certificate, hmt_permit, passport"
	return n, ResidentID{}, bad
}

func alnum(s string) bool {
	for _, r := range s {
		if (r < '0' || r > '9') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return true
}

// MaskIDNumber keeps the first 4 and the last 4 characters
// (3307**********1234); shorter numbers keep only their last 2.
func MaskIDNumber(n string) string {
	if len(n) <= 8 {
		if len(n) <= 2 {
			return strings.Repeat("*", len(n))
		}
		return strings.Repeat("*", len(n)-2) + n[len(n)-2:]
	}
	return n[:4] + strings.Repeat("*", len(n)-8) + n[len(n)-4:]
}

// idLookup is the blind-index input of a document: the same type and
// number always give the same hash, and nothing else does.
func idLookup(idType, number string) string { return "person-id:" + idType + ":" + number }
