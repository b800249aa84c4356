package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// RFC 2617 §3.5's example (method GET), the one vector every digest implementation checks.
func TestDigestResponseRFC2617(t *testing.T) {
	got := digestResponse("Mufasa", "testrealm@host.com", "Circle Of Life", "GET", "/dir/index.html",
		"dcd98b7102dd2f0e8b11d0f600bfb0c093", "auth", "00000001", "0a4f113b")
	if got != "6629fae49393a05397450978507c4ef1" {
		t.Fatalf("response = %s", got)
	}
}

func TestParseChallenge(t *testing.T) {
	p := parseChallenge(`Digest realm="yimen", nonce="a,b=c", qop="auth,auth-int", algorithm=MD5, opaque="o"`)
	want := map[string]string{"realm": "yimen", "nonce": "a,b=c", "qop": "auth,auth-int", "algorithm": "MD5", "opaque": "o"}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, p[k], v, p)
		}
	}
	if len(parseChallenge(`Basic realm="x"`)) != 0 {
		t.Error("a Basic challenge was read as Digest")
	}
}

func TestParseResponsePrefersMD5Challenge(t *testing.T) {
	r := parseResponse([]byte("SIP/2.0 401 Unauthorized\r\nCall-ID: cr1001-7\r\nCSeq: 1 REGISTER\r\n" +
		"WWW-Authenticate: Digest realm=\"y\", nonce=\"n1\", algorithm=SHA-256\r\n" +
		"WWW-Authenticate: Digest realm=\"y\", nonce=\"n2\", algorithm=MD5\r\n\r\n"))
	if r.status != 401 || r.method != "REGISTER" || r.callID != "cr1001-7" || !strings.Contains(r.challenge, "n2") {
		t.Fatalf("response = %+v", r)
	}
	if u, ok := userOfCallID(r.callID); !ok || u != "1001" {
		t.Fatalf("user = %q, %v", u, ok)
	}
	if r := parseResponse([]byte("\x00\x01garbage")); r.status != 0 {
		t.Fatalf("garbage read as %+v", r)
	}
}

func TestRefusesNonLoopback(t *testing.T) {
	for _, args := range [][]string{
		{"-target", "192.0.2.1:5060"},
		{"-sources", "127.0.0.50,192.0.2.7"},
		{"-sources", "127.255.255.254-128.0.0.1"},
		{"-target", "[2001:db8::1]:5060"},
	} {
		if _, err := parseFlags(args); !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("%v: err = %v, want a loopback refusal", args, err)
		}
	}
	if _, err := parseFlags([]string{"-rate", "1000000"}); !errors.Is(err, errUsage) {
		t.Errorf("rate above the ceiling accepted: %v", err)
	}
	if _, err := parseFlags([]string{"-mix", "garbage=50,scanner=20"}); !errors.Is(err, errUsage) {
		t.Errorf("mix not adding up to 100 accepted: %v", err)
	}
}

// The flood against a loopback registrar that challenges every REGISTER:
// it sends the mix it was asked for, at most count messages, and answers
// challenges with a digest made from a password that is not the user's.
func TestFloodAgainstChallengingRegistrar(t *testing.T) {
	srv, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	type seen struct{ garbage, scanner, first, guess, goodDigest int }
	done := make(chan seen)
	go func() {
		var s seen
		buf := make([]byte, 65535)
		for {
			_ = srv.SetReadDeadline(time.Now().Add(2 * time.Second))
			n, from, err := srv.ReadFromUDP(buf)
			if err != nil {
				done <- s
				return
			}
			m := buf[:n]
			switch {
			case bytes.HasPrefix(m, []byte("OPTIONS ")) && bytes.Contains(m, []byte("User-Agent: friendly-scanner")) ||
				bytes.Contains(m, []byte("User-Agent: sipvicious")):
				s.scanner++
			case bytes.HasPrefix(m, []byte("REGISTER ")) && bytes.Contains(m, []byte("Authorization: Digest")):
				s.guess++
				if bytes.Contains(m, []byte(`nonce="n0"`)) && bytes.Contains(m, []byte(`response="`+
					digestResponse(userIn(m), "r", "pw"+userIn(m), "REGISTER", "sip:127.0.0.1", "n0", "", "", "")+`"`)) {
					s.goodDigest++
				}
			case bytes.HasPrefix(m, []byte("REGISTER ")):
				s.first++
				callID := header(m, "Call-ID")
				resp := "SIP/2.0 401 Unauthorized\r\nCall-ID: " + callID + "\r\nCSeq: 1 REGISTER\r\n" +
					"WWW-Authenticate: Digest realm=\"r\", nonce=\"n0\", algorithm=MD5\r\nContent-Length: 0\r\n\r\n"
				_, _ = srv.WriteToUDP([]byte(resp), from)
			default:
				s.garbage++
			}
		}
	}()
	var out bytes.Buffer
	args := []string{"-target", srv.LocalAddr().String(), "-sources", "127.0.0.1,127.0.0.2", "-rate", "2000",
		"-duration", "1s", "-count", "600"}
	if err := run(context.Background(), args, &out); err != nil {
		t.Fatal(err)
	}
	var sum summary
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatalf("summary %q: %v", out.String(), err)
	}
	got := <-done
	if sum.Sent != 600 || sum.ByKind["garbage"] != 240 || sum.ByKind["scanner"] != 180 || sum.ByKind["register"] != 180 {
		t.Errorf("sent %+v, want 600 = 240 garbage + 180 scanner + 180 register", sum)
	}
	if got.garbage != 240 || got.scanner != 180 || got.first+got.guess != 180 {
		t.Errorf("registrar saw %+v", got)
	}
	if got.guess == 0 || uint64(got.guess) != sum.Guesses || got.goodDigest != 0 {
		t.Errorf("password guesses: %d seen, %d reported, %d with the real password", got.guess, sum.Guesses, got.goodDigest)
	}
	if sum.Answers["REGISTER 401"] != uint64(got.first) {
		t.Errorf("answers = %v, want %d REGISTER 401", sum.Answers, got.first)
	}
}

func header(m []byte, name string) string {
	for _, l := range strings.Split(string(m), "\r\n") {
		if v, ok := strings.CutPrefix(l, name+": "); ok {
			return v
		}
	}
	return ""
}

func userIn(m []byte) string {
	u, _ := userOfCallID(header(m, "Call-ID"))
	return u
}

func FuzzParseResponse(f *testing.F) {
	f.Add([]byte("SIP/2.0 401 Unauthorized\r\nCall-ID: cr1-2\r\nCSeq: 1 REGISTER\r\nWWW-Authenticate: Digest realm=\"r\", nonce=\"n\"\r\n\r\n"))
	f.Add([]byte("SIP/2.0 200 OK\r\ni: x\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := parseResponse(b)
		if r.status != 0 && (r.status < 100 || r.status > 699) {
			t.Fatalf("status %d", r.status)
		}
		p := parseChallenge(r.challenge)
		_, _ = authorization(r.challenge, "1000", "sip:x", "c")
		for k := range p {
			if k != strings.ToLower(k) {
				t.Fatalf("key %q not lower-cased", k)
			}
		}
	})
}

func FuzzParseChallenge(f *testing.F) {
	f.Add(`Digest realm="yimen", nonce="abc", qop="auth", algorithm=MD5`)
	f.Add(`Digest nonce="unterminated`)
	f.Fuzz(func(t *testing.T, h string) {
		p := parseChallenge(h)
		if a, ok := authorization(h, "1000", "sip:x", "c"); ok && (p["nonce"] == "" || !strings.HasPrefix(a, "Digest ")) {
			t.Fatalf("authorization %q from %v", a, p)
		}
	})
}
