package b2bua

import (
	"testing"
	"unsafe"

	"github.com/emiago/sipgo/sip"
)

// A dialog keeps its URIs as text; the requests it builds name them as
// they came, parameters and all.
func TestDialogURIsSurviveAsText(t *testing.T) {
	// Each URI names itself as written: the request's URIs must come out
	// the same, and a second trip through a dialog must not change them.
	parse := func(s string) sip.Uri {
		t.Helper()
		var u sip.Uri
		if err := sip.ParseUri(s, &u); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		return u
	}
	cases := []struct{ local, remote, target string }{
		{"sip:1002@pbx.example", "sip:1001@pbx.example", "sip:1001@192.0.2.10:5070;transport=tcp;ob"},
		{"sips:1002@pbx.example:5061", "sip:%2B8613812345678@carrier.example;user=phone", "sip:gw@198.51.100.7:5080;transport=udp;lr?X-Id=7"},
		{"sip:agent@127.0.0.1:5060", "sip:1001@[2001:db8::1]:5062", "sip:1001@[2001:db8::1]:5062;transport=tls"},
	}
	for _, tc := range cases {
		local, remote, target := parse(tc.local), parse(tc.remote), parse(tc.target)
		d := &dialog{callID: "c1", local: textOf(local), localTag: "lt", remote: textOf(remote), remoteTag: "rt",
			target: textOf(target), dest: "192.0.2.10:5070", transport: "UDP"}
		req := d.newRequest(sip.BYE, sip.Uri{})
		if got := req.Recipient.String(); got != tc.target {
			t.Errorf("Request-URI %s, want %s", got, tc.target)
		}
		if got := req.From().Address.String(); got != tc.local {
			t.Errorf("From %s, want %s", got, tc.local)
		}
		if got := req.To().Address.String(); got != tc.remote {
			t.Errorf("To %s, want %s", got, tc.remote)
		}
		if tag, _ := req.To().Params.Get("tag"); tag != "rt" {
			t.Errorf("To tag %q", tag)
		}
		again := &dialog{local: textOf(req.From().Address), remote: textOf(req.To().Address), target: textOf(req.Recipient)}
		if again.target != d.target || again.local != d.local || again.remote != d.remote {
			t.Errorf("a second trip changed the URIs: %q %q %q, was %q %q %q", again.local, again.remote, again.target, d.local, d.remote, d.target)
		}
	}
	// What this is for: a call holds two dialogs for its whole length.
	if n := unsafe.Sizeof(dialog{}); n > 200 {
		t.Errorf("a dialog is %d bytes, want at most 200", n)
	}
}
