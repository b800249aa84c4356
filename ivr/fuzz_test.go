package ivr

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

func fuzzSeeds(f *testing.F) {
	files, _ := filepath.Glob("testdata/bad/*.ivr")
	more, _ := filepath.Glob("../configs/ivr/*.ivr")
	for _, p := range append(files, more...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	f.Add("m:\n  if $a == 1 and (time(09:00-10:00) or weekday(mon-fri)): goto m\n  hangup\n")
	f.Add("m:\n  when:\n    date(2026-02-15..2026-02-23): hangup\n    else: return\n")
}

// FuzzLex checks that the lexer never panics and that its token stream is
// well formed: it ends in EOF, blocks balance, and positions are sane.
func FuzzLex(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, src string) {
		d := newDiags("f.ivr")
		toks := lex("f.ivr", src, d)
		if len(toks) == 0 || toks[len(toks)-1].kind != tEOF {
			t.Fatal("no EOF at the end")
		}
		depth := 0
		for i, tk := range toks {
			switch tk.kind {
			case tIndent:
				depth++
			case tDedent:
				depth--
			case tEOF:
				if i != len(toks)-1 {
					t.Fatal("EOF before the end")
				}
			}
			if depth < 0 || tk.pos.Line < 1 || tk.pos.Col < 1 {
				t.Fatalf("bad token %d %+v (depth %d)", i, tk, depth)
			}
			if i > 0 && tk.pos.Line < toks[i-1].pos.Line {
				t.Fatalf("positions go backwards at %d", i)
			}
		}
		if depth != 0 {
			t.Fatalf("unbalanced blocks: %d", depth)
		}
	})
}

// FuzzParse checks that parsing and checking never panic, that every
// diagnostic has a position, and that any flow that loads also runs to an
// end against a silent caller.
func FuzzParse(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, src string) {
		l := Loader{Prompts: testPrompts(), Calendars: nil}
		set, err := l.Load(fstest.MapFS{"f.ivr": {Data: []byte(src)}, "other.ivr": {Data: []byte("m:\n  hangup\n")}})
		if err != nil {
			el, ok := err.(ErrorList)
			if !ok || len(el) == 0 {
				t.Fatalf("error is not a non-empty ErrorList: %v", err)
			}
			for _, d := range el {
				if d.Pos.File == "" || d.Pos.Line < 1 || d.Pos.Col < 1 || d.Msg == "" {
					t.Fatalf("bad diagnostic %+v", d)
				}
			}
			return
		}
		if _, err := set.ParseFragment("f", src); err != nil {
			_ = err // a whole flow is rarely a valid fragment; it must only not panic
		}
		in := NewInterpreter(Options{MaxSteps: 300, Clock: clockAt("2026-02-14 10:00")})
		res, err := in.Run(context.Background(), set, "f", &fakeSession{keys: []string{"1", "2", "123456", "#"}}, nil)
		if res.Outcome == 0 {
			t.Fatalf("run ended without an outcome (err %v)", err)
		}
	})
}
