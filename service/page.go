package service

import "familycare/pagination"

// decodeCursor reads a cursor; one we did not issue is a 422 on the field.
func decodeCursor(cursor string, v any) error {
	if err := pagination.Decode(cursor, v); err != nil {
		return InvalidField("cursor", "is not valid")
	}
	return nil
}

// pageLimit clamps a page size.
func pageLimit(n int) int {
	if n <= 0 {
		return pagination.DefaultLimit
	}
	if n > pagination.MaxLimit {
		return pagination.MaxLimit
	}
	return n
}

// idCursor is the position of lists ordered by id.
type idCursor struct {
	ID int64 `json:"id"`
}
