package ivr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

var hmacKey = []byte("test-key-of-32-bytes-0123456789ab")

// crmServer answers the lookup with reply after checking the signature and
// the body; it records what it got.
type crmServer struct {
	reply   string
	status  int
	got     HTTPRequest
	badSig  bool
	block   bool          // hold the request until the client gives up
	release chan struct{} // closed by the test so that a held request ends
	// sign computes the reply's signature from the request's; nil signs
	// with hmacKey as SignReply does.
	sign func(reqSig string, body []byte) string
	hits int
}

func (c *crmServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if c.block {
		select {
		case <-r.Context().Done():
		case <-c.release:
		}
		return
	}
	ts := r.Header.Get(HeaderTimestamp)
	if r.Header.Get(HeaderSignature) != SignHTTP(hmacKey, ts, body) || r.Method != http.MethodPost {
		c.badSig = true
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	_ = json.Unmarshal(body, &c.got)
	c.hits++
	sign := c.sign
	if sign == nil {
		sign = func(reqSig string, b []byte) string { return SignReply(hmacKey, reqSig, b) }
	}
	w.Header().Set(HeaderSignature, sign(r.Header.Get(HeaderSignature), []byte(c.reply)))
	if c.status != 0 {
		w.WriteHeader(c.status)
	}
	io.WriteString(w, c.reply)
}

// lookupFlow calls a loopback server and shows what the reply did.
func lookupFlow(url, timeout string) map[string]string {
	return map[string]string{"main": `start:
  set $ticket = "123456"
  http "` + url + `/lookup?t=${ticket}" timeout ` + timeout + ` send $caller, $ticket:
    fallback:
      play "welcome.wav"
      goto bye
  if $prize != "": play tts "结果 ${prize}"
  goto bye

bye:
  hangup

other:
  play tts "other step"
  hangup
`}
}

func runLookup(t *testing.T, crm *crmServer, timeout string) (*fakeSession, Result) {
	t.Helper()
	return runLookupAt(t, crm, crm, timeout)
}

// runLookupAt runs the lookup flow against h, which may pass it on to crm.
func runLookupAt(t *testing.T, h http.Handler, crm *crmServer, timeout string) (*fakeSession, Result) {
	t.Helper()
	srv := httptest.NewServer(h) // listens on 127.0.0.1
	defer srv.Close()
	crm.release = make(chan struct{})
	defer close(crm.release)
	set := mustLoad(t, lookupFlow(srv.URL, timeout))
	f := &fakeSession{}
	in := NewInterpreter(Options{HTTP: NewHTTPClient(5 * time.Second), HTTPKey: hmacKey, Clock: clockAt("2026-03-09 10:00")})
	res, err := in.Run(context.Background(), set, "main", f, map[string]string{"caller": "13800138000", "secret": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if crm.badSig {
		t.Fatal("server saw a bad signature")
	}
	return f, res
}

func TestHTTPReplySetsVariables(t *testing.T) {
	crm := &crmServer{reply: `{"set": {"prize": "一等奖"}}`}
	f, _ := runLookup(t, crm, "2s")
	wantTranscript(t, f, "play tts:结果 一等奖", "hangup")
	if crm.got.Flow != "main" || crm.got.Step != "start" || crm.got.Vars["caller"] != "13800138000" || crm.got.Vars["ticket"] != "123456" {
		t.Fatalf("server got %+v", crm.got)
	}
	if _, leaked := crm.got.Vars["secret"]; leaked {
		t.Fatal("send $caller, $ticket posted other variables too")
	}
}

func TestHTTPReplyGotoAndFragment(t *testing.T) {
	f, _ := runLookup(t, &crmServer{reply: `{"goto": "other"}`}, "2s")
	wantTranscript(t, f, "play tts:other step", "hangup")

	f, _ = runLookup(t, &crmServer{reply: `{"set": {"n": "5"}, "dsl": "say number $n\nif $n == \"5\": goto other\nhangup"}`}, "2s")
	wantTranscript(t, f, "say number 5", "play tts:other step", "hangup")

	// A fragment that runs off its end continues after the http statement.
	f, _ = runLookup(t, &crmServer{reply: `{"dsl": "set $prize = \"二等奖\""}`}, "2s")
	wantTranscript(t, f, "play tts:结果 二等奖", "hangup")

	// 204 and empty bodies just continue.
	f, _ = runLookup(t, &crmServer{status: http.StatusNoContent}, "2s")
	wantTranscript(t, f, "hangup")
}

func TestHTTPBadRepliesTakeFallbackAndChangeNothing(t *testing.T) {
	bad := map[string]*crmServer{
		"status 500":        {status: 500, reply: `{"set": {"prize": "x"}}`},
		"not json":          {reply: `<html>`},
		"unknown field":     {reply: `{"set": {"prize": "x"}, "next": "bye"}`},
		"unknown step":      {reply: `{"set": {"prize": "x"}, "goto": "nowhere"}`},
		"goto and dsl":      {reply: `{"goto": "bye", "dsl": "hangup"}`},
		"protected var":     {reply: `{"set": {"caller": "110"}}`},
		"bad var name":      {reply: `{"set": {"a b": "1"}}`},
		"broken dsl":        {reply: `{"set": {"prize": "x"}, "dsl": "goto nowhere"}`},
		"dsl with steps":    {reply: `{"dsl": "main:\n  hangup"}`},
		"oversized":         {reply: `{"dsl": "` + strings.Repeat("#", maxReplyBytes) + `"}`},
		"dead code in dsl":  {reply: `{"dsl": "hangup\nplay \"welcome.wav\""}`},
		"missing prompt":    {reply: `{"dsl": "play \"nope.wav\""}`},
		"server timed out":  {block: true},
		"unknown calendar":  {reply: `{"dsl": "if holiday(calendar \"xx\"): hangup"}`},
		"syntax error":      {reply: `{"dsl": "play"}`},
		"set not an object": {reply: `{"set": ["prize"]}`},
	}
	for name, crm := range bad {
		t.Run(name, func(t *testing.T) {
			timeout := "2s"
			if crm.block {
				timeout = "100ms" // the shortest allowed; the fallback runs when it expires
			}
			f, res := runLookup(t, crm, timeout)
			wantTranscript(t, f, "play welcome.wav", "hangup")
			if res.Vars["prize"] != "" || res.Vars["caller"] != "13800138000" {
				t.Fatalf("a rejected reply changed variables: %v", res.Vars)
			}
		})
	}
}

type failingDoer struct{}

func (failingDoer) Do(*http.Request) (*http.Response, error) {
	return nil, errors.New("connection refused")
}

func TestHTTPWithoutClientOrWithDeadServerFallsBack(t *testing.T) {
	set := mustLoad(t, lookupFlow("http://127.0.0.1:9", "1s"))
	for _, doer := range []Doer{nil, failingDoer{}} {
		f := &fakeSession{}
		if _, err := NewInterpreter(Options{HTTP: doer}).Run(context.Background(), set, "main", f, nil); err != nil {
			t.Fatal(err)
		}
		wantTranscript(t, f, "play welcome.wav", "hangup")
	}
}

func TestSignHTTPIsHMACSM3OverTimestampAndBody(t *testing.T) {
	a := SignHTTP([]byte("k"), "1700000000", []byte(`{"a":1}`))
	if !strings.HasPrefix(a, "hmac-sm3=") || len(a) != len("hmac-sm3=")+64 {
		t.Fatalf("signature %q", a)
	}
	if a == SignHTTP([]byte("k"), "1700000001", []byte(`{"a":1}`)) || a == SignHTTP([]byte("k2"), "1700000000", []byte(`{"a":1}`)) ||
		a == SignHTTP([]byte("k"), "170000000", []byte("0\n{\"a\":1}")) {
		t.Fatal("signature ignores its inputs or their boundary")
	}
}

type urlErrorDoer struct{}

func (urlErrorDoer) Do(req *http.Request) (*http.Response, error) {
	return nil, &url.Error{Op: "Post", URL: req.URL.String(), Err: errors.New("connection refused")}
}

func TestHTTPFailureLogNamesNoCallerData(t *testing.T) {
	set := mustLoad(t, map[string]string{"main": `m:
  http "https://crm.example.cn/x?who=${caller}" timeout 1s:
    fallback: hangup
  hangup
`})
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	f := &fakeSession{}
	if _, err := NewInterpreter(Options{HTTP: urlErrorDoer{}, HTTPKey: hmacKey, Log: log}).Run(context.Background(), set, "main", f, map[string]string{"caller": "13800138000"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "crm.example.cn") || strings.Contains(buf.String(), "13800138000") {
		t.Fatalf("log: %s", buf.String())
	}
}

// A reply may set variables and run statements, so one that anybody on the
// path (or a server the URL was pointed at) wrote must change nothing: an
// http reply not signed with the key for this very request is ignored and
// the fallback runs.
func TestAttackUnsignedHTTPReplyIsIgnored(t *testing.T) {
	forged := `{"set": {"prize": "x"}, "dsl": "goto other"}`
	for name, sign := range map[string]func(string, []byte) string{
		"unsigned":       func(string, []byte) string { return "" },
		"other key":      func(rs string, b []byte) string { return SignReply([]byte("another-key-of-32-bytes-012345678"), rs, b) },
		"other request":  func(rs string, b []byte) string { return SignReply(hmacKey, SignHTTP(hmacKey, "1", nil), b) },
		"request's own":  func(rs string, b []byte) string { return rs },
		"over body only": func(rs string, b []byte) string { return SignHTTP(hmacKey, "", b) },
	} {
		t.Run(name, func(t *testing.T) {
			f, res := runLookup(t, &crmServer{reply: forged, sign: sign}, "2s")
			wantTranscript(t, f, "play welcome.wav", "hangup")
			if res.Vars["prize"] != "" {
				t.Fatalf("an unsigned reply set variables: %v", res.Vars)
			}
		})
	}
}

// The http client follows no redirect: a 3xx is a failed exchange, so the
// signed request goes to the configured host only.
func TestAttackHTTPRedirectIsNotFollowed(t *testing.T) {
	crm := &crmServer{reply: `{"set": {"prize": "x"}}`}
	target := httptest.NewServer(crm)
	defer target.Close()
	redirect := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/elsewhere", http.StatusTemporaryRedirect)
	})
	f, _ := runLookupAt(t, redirect, crm, "2s")
	wantTranscript(t, f, "play welcome.wav", "hangup")
	if crm.hits != 0 {
		t.Fatal("the redirect was followed")
	}
}

// Without a key of MinHTTPKeyBytes nothing is posted: a short key signs
// nothing a receiver should trust.
func TestAttackShortHTTPKeyPostsNothing(t *testing.T) {
	crm := &crmServer{reply: `{"set": {"prize": "x"}}`}
	srv := httptest.NewServer(crm)
	defer srv.Close()
	set := mustLoad(t, lookupFlow(srv.URL, "2s"))
	for _, key := range [][]byte{nil, []byte("short"), hmacKey[:MinHTTPKeyBytes-1]} {
		f := &fakeSession{}
		if _, err := NewInterpreter(Options{HTTP: NewHTTPClient(time.Second), HTTPKey: key}).Run(context.Background(), set, "main", f, nil); err != nil {
			t.Fatal(err)
		}
		wantTranscript(t, f, "play welcome.wav", "hangup")
	}
	if crm.hits != 0 {
		t.Fatalf("%d requests posted with a short key", crm.hits)
	}
	if CheckHTTPKey(hmacKey) != nil || !errors.Is(CheckHTTPKey(hmacKey[:MinHTTPKeyBytes-1]), ErrShortHTTPKey) {
		t.Fatal("CheckHTTPKey")
	}
}
