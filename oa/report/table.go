package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/yimen/yimen/oa"
)

// Column is one column of a report.
type Column struct {
	Key   string `json:"key"`
	Label string `json:"label"`
}

// Table is a report as every API, export and chart reads it: its rows,
// its columns in order, and the formulas its figures follow.
type Table struct {
	Report   string            `json:"report"`
	Title    string            `json:"title"`
	From     time.Time         `json:"from"`
	To       time.Time         `json:"to"`
	By       string            `json:"by"`
	Formulas map[string]string `json:"formulas"`
	Columns  []Column          `json:"columns"`
	Rows     []map[string]any  `json:"rows"`
	Total    int               `json:"total"`
}

// WriteCSV writes the table with a header of labels (UTF-8 with a BOM,
// so spreadsheet programs read the Chinese labels).
func (t Table) WriteCSV(w io.Writer) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	head := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = c.Label
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, r := range t.Rows {
		rec := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			rec[i] = Cell(r[c.Key])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Cell renders a value as a CSV or spreadsheet cell.
func Cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case *float64:
		if x == nil {
			return ""
		}
		return strconv.FormatFloat(*x, 'f', -1, 64)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case *int64:
		if x == nil {
			return ""
		}
		return strconv.FormatInt(*x, 10)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// Range is a report's period; To is exclusive.
type Range struct {
	From, To time.Time
}

// MaxRange bounds one report's period.
const MaxRange = 400 * 24 * time.Hour

func (r Range) check() error {
	switch {
	case r.From.IsZero() || r.To.IsZero():
		return oa.FieldErrors{"from": "from and to are required"}
	case !r.To.After(r.From):
		return oa.FieldErrors{"to": "after from"}
	case r.To.Sub(r.From) > MaxRange:
		return oa.FieldErrors{"to": "at most 400 days after from"}
	}
	return nil
}

func (r Range) ms() (int64, int64) { return r.From.UnixMilli(), r.To.UnixMilli() }

// intervals is the range in whole intervals, as the fact tables hold it:
// from rounded down, to rounded up.
func (r Range) intervals() (int64, int64) {
	to := r.To.UnixMilli()
	if f := floorInterval(to); f != to {
		to = f + intervalMS
	}
	return floorInterval(r.From.UnixMilli()), to
}
