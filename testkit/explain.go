package testkit

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"gorm.io/gorm"
)

// SQLLog records the SELECT statements a harness's app runs, with their
// parameters inlined as the driver sends them, so a test can EXPLAIN the
// very queries the handlers make.
type SQLLog struct {
	mu    sync.Mutex
	stmts []string
}

var sqlLogSeq struct {
	sync.Mutex
	n int
}

// RecordSQL starts recording the SELECT statements run on h.DB (the pool
// the app uses). Call it before the requests to record.
func (h *Harness) RecordSQL() *SQLLog {
	l := &SQLLog{}
	sqlLogSeq.Lock()
	sqlLogSeq.n++
	name := "testkit:sqllog:" + strconv.Itoa(sqlLogSeq.n)
	sqlLogSeq.Unlock()
	record := func(db *gorm.DB) {
		if db.Error != nil || db.Statement == nil || db.Statement.SQL.Len() == 0 {
			return
		}
		s := db.Statement.SQL.String()
		if !strings.HasPrefix(strings.ToUpper(strings.TrimSpace(s)), "SELECT") {
			return
		}
		full := db.Dialector.Explain(s, db.Statement.Vars...)
		l.mu.Lock()
		l.stmts = append(l.stmts, full)
		l.mu.Unlock()
	}
	if err := h.DB.Callback().Query().After("gorm:query").Register(name, record); err != nil {
		h.T.Fatalf("testkit: record sql: %v", err)
	}
	if err := h.DB.Callback().Row().After("gorm:row").Register(name, record); err != nil {
		h.T.Fatalf("testkit: record sql: %v", err)
	}
	return l
}

// Take returns the statements recorded since the last Take.
func (l *SQLLog) Take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.stmts
	l.stmts = nil
	return out
}

// PlanRow is one row of MySQL/MariaDB EXPLAIN output.
type PlanRow struct {
	Table, Type, Key, Extra string
	Rows                    int64
}

func (p PlanRow) String() string {
	return fmt.Sprintf("table=%s type=%s key=%s rows=%d extra=%q", p.Table, p.Type, p.Key, p.Rows, p.Extra)
}

// Explain runs EXPLAIN on query (MySQL/MariaDB/TiDB only).
func (h *Harness) Explain(query string) []PlanRow {
	h.T.Helper()
	rows, err := h.DB.Raw("EXPLAIN " + query).Rows()
	if err != nil {
		h.T.Fatalf("testkit: EXPLAIN %s: %v", query, err)
	}
	defer func() { _ = rows.Close() }()
	cols, err := rows.Columns()
	if err != nil {
		h.T.Fatal(err)
	}
	var out []PlanRow
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			h.T.Fatal(err)
		}
		var p PlanRow
		for i, c := range cols {
			v := ""
			switch x := vals[i].(type) {
			case []byte:
				v = string(x)
			case nil:
			default:
				v = fmt.Sprint(x)
			}
			switch strings.ToLower(c) {
			case "table":
				p.Table = v
			case "type":
				p.Type = v
			case "key":
				p.Key = v
			case "extra":
				p.Extra = v
			case "rows":
				p.Rows, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		h.T.Fatal(err)
	}
	return out
}
