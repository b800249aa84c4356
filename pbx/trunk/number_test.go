package trunk

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	cases := []struct {
		raw, area, want string
		ok              bool
	}{
		// mobiles, in every form carriers send them
		{"13812345678", "010", "13812345678", true},
		{"+8613812345678", "010", "13812345678", true},
		{"8613812345678", "010", "13812345678", true},
		{"008613812345678", "010", "13812345678", true},
		{"013812345678", "010", "13812345678", true},
		{"+86 138-1234-5678", "010", "13812345678", true},
		{"+86013812345678", "010", "13812345678", true},
		// fixed lines: 0 + area code + subscriber
		{"01058001234", "010", "01058001234", true},
		{"+861058001234", "021", "01058001234", true},
		{"861058001234", "021", "01058001234", true},
		{"+8601058001234", "021", "01058001234", true},
		{"+8675512345678", "010", "075512345678", true},
		{"075512345678", "010", "075512345678", true},
		{"58001234", "010", "01058001234", true},
		{"5800123", "0755", "07555800123", true},
		{"58001234", "", "58001234", true},
		{"(010) 5800-1234", "021", "01058001234", true},
		// 400 / 800 and short numbers
		{"4008001234", "010", "4008001234", true},
		{"+864008001234", "010", "4008001234", true},
		{"8008101234", "010", "8008101234", true},
		{"95555", "010", "95555", true},
		{"110", "010", "110", true},
		{"12345", "010", "12345", true},
		{"+86110", "010", "110", true},
		// abroad
		{"+14155550100", "010", "+14155550100", true},
		{"0014155550100", "010", "+14155550100", true},
		{"+44 20 7946 0958", "010", "+442079460958", true},
		// withheld and malformed
		{"anonymous", "010", Anonymous, true},
		{"Anonymous", "010", Anonymous, true},
		{"", "010", Anonymous, true},
		{"unknown", "010", Anonymous, true},
		{"restricted", "010", Anonymous, true},
		{"  ", "010", Anonymous, true},
		{"1381234x678", "010", Anonymous, false},
		{"+", "010", Anonymous, false},
		{"+012345", "010", Anonymous, false},
		{"+1234567890123456", "010", Anonymous, false},
		{"123456789012345678901", "010", Anonymous, false},
		{"13812345678;phone-context=+86", "010", "13812345678", true},
	}
	for _, c := range cases {
		got, ok := Normalize(c.raw, c.area)
		if got != c.want || ok != c.ok {
			t.Errorf("Normalize(%q, %q) = %q, %v; want %q, %v", c.raw, c.area, got, ok, c.want, c.ok)
		}
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		num, area string
		want      Class
	}{
		{"110", "010", ClassEmergency},
		{"119", "010", ClassEmergency},
		{"120", "010", ClassEmergency},
		{"122", "010", ClassEmergency},
		{"13812345678", "010", ClassMobile},
		{"01058001234", "010", ClassLocal},
		{"01058001234", "021", ClassNational},
		{"075512345678", "010", ClassNational},
		{"4008001234", "010", ClassNational},
		{"95555", "010", ClassPremium},
		{"96777", "010", ClassPremium},
		{"10086", "010", ClassPremium},
		{"114", "010", ClassPremium},
		{"+14155550100", "010", ClassInternational},
	}
	for _, c := range cases {
		if got := Classify(c.num, c.area); got != c.want {
			t.Errorf("Classify(%q, %q) = %s, want %s", c.num, c.area, got, c.want)
		}
	}
}

func TestFormatWrite(t *testing.T) {
	cases := []struct {
		f         Format
		num, area string
		want      string
	}{
		{FormatNational, "13812345678", "010", "13812345678"},
		{FormatNational, "01058001234", "010", "01058001234"},
		{FormatNational, "+14155550100", "010", "0014155550100"},
		{FormatE164, "13812345678", "010", "+8613812345678"},
		{FormatE164, "01058001234", "010", "+861058001234"},
		{FormatE164, "4008001234", "010", "+864008001234"},
		{FormatE164, "+14155550100", "010", "+14155550100"},
		{FormatE164, "110", "010", "110"},
		{Format86, "13812345678", "010", "8613812345678"},
		{Format86, "01058001234", "010", "861058001234"},
		{Format86, "+14155550100", "010", "0014155550100"},
		{FormatLocal, "01058001234", "010", "58001234"},
		{FormatLocal, "02158001234", "010", "02158001234"},
		{FormatLocal, "13812345678", "010", "13812345678"},
		{FormatE164, Anonymous, "010", Anonymous},
	}
	for _, c := range cases {
		if got := c.f.Write(c.num, c.area); got != c.want {
			t.Errorf("%s.Write(%q) = %q, want %q", c.f, c.num, got, c.want)
		}
	}
	if _, err := ParseFormat("e.164"); err == nil {
		t.Error("ParseFormat accepted e.164")
	}
}

func TestPattern(t *testing.T) {
	cases := []struct {
		pat, num string
		want     bool
	}{
		{"_1[3-9]XXXXXXXXX", "13812345678", true},
		{"_1[3-9]XXXXXXXXX", "12812345678", false},
		{"_1[3-9]XXXXXXXXX", "1381234567", false},
		{"_1[3-9]XXXXXXXXX", "138123456789", false},
		{"_0.", "01058001234", true},
		{"_0.", "0", false},
		{"_0!", "0", true},
		{"_NXX", "211", true},
		{"_NXX", "111", false},
		{"_ZX", "10", true},
		{"_ZX", "01", false},
		{"_[+]!", "+14155550100", true},
		{"+", "+14155550100", true},
		{"0", "01058001234", true},
		{"0", "13812345678", false},
		{"_11[09]", "110", true},
		{"_11[09]", "119", true},
		{"_11[09]", "118", false},
	}
	for _, c := range cases {
		p, err := ParsePattern(c.pat)
		if err != nil {
			t.Fatalf("ParsePattern(%q): %v", c.pat, err)
		}
		if got := p.Match(c.num); got != c.want {
			t.Errorf("%q.Match(%q) = %v, want %v", c.pat, c.num, got, c.want)
		}
	}
	for _, bad := range []string{"", "_", "_1.2", "_[", "_[]", "_[9-1]", "_a", "1a", "_1[3-", "_!"} {
		if _, err := ParsePattern(bad); err == nil {
			t.Errorf("ParsePattern(%q) accepted", bad)
		}
	}
}

// FuzzNormalize: never panics, the result is either Anonymous or digits
// with at most a leading +, and normalising it again changes nothing.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"13812345678", "+8613812345678", "008613812345678", "013812345678", "58001234", "+861058001234",
		"4008001234", "anonymous", "+14155550100", "0014155550100", "86123", "+86", "+8601", "(010) 5800-1234", "8612345678901"} {
		f.Add(s, "010")
	}
	f.Add("58001234", "")
	f.Add("5800123", "0755")
	f.Fuzz(func(t *testing.T, raw, area string) {
		if area != "" && area != "010" && area != "0755" && area != "021" {
			area = "010" // area codes come from validated configuration
		}
		got, _ := Normalize(raw, area)
		if got != Anonymous {
			body := strings.TrimPrefix(got, "+")
			if body == "" || strings.Trim(body, "0123456789") != "" {
				t.Fatalf("Normalize(%q) = %q: not a number", raw, got)
			}
		}
		again, ok := Normalize(got, area)
		if again != got || !ok {
			t.Fatalf("Normalize(%q) = %q, but Normalize(%q) = %q, %v", raw, got, got, again, ok)
		}
		_ = Classify(got, area)
	})
}

func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{"_1[3-9]XXXXXXXXX", "_0.", "0", "_[+]!", "_NXX", "_[1-", "_]"} {
		f.Add(s, "13812345678")
	}
	f.Fuzz(func(t *testing.T, pat, num string) {
		p, err := ParsePattern(pat)
		if err != nil {
			return
		}
		_ = p.Match(num)
	})
}

// TestRouteIndexKeepsFirstMatch: the indexed look-up picks the same route
// as trying every route in order, over random tables and numbers.
func TestRouteIndexKeepsFirstMatch(t *testing.T) {
	pool := []string{"0", "01", "010", "_0.", "_0XX.", "_01[0-9]!", "1", "13", "_1[3-9]XXXXXXXXX", "_13X.", "+", "_+1!", "_[+]!",
		"400", "_400XXXXXXX", "_11[029]", "_9[56]XXX", "_NXXXXXXX", "_ZX.", "_X!", "8", "_8.", "_[0-1]5.", "95"}
	nums := []string{"01058001234", "075512345678", "13812345678", "13912345678", "15012345678", "+14155550100", "+861", "4008001234",
		"110", "119", "95555", "96777", "58001234", "0", "1", "8008101234", "0155", "12345"}
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		var routes []route
		for r := range 1 + rnd.IntN(8) {
			var ps []Pattern
			for range 1 + rnd.IntN(3) {
				p, err := ParsePattern(pool[rnd.IntN(len(pool))])
				if err != nil {
					t.Fatal(err)
				}
				ps = append(ps, p)
			}
			routes = append(routes, route{name: string(rune('a' + r)), patterns: ps})
		}
		tt := &tenantTable{routes: routes, index: indexRoutes(routes)}
		for _, num := range nums {
			var want *route
		scan:
			for i := range routes {
				for _, p := range routes[i].patterns {
					if p.Match(num) {
						want = &routes[i]
						break scan
					}
				}
			}
			if got := tt.match(num); got != want {
				t.Fatalf("%q in %+v: index found %v, scan %v", num, routes, got, want)
			}
		}
	}
}
