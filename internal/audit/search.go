package audit

import (
	"context"
	"encoding/csv"
	"encoding/hex"
	"io"
	"strconv"
	"time"
)

// Filter selects entries; zero fields match everything.
type Filter struct {
	From    time.Time // inclusive
	To      time.Time // exclusive
	Tenant  string
	Actor   string
	Action  string // "auth" matches "auth" and "auth.*"
	AfterID int64  // for paging
	Limit   int
}

// Search returns matching entries in id order.
func (l *Log) Search(ctx context.Context, f Filter) ([]Entry, error) {
	var out []Entry
	err := l.st.search(ctx, f, func(r row) error {
		e := r.Entry
		e.Time = time.UnixMilli(r.ts)
		out = append(out, e)
		return nil
	})
	return out, err
}

// ExportCSV writes matching entries as CSV (with each row's MAC, so an
// exported file can be checked against the log later) and returns how many
// it wrote. Cells that a spreadsheet would run as a formula are prefixed
// with an apostrophe.
func (l *Log) ExportCSV(ctx context.Context, w io.Writer, f Filter) (int, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"id", "time", "tenant", "actor", "action", "target", "outcome", "source", "detail", "mac"}); err != nil {
		return 0, err
	}
	n := 0
	err := l.st.search(ctx, f, func(r row) error {
		n++
		return cw.Write([]string{
			strconv.FormatInt(r.ID, 10), time.UnixMilli(r.ts).Format(time.RFC3339Nano),
			cell(r.Tenant), cell(r.Actor), cell(r.Action), cell(r.Target), cell(r.Outcome), cell(r.Source), cell(r.Detail),
			hex.EncodeToString(r.mac),
		})
	})
	if err != nil {
		return n, err
	}
	cw.Flush()
	return n, cw.Error()
}

// cell defuses CSV formula injection.
func cell(s string) string {
	if s != "" {
		switch s[0] {
		case '=', '+', '-', '@', '\t', '\r':
			return "'" + s
		}
	}
	return s
}
