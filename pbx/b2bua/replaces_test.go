package b2bua

import "testing"

func TestReferReplaces(t *testing.T) {
	r, ok, err := referReplaces(`<sip:1003@pbx?Replaces=abc%40h%3Bto-tag%3D7%3Bfrom-tag%3D9&Require=replaces>`)
	if err != nil || !ok || r.callID != "abc@h" || r.toTag != "7" || r.fromTag != "9" {
		t.Fatalf("got %+v %v %v", r, ok, err)
	}
	if _, ok, _ := referReplaces(`<sip:1003@pbx>`); ok {
		t.Error("Replaces found where there is none")
	}
	for _, bad := range []string{`<sip:1003@pbx?Replaces=abc>`, `<sip:1003@pbx?Replaces=%3Bto-tag%3D1%3Bfrom-tag%3D2>`, `<sip:1003@pbx?replaces=a%ZZ>`} {
		if _, ok, err := referReplaces(bad); !ok || err == nil {
			t.Errorf("%s: ok=%v err=%v, want a malformed Replaces", bad, ok, err)
		}
	}
	d := &dialog{callID: "abc@h", localTag: "9", remoteTag: "7"}
	if !r.matches(d) {
		t.Error("tags in either order should match")
	}
	d.remoteTag = "8"
	if r.matches(d) {
		t.Error("a wrong tag matched")
	}
}

func FuzzReferReplaces(f *testing.F) {
	f.Add(`<sip:1003@pbx?Replaces=abc%3Bto-tag%3D7%3Bfrom-tag%3D9>`)
	f.Add(`sip:x?Replaces=;;;=`)
	f.Add(`<sip:a@b?A=1&Replaces=c%3Bearly-only%3Bto-tag%3D%3Bfrom-tag%3Dz>`)
	f.Fuzz(func(t *testing.T, s string) {
		r, ok, err := referReplaces(s)
		if err == nil && ok && (r.callID == "" || r.toTag == "" || r.fromTag == "") {
			t.Fatalf("accepted an incomplete Replaces: %+v", r)
		}
	})
}
