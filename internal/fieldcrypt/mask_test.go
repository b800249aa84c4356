package fieldcrypt

import (
	"strings"
	"testing"
)

func TestMask(t *testing.T) {
	cases := map[string]string{
		"13812345678":       "138****5678",
		"+86 138 1234 5678": "138****5678",
		"0086-13812345678":  "138****5678",
		"01062345678":       "010****5678",
		"62345678":          "****5678",
		"+12025550123":      "+120****0123",
		"12345":             "12345",
		"1001":              "1001",
		"":                  "**",
		"sip:alice@example": "si*************le",
	}
	for in, want := range cases {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskID(t *testing.T) {
	cases := map[string]string{
		"11010519491231002X": "110105********002X",
		"110105194912310021": "110105********0021",
		"110105491231002":    "110105******002",
		"abc":                "a*c",
	}
	for in, want := range cases {
		if got := MaskID(in); got != want {
			t.Errorf("MaskID(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzMask(f *testing.F) {
	for _, s := range []string{"+860086 8613812345678", "13812345678", "+86 138-1234-5678", "0086(138)12345678", "12345", "+", "张三丰", "sip:1001@pbx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := Mask(s)
		// At most 3+4 digits of a long number, 4 of a medium one, survive.
		if looksLikePhone(s) {
			d := strings.TrimPrefix(NormalizePhone(s), "+")
			shown := 0
			for _, c := range m {
				if c >= '0' && c <= '9' {
					shown++
				}
			}
			if (len(d) >= 11 && shown > 7) || (len(d) >= 7 && len(d) < 11 && shown > 4) {
				t.Fatalf("Mask(%q) = %q shows %d digits", s, m, shown)
			}
		}
		if r := []rune(m); !looksLikePhone(s) && len(r) >= 3 {
			// Only the ends survive masking: everything between is '*'.
			keep := 1
			if len(r) > 8 {
				keep = 2
			}
			if strings.Trim(string(r[keep:len(r)-keep]), "*") != "" {
				t.Fatalf("MaskText(%q) = %q keeps its middle", s, m)
			}
		}
		// Normalisation is idempotent, so an index written once matches any later lookup.
		n := Normalize([]byte(s))
		if string(Normalize(n)) != string(n) {
			t.Fatalf("Normalize not idempotent on %q: %q -> %q", s, n, Normalize(n))
		}
		MaskID(s)
	})
}

func TestMaskName(t *testing.T) {
	for in, want := range map[string]string{
		"alice":             "alice",       // a plain login name is no personal number
		"agent1001":         "agent1001",   // six digits or fewer stay
		"13812345678":       "138****5678", // a mobile number used as a login
		"+86 138 1234 5678": "138****5678", // +86 and separators dropped, as Mask does
	} {
		if got := MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
}
