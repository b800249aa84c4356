package oa

import "testing"

func TestNormaliseCallerFindsOneFormForEveryWayANumberArrives(t *testing.T) {
	for _, tc := range []struct {
		in, area, want string
		kind           NumberKind
	}{
		{"13812345678", "", "13812345678", NumberMobile},
		{"+8613812345678", "", "13812345678", NumberMobile},
		{"8613812345678", "", "13812345678", NumberMobile},
		{"008613812345678", "", "13812345678", NumberMobile},
		{"+86 138-1234-5678", "", "13812345678", NumberMobile},
		{"013812345678", "", "13812345678", NumberMobile}, // trunk prefix before a mobile
		{"sip:13812345678@10.0.0.1", "", "13812345678", NumberMobile},
		{"01065529988", "", "01065529988", NumberLandline},
		{"+86 10 6552 9988", "", "01065529988", NumberLandline},
		{"+86 (0)10 6552 9988", "", "01065529988", NumberLandline},
		{"075588886666", "", "075588886666", NumberLandline},
		{"65529988", "010", "01065529988", NumberLandline}, // local number, area added
		{"4008123123", "", "4008123123", NumberService},
		{"8008101818", "", "8008101818", NumberService},
		{"12345", "", "12345", NumberExtension},
		{"1001", "", "1001", NumberExtension},
		{"+14155550100", "", "+14155550100", NumberForeign},
		{"0014155550100", "", "+14155550100", NumberForeign},
		{"anonymous", "", "", NumberAnonymous},
		{"Anonymous", "", "", NumberAnonymous},
		{"", "", "", NumberAnonymous},
		{"restricted", "", "", NumberAnonymous},
		{"0000", "", "", NumberAnonymous},
		{"abc123", "", "", NumberAnonymous},
	} {
		got, kind := NormaliseCaller(tc.in, tc.area)
		if got != tc.want || kind != tc.kind {
			t.Errorf("NormaliseCaller(%q, %q) = %q %s, want %q %s", tc.in, tc.area, got, kind, tc.want, tc.kind)
		}
	}
}

func FuzzNormaliseCaller(f *testing.F) {
	for _, s := range []string{"+8613812345678", "010 6552 9988", "anonymous", "4008123123", "00", "+", "861"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, kind := NormaliseCaller(in, "010")
		if kind == NumberAnonymous && got != "" {
			t.Fatalf("%q: anonymous with number %q", in, got)
		}
		// Normalising the result again changes nothing: an index computed
		// from a stored number matches one computed from a ringing call.
		if got != "" {
			again, k2 := NormaliseCaller(got, "010")
			if again != got || k2 != kind {
				t.Fatalf("%q → %q %s → %q %s", in, got, kind, again, k2)
			}
		}
	})
}
