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
	return findPageByIDEach([]*gorm.DB{q}, p, newestFirst, id)
}

// findPageByIDEach is findPageByID over a list that is the union of reads
// (one per clinic: Principal.ApplyEach; or one per side of an OR): each read
// continues after the cursor in id order, and mergePage joins them.
func findPageByIDEach[T any](reads []*gorm.DB, p pagination.Page, newestFirst bool, id func(T) int64) ([]T, string, error) {
	var cur idCursor
	if err := decodeCursor(p.Cursor, &cur); err != nil {
		return nil, "", err
	}
	limit := pageLimit(p.Limit)
	order, less := "id", func(a, b T) bool { return id(a) < id(b) }
	if newestFirst {
		order, less = "id DESC", func(a, b T) bool { return id(a) > id(b) }
	}
	for i, q := range reads {
		switch {
		case !newestFirst:
			reads[i] = q.Where("id > ?", cur.ID)
		case cur.ID > 0:
			reads[i] = q.Where("id < ?", cur.ID)
		}
	}
	rows, err := mergePage(reads, order, limit+1, less, id)
	if err != nil || len(rows) <= limit {
		return rows, "", err
	}
	rows = rows[:limit]
	return rows, pagination.Encode(idCursor{ID: id(rows[limit-1])}), nil
}

// mergePage reads the first n rows of a list that is the union of reads,
// each a query of one part (a clinic of a branch, a side of an OR) that an
// index serves in the list's order: each read takes its first n rows in
// order, and the parts merge (the least head first, by less, which must be
// the order of order), a row two parts share (the same key) kept once. The
// first n rows of the union are among the first n of their part, so the
// merged rows are the list's first n: a page and the row that says there is
// a next one. One read is the list itself.
func mergePage[T any](reads []*gorm.DB, order string, n int, less func(a, b T) bool, key func(T) int64) ([]T, error) {
	parts := make([][]T, len(reads))
	for i, q := range reads {
		if err := q.Order(order).Limit(n).Find(&parts[i]).Error; err != nil {
			return nil, err
		}
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	out := make([]T, 0, n)
	seen := map[int64]bool{}
	for len(out) < n {
		least := -1
		for i, part := range parts {
			if len(part) > 0 && (least < 0 || less(part[0], parts[least][0])) {
				least = i
			}
		}
		if least < 0 {
			break
		}
		r := parts[least][0]
		parts[least] = parts[least][1:]
		if k := key(r); !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out, nil
}

// fork is q to branch from: conditions added to what it returns do not
// reach q nor another fork of it.
func fork(q *gorm.DB) *gorm.DB { return q.Session(&gorm.Session{}) }

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
