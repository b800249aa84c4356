package registrar

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

type oneAccount struct {
	user  string
	creds Credentials
}

func (a oneAccount) Credentials(_, user string) (Credentials, bool) {
	return a.creds, user == a.user
}

// answer builds the digest answer to challenge res for a request to ruri,
// as a phone with password pass would, with nonce count nc.
func answer(t *testing.T, res *sip.Response, method, ruri, user, pass string, nc int) string {
	t.Helper()
	h := res.GetHeader("WWW-Authenticate")
	if h == nil {
		h = res.GetHeader("Proxy-Authenticate")
	}
	nonce := between(h.Value(), `nonce="`, `"`)
	ha1 := hexHash(newHash(AlgMD5), user+":yimen:"+pass)
	ha2 := hexHash(newHash(AlgMD5), method+":"+ruri)
	cnonce := "c0ffee"
	ncs := fmt.Sprintf("%08x", nc)
	resp := hexHash(newHash(AlgMD5), ha1+":"+nonce+":"+ncs+":"+cnonce+":auth:"+ha2)
	return fmt.Sprintf(`Digest username="%s", realm="yimen", nonce="%s", uri="%s", response="%s", algorithm=MD5, qop=auth, nc=%s, cnonce="%s"`,
		user, nonce, ruri, resp, ncs, cnonce)
}

func between(s, from, to string) string {
	_, rest, _ := strings.Cut(s, from)
	v, _, _ := strings.Cut(rest, to)
	return v
}

func register(t *testing.T, ruri, source, authz string) *sip.Request {
	t.Helper()
	var u sip.Uri
	if err := sip.ParseUri(ruri, &u); err != nil {
		t.Fatal(err)
	}
	req := sip.NewRequest(sip.REGISTER, u)
	req.SetSource(source)
	if authz != "" {
		req.AppendHeader(sip.NewHeader("Authorization", authz))
	}
	return req
}

// A sniffed answer is worth nothing to whoever sniffed it: not sent again
// from the phone's own address, not from another address, not for another
// Request-URI. The phone itself re-authenticates with a rising nc.
func TestCapturedDigestAnswersCannotBeReused(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	auth, err := NewAuthenticator("yimen", []string{AlgMD5}, time.Minute, oneAccount{"1001", NewCredentials("1001", "yimen", "s3cret")},
		nil, slog.New(slog.DiscardHandler), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const ruri, phone, attacker = "sip:127.0.0.1:5060", "127.0.0.5:5070", "127.0.0.66:5070"
	challenge := auth.Challenge(register(t, ruri, phone, ""), false, false)
	first := answer(t, challenge, "REGISTER", ruri, "1001", "s3cret", 1)

	if user, out := auth.Check(ctx, register(t, ruri, phone, first), "demo", false); out != OutcomeOK || user != "1001" {
		t.Fatalf("the phone's own answer: %v %q", out, user)
	}
	if _, out := auth.Check(ctx, register(t, ruri, phone, first), "demo", false); out != OutcomeStale {
		t.Errorf("the same answer again: %v, want stale (re-challenge)", out)
	}
	if _, out := auth.Check(ctx, register(t, ruri, attacker, answer(t, challenge, "REGISTER", ruri, "1001", "s3cret", 7)), "demo", false); out != OutcomeBadNonce {
		t.Errorf("the phone's nonce answered from another address: %v, want bad nonce", out)
	}
	other := answer(t, challenge, "REGISTER", "sip:8000@127.0.0.1:5060", "1001", "s3cret", 2)
	if _, out := auth.Check(ctx, register(t, ruri, phone, other), "demo", false); out != OutcomeFailed {
		t.Errorf("an answer for another Request-URI: %v, want failed", out)
	}
	if _, out := auth.Check(ctx, register(t, ruri, phone, answer(t, challenge, "REGISTER", ruri, "1001", "s3cret", 3)), "demo", false); out != OutcomeOK {
		t.Errorf("the phone's next answer with nc 3: %v, want ok", out)
	}
	// The digest uri may name the PBX differently from the Request-URI
	// (SIPp writes the address and port it sends to).
	byDomain := "sip:pbx.example.cn;transport=udp"
	c2 := auth.Challenge(register(t, byDomain, phone, ""), false, false)
	if _, out := auth.Check(ctx, register(t, byDomain, phone, answer(t, c2, "REGISTER", "sip:127.0.0.1:5060", "1001", "s3cret", 1)), "demo", false); out != OutcomeOK {
		t.Errorf("uri naming the PBX by address: %v, want ok", out)
	}
}

// chooser gives 2001 SHA-256 and everyone else MD5, as the directory does
// for a tenant's sha256_extensions; TenantFor makes it pick per account.
type chooser struct{ oneAccount }

func (chooser) TenantFor(string) (string, bool) { return "demo", true }
func (chooser) DigestAlgorithms(_, user string) []string {
	if user == "2001" {
		return []string{AlgSHA256}
	}
	return []string{AlgMD5}
}

func TestOneChallengePerAccountAndNoDowngrade(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	auth, err := NewAuthenticator("yimen", []string{AlgSHA256, AlgMD5}, time.Minute, chooser{oneAccount{"2001", NewCredentials("2001", "yimen", "pw")}},
		nil, slog.New(slog.DiscardHandler), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	reqFor := func(user string) *sip.Request {
		req := register(t, "sip:127.0.0.1", "127.0.0.5:5070", "")
		req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1"}})
		return req
	}
	algsOf := func(res *sip.Response) (out []string) {
		for _, h := range res.GetHeaders("WWW-Authenticate") {
			out = append(out, between(h.Value()+",", "algorithm=", ","))
		}
		return out
	}
	if got := algsOf(auth.Challenge(reqFor("2001"), false, false)); len(got) != 1 || got[0] != AlgSHA256 {
		t.Errorf("2001 challenged with %v, want SHA-256 alone", got)
	}
	if got := algsOf(auth.Challenge(reqFor("2002"), false, false)); len(got) != 1 || got[0] != AlgMD5 {
		t.Errorf("2002 challenged with %v, want MD5 alone", got)
	}
	// 2001's right password, answered with MD5: refused as a failure.
	ch := auth.Challenge(reqFor("2001"), false, false)
	md5 := answer(t, ch, "REGISTER", "sip:127.0.0.1", "2001", "pw", 1)
	req := reqFor("2001")
	req.AppendHeader(sip.NewHeader("Authorization", md5))
	if _, out := auth.Check(context.Background(), req, "demo", false); out != OutcomeFailed {
		t.Errorf("MD5 answer for a SHA-256 account: %v, want failed", out)
	}
}
