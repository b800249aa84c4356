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
	for _, s := range []string{"13812345678", "+86 138-1234-5678", "0086(138)12345678", "12345", "+", "张三丰", "sip:1001@pbx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := Mask(s)
		// The middle digits of any phone-looking number of 11+ digits must not survive.
		if looksLikePhone(s) {
			d := strings.TrimPrefix(NormalizePhone(s), "+")
			if len(d) >= 11 && strings.Contains(m, d) {
				t.Fatalf("Mask(%q) = %q reveals the number", s, m)
			}
			if len(d) >= 7 && strings.Contains(m, d[:len(d)-4]) && len(d[:len(d)-4]) > 3 {
				t.Fatalf("Mask(%q) = %q reveals the middle", s, m)
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
