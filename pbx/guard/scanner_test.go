package guard

import (
	"bytes"
	"strings"
	"testing"
)

func TestScannerMatchesOnlyTheUserAgentHeader(t *testing.T) {
	s := newUAScanner(DefaultConfig().ScannerUserAgents)
	for _, tc := range []struct {
		name        string
		msg         string
		headersOnly bool
		want        bool
	}{
		{"friendly-scanner", "OPTIONS sip:x SIP/2.0\r\nUser-Agent: friendly-scanner\r\n\r\n", true, true},
		{"lower-case name and value", "OPTIONS sip:x SIP/2.0\r\nuser-agent: SIPVICIOUS\r\n\r\n", true, true},
		{"blank before colon", "OPTIONS sip:x SIP/2.0\r\nUser-Agent\t : pplsip\r\n\r\n", true, true},
		{"pattern mid-value", "OPTIONS sip:x SIP/2.0\r\nUser-Agent: Mozilla (sundayddr) 1.0\r\n\r\n", true, true},
		{"last line, no CRLF", "OPTIONS sip:x SIP/2.0\r\nUser-Agent: sipsak", true, true},
		{"normal phone", "OPTIONS sip:x SIP/2.0\r\nUser-Agent: Grandstream GXP2170\r\n\r\n", true, false},
		{"other header", "OPTIONS sip:x SIP/2.0\r\nServer: friendly-scanner\r\n\r\n", true, false},
		{"longer header name", "OPTIONS sip:x SIP/2.0\r\nUser-Agents: friendly-scanner\r\n\r\n", true, false},
		{"folded continuation", "OPTIONS sip:x SIP/2.0\r\n User-Agent: friendly-scanner\r\n\r\n", true, false},
		{"no colon", "OPTIONS sip:x SIP/2.0\r\nUser-Agent friendly-scanner\r\n\r\n", true, false},
		{"in the body of a datagram", "MESSAGE sip:x SIP/2.0\r\n\r\nUser-Agent: friendly-scanner\r\n", true, false},
		{"second message of a TCP read", "SIP/2.0 200 OK\r\n\r\nOPTIONS sip:x SIP/2.0\r\nUser-Agent: iWar\r\n\r\n", false, true},
		{"pattern split by a line end", "OPTIONS sip:x SIP/2.0\r\nUser-Agent: friendly-\r\nscanner\r\n\r\n", true, false},
		{"empty", "", true, false},
		{"long value", "OPTIONS sip:x SIP/2.0\r\nUser-Agent: " + strings.Repeat("x", 300) + "SipVicious\r\n\r\n", true, true},
		{"long normal value", "OPTIONS sip:x SIP/2.0\r\nUser-Agent: " + strings.Repeat("sipvicio", 40) + "\r\n\r\n", true, false},
	} {
		if got := s.match([]byte(tc.msg), tc.headersOnly); got != tc.want {
			t.Errorf("%s: match = %v, want %v", tc.name, got, tc.want)
		}
	}
	if newUAScanner(nil).match([]byte("OPTIONS sip:x SIP/2.0\r\nUser-Agent: friendly-scanner\r\n\r\n"), true) {
		t.Error("scanner with no patterns matched")
	}
}

// referenceMatch is the slow, obviously right scanner the fast one is
// fuzzed against: split lines, lower-case copies, substring search.
func referenceMatch(patterns []string, msg []byte, headersOnly bool) bool {
	lower := func(b []byte) []byte {
		out := make([]byte, len(b))
		for i, c := range b {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			out[i] = c
		}
		return out
	}
	for _, line := range bytes.Split(msg, []byte("\n")) {
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			if headersOnly {
				return false
			}
			continue
		}
		l := lower(line)
		if !bytes.HasPrefix(l, []byte("user-agent")) {
			continue
		}
		rest := bytes.TrimLeft(l[len("user-agent"):], " \t")
		if !bytes.HasPrefix(rest, []byte(":")) {
			continue
		}
		for _, p := range patterns {
			if bytes.Contains(rest[1:], lower([]byte(p))) {
				return true
			}
		}
	}
	return false
}

func FuzzUserAgentScan(f *testing.F) {
	f.Add([]byte("OPTIONS sip:100@1.2.3.4 SIP/2.0\r\nVia: SIP/2.0/UDP 1.2.3.5:5060\r\nUser-Agent: friendly-scanner\r\n\r\n"), true)
	f.Add([]byte("REGISTER sip:x SIP/2.0\r\nuser-agent :Yealink\r\n\r\nUser-Agent: sipcli"), false)
	f.Add([]byte("INVITE sip:x SIP/2.0\nUSER-AGENT:\tVaxSIPUserAgent\n\n"), true)
	f.Add([]byte("User-Agent:"), true)
	f.Add([]byte("\r\n\r\nuser-agentuser-agent: iwarsipsak"), false)
	f.Add([]byte("User-Agent: "+strings.Repeat("X", 300)+"FRIENDLY-scanner"), true)
	patterns := DefaultConfig().ScannerUserAgents
	s := newUAScanner(patterns)
	f.Fuzz(func(t *testing.T, msg []byte, headersOnly bool) {
		if got, want := s.match(msg, headersOnly), referenceMatch(patterns, msg, headersOnly); got != want {
			t.Fatalf("match(%q, %v) = %v, reference says %v", msg, headersOnly, got, want)
		}
	})
}
