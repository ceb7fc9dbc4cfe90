package service

import (
	"familycare/pagination"

	"gorm.io/gorm"
)

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

// findPageByID reads one page of q keyed by id: newest first (id DESC) or
// oldest first, continuing after the cursor. It is the paging of every list
// ordered by id alone; q carries the filters.
func findPageByID[T any](q *gorm.DB, p pagination.Page, newestFirst bool, id func(T) int64) ([]T, string, error) {
	var cur idCursor
	if err := decodeCursor(p.Cursor, &cur); err != nil {
		return nil, "", err
	}
	limit := pageLimit(p.Limit)
	if newestFirst {
		if cur.ID > 0 {
			q = q.Where("id < ?", cur.ID)
		}
		q = q.Order("id DESC")
	} else {
		q = q.Where("id > ?", cur.ID).Order("id")
	}
	var rows []T
	if err := q.Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, "", err
	}
	if len(rows) <= limit {
		return rows, "", nil
	}
	rows = rows[:limit]
	return rows, pagination.Encode(idCursor{ID: id(rows[limit-1])}), nil
}

// filterBy adds "col = value" to q for each (col, value) pair whose value is
// set (not "" and not 0): the optional filters of a list.
func filterBy(q *gorm.DB, pairs ...any) *gorm.DB {
	for i := 0; i+1 < len(pairs); i += 2 {
		switch v := pairs[i+1].(type) {
		case string:
			if v == "" {
				continue
			}
		case int64:
			if v == 0 {
				continue
			}
		case int:
			if v == 0 {
				continue
			}
		}
		q = q.Where(pairs[i].(string)+" = ?", pairs[i+1])
	}
	return q
}

// loadGrouped reads the rows of T whose col is one of ids, in order, grouped
// by key: the children (items, history, doctors) of a page of parents.
func loadGrouped[T any](db *gorm.DB, col string, ids []int64, order string, key func(T) int64) (map[int64][]T, error) {
	out := map[int64][]T{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []T
	if err := db.Where(col+" IN ?", ids).Order(order).Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[key(r)] = append(out[key(r)], r)
	}
	return out, nil
}

// indexBy maps rows by key.
func indexBy[T any](rows []T, key func(T) int64) map[int64]T {
	out := make(map[int64]T, len(rows))
	for _, r := range rows {
		out[key(r)] = r
	}
	return out
}
