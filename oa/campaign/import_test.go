package campaign

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestImportReportsEachBadRowByLineAndStoresNothingOfIt(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	c, err := f.svc.Create(ctx, "demo", "sup", Input{Name: "导入", Mode: ModePreview})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AddDNC(ctx, "demo", "sup", "13700137000", "投诉"); err != nil {
		t.Fatal(err)
	}
	csv := "\ufeff电话,姓名,备注\n" +
		"13800138000,张三,第一行\n" + // 2
		"1380013800X,坏号码,不应保存\n" + // 3
		"1001,分机,\n" + // 4
		"+86 138-0013-8000,重复,\n" + // 5: line 2's number again
		"\n" + // 6: blank, passed over
		"13700137000,勿扰,\n" + // 7: on the do-not-call list
		"010-6552-9988,\"李四, 站点\",座机\n" + // 8
		"13900139000," + strings.Repeat("长", 61) + ",\n" + // 9
		"6552 9989,本地,\n" // 10: completed with 010
	rep, err := f.svc.Import(ctx, "demo", "sup", c.ID, strings.NewReader(csv), false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{3: "phone", 4: "extension", 5: "line 2", 7: "do-not-call", 9: "name"}
	if rep.Accepted != 3 || len(rep.Rejected) != len(want) {
		t.Fatalf("report %+v", rep)
	}
	for _, r := range rep.Rejected {
		if !strings.Contains(r.Reason, want[r.Line]) {
			t.Errorf("line %d rejected for %q, want it to say %q", r.Line, r.Reason, want[r.Line])
		}
	}
	list, total, err := f.svc.Targets(ctx, "demo", c.ID, "", 100, 0)
	if err != nil || total != 3 {
		t.Fatalf("%d stored: %v", total, err)
	}
	got := map[int]string{}
	for _, tg := range list {
		got[tg.Line] = tg.Phone + " " + tg.Name
	}
	if got[2] != "138****8000 张三" || got[8] != "010****9988 李四, 站点" || got[10] != "010****9989 本地" {
		t.Errorf("stored %v", got)
	}
	n, err := f.svc.targetNumber(ctx, list[0].ID)
	if err != nil || n != "13800138000" {
		t.Errorf("sealed number opens to %q: %v", n, err)
	}

	// The same list as an Excel workbook: lines are the sheet's rows.
	x := excelize.NewFile()
	rows := [][]any{{"号码", "姓名"}, {"13600136000", "王五"}, {"abc", "坏行"}, {"13600136001", "赵六"}}
	for i, r := range rows {
		if err := x.SetSheetRow("Sheet1", "A"+string(rune('1'+i)), &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		t.Fatal(err)
	}
	rep, err = f.svc.Import(ctx, "demo", "sup", c.ID, &buf, true)
	if err != nil || rep.Accepted != 2 || len(rep.Rejected) != 1 || rep.Rejected[0].Line != 3 {
		t.Fatalf("xlsx report %+v %v", rep, err)
	}

	// A file that cannot be a list is refused whole.
	for _, bad := range []string{"", "姓名,备注\n张三,x\n"} {
		if _, err := f.svc.Import(ctx, "demo", "sup", c.ID, strings.NewReader(bad), false); err == nil {
			t.Errorf("%q imported", bad)
		}
	}
}

// FuzzParseCSV: whatever the bytes, the parser neither panics nor loses
// track of lines: every row it keeps or refuses names a line after the
// header, kept rows in order, and no line is both kept and refused.
func FuzzParseCSV(f *testing.F) {
	f.Add([]byte("phone,name\n13800138000,张三\n"))
	f.Add([]byte("\ufeff电话;姓名;备注\n13800138000;\"a;b\";x\n\"bad\"quote;y\n139\n"))
	f.Add([]byte("号码\t姓名\n1\t\"\n\n"))
	f.Add([]byte("phone\n\"unterminated\n13800138000\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseCSV(bytes.NewReader(data))
		if err != nil {
			return
		}
		seen := map[int]bool{}
		last := 0
		for _, r := range p.Rows {
			if r.Line < 2 || r.Line < last {
				t.Fatalf("row at line %d after %d", r.Line, last)
			}
			last = r.Line
			seen[r.Line] = true
		}
		for _, r := range p.Rejected {
			if r.Line < 1 || r.Reason == "" {
				t.Fatalf("rejected %+v", r)
			}
			if seen[r.Line] {
				t.Fatalf("line %d both kept and refused", r.Line)
			}
		}
	})
}
