package campaign

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"github.com/yimen/yimen/oa"
)

// MaxImportRows bounds one file's data rows.
const MaxImportRows = 100_000

// columns are the header names a list's columns are known by.
var columns = map[string]string{
	"phone": "phone", "number": "phone", "电话": "phone", "号码": "phone", "电话号码": "phone", "手机": "phone",
	"name": "name", "姓名": "name", "客户": "name",
	"note": "note", "备注": "note",
	"customer_id": "customer_id", "客户编号": "customer_id",
}

// Parsed is a list file read row by row: the rows to store (each with its
// line) and the rows already refused while reading.
type Parsed struct {
	Rows     []NewTarget
	Rejected []RowError
}

// ParseCSV reads a list in CSV (UTF-8, a BOM allowed, comma or the first
// line's tab/semicolon as separator) whose first line names the columns
// (phone/电话/号码 required; name/姓名, note/备注, customer_id). A line
// that cannot be read is rejected with its number and the reading goes on.
func ParseCSV(r io.Reader) (Parsed, error) {
	data, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return Parsed{}, err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	if first, _, _ := bytes.Cut(data, []byte("\n")); bytes.Count(first, []byte("\t")) > bytes.Count(first, []byte(",")) {
		cr.Comma = '\t'
	} else if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		cr.Comma = ';'
	}
	var p Parsed
	var idx map[string]int
	lastErrLine := -1
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			if idx == nil {
				return Parsed{}, fmt.Errorf("line %d: the header cannot be read: %v", pe.StartLine, pe.Err)
			}
			if pe.StartLine == lastErrLine { // the reader cannot move past it
				break
			}
			lastErrLine = pe.StartLine
			p.Rejected = append(p.Rejected, RowError{Line: pe.StartLine, Reason: "cannot be read as CSV: " + pe.Err.Error()})
			continue
		}
		if err != nil {
			return Parsed{}, err
		}
		line, _ := cr.FieldPos(0) // only valid for a record read without error
		if idx == nil {
			if idx, err = header(rec); err != nil {
				return Parsed{}, fmt.Errorf("line %d: %w", line, err)
			}
			continue
		}
		if done, err := p.add(idx, rec, line); err != nil || done {
			return p, err
		}
	}
	if idx == nil {
		return Parsed{}, errors.New("the file is empty: the first line names the columns (phone, name, note)")
	}
	return p, nil
}

// ParseXLSX reads a list from the first sheet of an Excel workbook, its
// first row naming the columns as in ParseCSV; lines are the sheet's rows.
func ParseXLSX(r io.Reader) (Parsed, error) {
	f, err := excelize.OpenReader(io.LimitReader(r, 64<<20))
	if err != nil {
		return Parsed{}, fmt.Errorf("not an Excel workbook (.xlsx): %w", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return Parsed{}, errors.New("the workbook has no sheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return Parsed{}, err
	}
	defer rows.Close()
	var p Parsed
	var idx map[string]int
	line := 0
	for rows.Next() {
		line++
		rec, err := rows.Columns()
		if err != nil {
			p.Rejected = append(p.Rejected, RowError{Line: line, Reason: "cannot be read: " + err.Error()})
			continue
		}
		if idx == nil {
			if blank(rec) {
				continue
			}
			if idx, err = header(rec); err != nil {
				return Parsed{}, fmt.Errorf("row %d: %w", line, err)
			}
			continue
		}
		if done, err := p.add(idx, rec, line); err != nil || done {
			return p, err
		}
	}
	if idx == nil {
		return Parsed{}, errors.New("the sheet is empty: the first row names the columns (phone, name, note)")
	}
	return p, rows.Error()
}

func header(rec []string) (map[string]int, error) {
	idx := map[string]int{}
	for i, h := range rec {
		h = strings.ToLower(strings.TrimSpace(h))
		if c, ok := columns[h]; ok {
			if _, dup := idx[c]; dup {
				return nil, fmt.Errorf("column %q twice", h)
			}
			idx[c] = i
		}
	}
	if _, ok := idx["phone"]; !ok {
		return nil, errors.New("no phone column (phone, number, 电话, 号码)")
	}
	return idx, nil
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// add takes one data row; blank rows are passed over. done: the file has
// more rows than one import takes (the rest are refused as one).
func (p *Parsed) add(idx map[string]int, rec []string, line int) (bool, error) {
	if blank(rec) {
		return false, nil
	}
	if len(p.Rows)+len(p.Rejected) >= MaxImportRows {
		p.Rejected = append(p.Rejected, RowError{Line: line, Reason: fmt.Sprintf("more than %d rows: this row and those after it were not read", MaxImportRows)})
		return true, nil
	}
	get := func(col string) string {
		if i, ok := idx[col]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	nt := NewTarget{Line: line, Phone: get("phone"), Name: get("name"), Note: get("note")}
	for _, v := range rec {
		if !utf8.ValidString(v) {
			p.Rejected = append(p.Rejected, RowError{Line: line, Reason: "not UTF-8 text (save the file as CSV UTF-8)"})
			return false, nil
		}
	}
	if v := get("customer_id"); v != "" {
		var id int64
		if _, err := fmt.Sscan(v, &id); err != nil || id <= 0 || fmt.Sprint(id) != v {
			p.Rejected = append(p.Rejected, RowError{Line: line, Reason: "customer_id: not a customer number"})
			return false, nil
		}
		nt.CustomerID = id
	}
	p.Rows = append(p.Rows, nt)
	return false, nil
}

// Import reads a list file (CSV, or XLSX when xlsx is set) into a
// campaign: every row checked and stored whole or reported by its line.
func (s *Service) Import(ctx context.Context, tenant, actor string, id int64, r io.Reader, xlsx bool) (Report, error) {
	parse := ParseCSV
	if xlsx {
		parse = ParseXLSX
	}
	p, err := parse(r)
	if err != nil {
		return Report{}, oa.FieldErrors{"file": err.Error()}
	}
	rep, err := s.AddTargets(ctx, tenant, actor, id, p.Rows)
	if err != nil {
		return Report{}, err
	}
	rep.Rejected = append(p.Rejected, rep.Rejected...)
	sortRows(rep.Rejected)
	return rep, nil
}

func sortRows(r []RowError) {
	slices.SortStableFunc(r, func(a, b RowError) int { return a.Line - b.Line })
}
