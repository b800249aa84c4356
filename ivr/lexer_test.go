package ivr

import (
	"fmt"
	"strings"
	"testing"
)

func lexString(t *testing.T, src string) ([]token, *diags) {
	t.Helper()
	d := newDiags("t.ivr")
	return lex("t.ivr", src, d), d
}

// render prints tokens as kind:text@line:col for compact comparison.
func render(toks []token) string {
	var b []string
	for _, tk := range toks {
		s := fmt.Sprintf("%d@%d:%d", tk.kind, tk.pos.Line, tk.pos.Col)
		if tk.text != "" {
			s = tk.text + "@" + fmt.Sprintf("%d:%d", tk.pos.Line, tk.pos.Col)
		}
		b = append(b, s)
	}
	return strings.Join(b, " ")
}

func TestLexIndentationAndComments(t *testing.T) {
	src := "\uFEFF# header\nmain:\r\n  answer  # trailing\n\n    \n  menu:\n    1: hangup\nnext:\n  hangup"
	toks, d := lexString(t, src)
	if len(d.list) > 0 {
		t.Fatal(d.list)
	}
	var kinds []string
	for _, tk := range toks {
		kinds = append(kinds, tk.kind.String())
	}
	want := `name ":" end of line indentation name end of line name ":" end of line indentation number ":" name end of line end of block end of block name ":" end of line indentation name end of line end of block end of file`
	if got := strings.Join(kinds, " "); got != want {
		t.Fatalf("kinds:\n%s\nwant:\n%s", got, want)
	}
	if toks[0].pos.Line != 2 || toks[0].pos.Col != 1 {
		t.Fatalf("main at %v", toks[0].pos)
	}
}

func TestLexWordsJoinClockDateAndRanges(t *testing.T) {
	toks, d := lexString(t, "x 09:00-17:30 2026-02-01..2026-02-28 1-5 1.5s 500ms 1: 8001,2\n")
	if len(d.list) > 0 {
		t.Fatal(d.list)
	}
	var words []string
	for _, tk := range toks {
		if tk.kind == tWord || tk.kind == tColon || tk.kind == tComma {
			words = append(words, tk.describe())
		}
	}
	want := `"09:00-17:30" "2026-02-01..2026-02-28" "1-5" "1.5s" "500ms" "1" ":" "8001" "," "2"`
	if got := strings.Join(words, " "); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestLexStringsColumnsAndInterpolation(t *testing.T) {
	toks, d := lexString(t, "play tts \"您好 ${name}，\\\"号\\\" \\$5 \\n\" voice x\n")
	if len(d.list) > 0 {
		t.Fatal(d.list)
	}
	s := toks[2]
	if s.kind != tString || len(s.parts) != 3 || s.parts[0].Lit != "您好 " || s.parts[1].Var != "name" || s.parts[2].Lit != "，\"号\" $5 \n" {
		t.Fatalf("string token %+v", s)
	}
	// Columns count characters: "voice" follows a 24-character string at column 10.
	if v := toks[3]; v.text != "voice" || v.pos.Col != 36 {
		t.Fatalf("voice at col %d", v.pos.Col)
	}
}

func TestLexOperatorsAndVariables(t *testing.T) {
	toks, _ := lexString(t, "if $a == 1 and $b != \"x\" or $c <= 2 or $d >= 3 or $e < 4 or $f > 5: set $g = 1\n")
	got := render(toks)
	for _, w := range []string{"a@1:4", "b@1:16", "g@1:73"} {
		if !strings.Contains(got, w) {
			t.Errorf("%s missing in %s", w, got)
		}
	}
	var ops []tokKind
	for _, tk := range toks {
		if tk.kind >= tAssign {
			ops = append(ops, tk.kind)
		}
	}
	if fmt.Sprint(ops) != fmt.Sprint([]tokKind{tEq, tNe, tLe, tGe, tLt, tGt, tAssign}) {
		t.Fatalf("operators %v", ops)
	}
}

func TestLexErrors(t *testing.T) {
	cases := map[string]string{
		"main:\n\tanswer\n":          "t.ivr:2:1: tab in indentation; indent with spaces",
		"play \"abc\n":               "t.ivr:1:6: string is not closed before the end of the line",
		"set $ = 1\n":                "t.ivr:1:5: '$' must start a variable name such as $outlet",
		"play 你好\n":                  "t.ivr:1:6: unexpected '你'; put text in double quotes",
		"a:\n    b\n  c\n":           "t.ivr:3:3: indentation does not match any enclosing block",
		"x ! y\n":                    "t.ivr:1:3: unexpected \"!\"; write \"!=\" or \"not\"",
		"x \"\xff\"\n":               "t.ivr:1:4: invalid UTF-8 in string",
		"x \"${a\"\n":                "t.ivr:1:4: bad ${...} in string: want ${name}",
		"1\uff1a goto\n":             "t.ivr:1:2: unexpected full-width colon '：'; use \":\"",
		strings.Repeat("#", 1<<20+1): "t.ivr:1:1: file is larger than 1048576 bytes",
	}
	for src, want := range cases {
		_, d := lexString(t, src)
		if len(d.list) == 0 || d.list[0].String() != want {
			t.Errorf("%.20q: got %v, want %s", src, d.list, want)
		}
	}
}
