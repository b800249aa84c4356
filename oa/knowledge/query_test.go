package knowledge

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseQuery(t *testing.T) {
	cases := []struct {
		in   string
		want Query
	}{
		{"彩票站点报修", Query{Words: []string{"彩票站点报修"}}},
		{`POS机 "无法 联网" -退款`, Query{Words: []string{"pos机"}, Phrases: []string{"无法 联网"}, Not: []string{"退款"}}},
		{"“设备故障”，怎么办？", Query{Phrases: []string{"设备故障"}, Words: []string{"怎么办"}}},
		{`-"整句 排除" 报修`, Query{Words: []string{"报修"}, Not: []string{"整句 排除"}}},
		{`"未闭合 的引号`, Query{Phrases: []string{"未闭合 的引号"}}},
		{"ＰＯＳ　终端", Query{Words: []string{"pos", "终端"}}},
		{"a - b", Query{Words: []string{"a", "b"}}},
	}
	for _, c := range cases {
		got, err := ParseQuery(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: got %+v, want %+v", c.in, got, c.want)
		}
	}
	for _, bad := range []string{"", "   ", "-退款", `""`, strings.Repeat("长", 200), "\xff\xfe"} {
		if q, err := ParseQuery(bad); err == nil {
			t.Errorf("%q: accepted as %+v", bad, q)
		}
	}
}

// FuzzParseQuery: any input either is refused or parses into a bounded
// query of non-empty, space-trimmed parts, each of which occurs in the
// folded input.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"彩票站点报修", `"a b" -c`, "“x”「y」", "-", `-"`, "ＡＢ　ｃ", "a-b-c", "\"\"\"", "，，"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuery(s)
		if err != nil {
			return
		}
		if len(s) > MaxQueryBytes || !utf8.ValidString(s) {
			t.Fatalf("%q accepted", s)
		}
		parts := append(append(append([]string{}, q.Words...), q.Phrases...), q.Not...)
		if len(parts) > MaxQueryParts || len(q.Words)+len(q.Phrases) == 0 {
			t.Fatalf("%q: %d parts", s, len(parts))
		}
		folded := normalise(s)
		for _, p := range parts {
			if p == "" || strings.TrimSpace(p) != p {
				t.Fatalf("%q: part %q", s, p)
			}
			for _, w := range strings.Fields(p) {
				if !strings.Contains(folded, w) {
					t.Fatalf("%q: part %q not in the input", s, w)
				}
			}
		}
	})
}
