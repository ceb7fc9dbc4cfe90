package testkit

import (
	"fmt"
	"slices"
	"strings"
)

// Amplify multiplies the rows a test made (MySQL/MariaDB only: it uses
// MariaDB's seq_1_to_N, or a recursive CTE on MySQL 8) so that the
// optimizer's choices are the ones of a big database. Each table gets
// about `rows` rows, copies of the rows it has:
//
//   - the first `same` copies of each row keep their owners: every column
//     but those a unique key needs changed (keyCols names them per table;
//     by default the first column of each unique key), so the test's own
//     lists grow beyond a page;
//   - the other copies also move every *_id column, so they belong to
//     owners nobody in the test is.
//
// Every copy moves its date and time columns by the same number of days
// (within a year either way), so time ranges select a part of the table.
// It returns the row count of each table afterwards.
func (h *Harness) Amplify(tables []string, same, rows int, keyCols map[string][]string) map[string]int64 {
	h.T.Helper()
	seq := "seq_1_to_%d"
	var version string
	if err := h.DB.Raw("SELECT VERSION()").Scan(&version).Error; err != nil {
		h.T.Fatal(err)
	}
	if !strings.Contains(version, "MariaDB") {
		seq = "(WITH RECURSIVE s(seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM s WHERE seq < %d) SELECT seq FROM s)"
	}
	out := map[string]int64{}
	for _, tb := range tables {
		var n int64
		if err := h.DB.Raw("SELECT COUNT(*) FROM `" + tb + "`").Scan(&n).Error; err != nil {
			h.T.Fatalf("amplify %s: %v", tb, err)
		}
		if n == 0 {
			out[tb] = 0
			continue
		}
		copies := max(int64(rows)/n, 2)
		keep := min(int64(same), copies-1)
		cols := h.amplifyColumns(tb, keyCols[tb])
		names := make([]string, len(cols))
		exprs := make([]string, len(cols))
		for i, c := range cols {
			names[i] = "`" + c.name + "`"
			exprs[i] = c.expr(keep)
		}
		q := fmt.Sprintf("INSERT INTO `%s` (%s) SELECT %s FROM `%s` AS src CROSS JOIN "+seq+" AS s",
			tb, strings.Join(names, ", "), strings.Join(exprs, ", "), tb, copies)
		if err := h.DB.Exec(q).Error; err != nil {
			h.T.Fatalf("amplify %s: %v\n%s", tb, err, q)
		}
		if err := h.DB.Exec("ANALYZE TABLE `" + tb + "`").Error; err != nil {
			h.T.Fatal(err)
		}
		if err := h.DB.Raw("SELECT COUNT(*) FROM `" + tb + "`").Scan(&n).Error; err != nil {
			h.T.Fatal(err)
		}
		out[tb] = n
	}
	return out
}

type ampColumn struct {
	name, kind string // kind: key, owner, time, keep
	str, hasID bool
}

// expr is what copy s.seq puts in the column.
func (c ampColumn) expr(same int64) string {
	col := "src.`" + c.name + "`"
	shift := func() string {
		if c.str && !c.hasID {
			return fmt.Sprintf("CONCAT(%s, '~', s.seq)", col)
		}
		if c.str {
			// Unique per source row and copy, as long as the original
			// (from 16 characters).
			return fmt.Sprintf("CONCAT(LEFT(%s, GREATEST(CHAR_LENGTH(%s) - 16, 0)), LPAD(HEX(src.id), 8, '0'), LPAD(HEX(s.seq), 8, '0'))", col, col)
		}
		return col + " + s.seq * 100000"
	}
	switch c.kind {
	case "key":
		return shift()
	case "owner":
		return fmt.Sprintf("IF(s.seq <= %d, %s, %s)", same, col, shift())
	case "time":
		return col + " + INTERVAL (CAST((s.seq * 7919) % 731 AS SIGNED) - 365) DAY"
	}
	return col
}

// amplifyColumns classifies the columns of tb (id and generated columns
// left out).
func (h *Harness) amplifyColumns(tb string, keys []string) []ampColumn {
	h.T.Helper()
	var cols []struct {
		Name     string `gorm:"column:column_name"`
		DataType string `gorm:"column:data_type"`
		Extra    string `gorm:"column:extra"`
	}
	if err := h.DB.Raw("SELECT column_name, data_type, extra FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position", tb).
		Scan(&cols).Error; err != nil {
		h.T.Fatal(err)
	}
	hasID := slices.ContainsFunc(cols, func(c struct {
		Name     string `gorm:"column:column_name"`
		DataType string `gorm:"column:data_type"`
		Extra    string `gorm:"column:extra"`
	}) bool {
		return c.Name == "id"
	})
	if keys == nil {
		// The first column of each unique key (of the primary key too when
		// it is not an id).
		var firsts []string
		if err := h.DB.Raw("SELECT column_name FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? AND non_unique = 0 AND (index_name <> 'PRIMARY' OR ?) AND seq_in_index = 1", tb, !hasID).
			Scan(&firsts).Error; err != nil {
			h.T.Fatal(err)
		}
		keys = firsts
	}
	isKey := map[string]bool{}
	for _, k := range keys {
		isKey[k] = true
	}
	var out []ampColumn
	for _, c := range cols {
		extra := strings.ToUpper(c.Extra)
		if c.Name == "id" || strings.Contains(extra, "GENERATED") || strings.Contains(extra, "VIRTUAL") || strings.Contains(extra, "STORED") {
			continue
		}
		dt := strings.ToLower(c.DataType)
		integer := strings.Contains(dt, "int")
		str := strings.Contains(dt, "char") || strings.Contains(dt, "binary")
		a := ampColumn{name: c.Name, kind: "keep", str: str, hasID: hasID}
		switch {
		case isKey[c.Name] && (integer || str):
			a.kind = "key"
		case integer && strings.HasSuffix(c.Name, "_id"):
			a.kind = "owner"
		case dt == "datetime" || dt == "timestamp" || dt == "date":
			a.kind = "time"
		}
		out = append(out, a)
	}
	return out
}
