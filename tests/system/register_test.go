package system_test

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

func TestRegisterDigestAndRestartKeepsBinding(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	p.Register(t, "1001", "127.0.1.1", 5999)
	if got := p.Metric(t, "yimen_sip_register_total", map[string]string{"result": "ok"}); got != 1 {
		t.Fatalf("register ok count = %v", got)
	}
	var regs []struct{ Extension, Contact string }
	p.AdminJSON(t, "/api/v1/registrations", &regs)
	if len(regs) != 1 || regs[0].Extension != "1001" || !strings.Contains(regs[0].Contact, "127.0.1.1:5999") {
		t.Fatalf("registrations = %+v", regs)
	}

	p.Restart(t)
	regs = nil
	p.AdminJSON(t, "/api/v1/registrations", &regs)
	if len(regs) != 1 || regs[0].Extension != "1001" {
		t.Fatalf("after restart registrations = %+v, want 1001's binding back", regs)
	}

	res := testpbx.RunSIPp(t, sipp.Options{Scenario: sipp.Scenario("unregister.xml"), Remote: p.SIPAddr(), LocalIP: "127.0.1.1",
		User: "1001", Password: p.Secrets["1001"], Service: "1001", Vars: map[string]string{"contact_port": "5999"}})
	if err := res.Check(1); err != nil {
		t.Fatal(err)
	}
	regs = nil
	p.AdminJSON(t, "/api/v1/registrations", &regs)
	if len(regs) != 0 {
		t.Fatalf("after unregister registrations = %+v", regs)
	}
}

// rawSIP sends one UDP request and returns the first response.
func rawSIP(t *testing.T, conn *net.UDPConn, to *net.UDPAddr, msg string) string {
	t.Helper()
	if _, err := conn.WriteToUDP([]byte(msg), to); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8192)
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	n, _, err := conn.ReadFromUDP(buf)
	if err != nil {
		t.Fatalf("no response to:\n%s\nerr: %v", msg, err)
	}
	return string(buf[:n])
}

func registerMsg(local *net.UDPAddr, user, branch, auth string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK%s;rport\r\n", local, branch)
	fmt.Fprintf(&b, "Max-Forwards: 70\r\nFrom: <sip:%s@127.0.0.1>;tag=t%s\r\nTo: <sip:%s@127.0.0.1>\r\n", user, branch, user)
	fmt.Fprintf(&b, "Call-ID: c%s@test\r\nCSeq: 1 REGISTER\r\nContact: <sip:%s@%s>\r\nExpires: 60\r\n", branch, user, local)
	if auth != "" {
		b.WriteString("Authorization: " + auth + "\r\n")
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.String()
}

var nonceRE = regexp.MustCompile(`nonce="([^"]+)"`)

func md5hex(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

// shape removes what must differ between two responses (nonces, tags, branches, users).
func shape(res string, user, branch string) string {
	res = nonceRE.ReplaceAllString(res, `nonce="N"`)
	res = regexp.MustCompile(`;tag=[^;\r\n>]+`).ReplaceAllString(res, ";tag=T")
	res = strings.ReplaceAll(res, branch, "B")
	return strings.ReplaceAll(res, user, "U")
}

func TestUnknownUserAndWrongPasswordLookTheSame(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 1, 2)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	to, _ := net.ResolveUDPAddr("udp", p.SIPAddr())
	local := conn.LocalAddr().(*net.UDPAddr)

	attempt := func(user, pass, branch string) string {
		ch := rawSIP(t, conn, to, registerMsg(local, user, branch+"a", ""))
		if !strings.HasPrefix(ch, "SIP/2.0 401 ") {
			t.Fatalf("want 401 challenge, got:\n%s", ch)
		}
		nonce := nonceRE.FindStringSubmatch(ch)[1]
		ha1 := md5hex(user + ":yimen:" + pass)
		ha2 := md5hex("REGISTER:sip:127.0.0.1")
		resp := md5hex(ha1 + ":" + nonce + ":00000001:abc:auth:" + ha2)
		auth := fmt.Sprintf(`Digest username="%s", realm="yimen", nonce="%s", uri="sip:127.0.0.1", response="%s", algorithm=MD5, qop=auth, nc=00000001, cnonce="abc"`, user, nonce, resp)
		return rawSIP(t, conn, to, registerMsg(local, user, branch+"b", auth))
	}
	good := attempt("1003", p.Secrets["1003"], "g1")
	if !strings.HasPrefix(good, "SIP/2.0 200 ") {
		t.Fatalf("right password: %s", good)
	}
	wrong := attempt("1003", "not-the-password", "w1")
	unknown := attempt("7777", "whatever", "u1")
	if !strings.HasPrefix(wrong, "SIP/2.0 401 ") || !strings.HasPrefix(unknown, "SIP/2.0 401 ") {
		t.Fatalf("want 401s, got:\n%s\n%s", wrong, unknown)
	}
	if a, b := shape(wrong, "1003", "w1b"), shape(unknown, "7777", "u1b"); a != b {
		t.Fatalf("wrong password and unknown user differ on the wire:\n%s\n---\n%s", a, b)
	}
	if got := p.Metric(t, "yimen_sip_auth_failures_total", nil); got != 2 {
		t.Errorf("auth failures counted = %v, want 2", got)
	}
}

func TestSecretRotationThroughAdminAPI(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	code, body := p.Admin(t, "POST", "/api/v1/tenants/demo/extensions/1007/secret", strings.NewReader(`{"secret":"Migrated-Pass-01"}`))
	if code != 200 || !strings.Contains(string(body), "Migrated-Pass-01") {
		t.Fatalf("set: %d %s", code, body)
	}
	p.Secrets["1007"] = "Migrated-Pass-01"
	p.Register(t, "1007", "127.0.1.7", 5998)
	const secretURL = "/api/v1/tenants/demo/extensions/1007/secret"
	testpbx.Scenarios{Client: testpbx.NewClient(t, p, "")}.Run(t,
		testpbx.Scenario{Name: "too short", Method: "POST", URL: secretURL, Token: p.BreakGlass, Body: `{"secret":"short"}`, Status: 400},
		testpbx.Scenario{Name: "space", Method: "POST", URL: secretURL, Token: p.BreakGlass, Body: `{"secret":"has space 123"}`, Status: 400},
		testpbx.Scenario{Name: "bad json", Method: "POST", URL: secretURL, Token: p.BreakGlass, Body: `{bad json`, Status: 400},
		testpbx.Scenario{Name: "unknown extension", Method: "POST", URL: "/api/v1/tenants/demo/extensions/5555/secret", Token: p.BreakGlass, Status: 404},
		testpbx.Scenario{Name: "no token", Method: "POST", URL: secretURL, Status: 401, NotContains: []string{"Migrated-Pass-01"}},
	)
	code, body = p.Admin(t, "POST", "/api/v1/tenants/demo/extensions/1007/secret", nil)
	if code != 200 || strings.Contains(string(body), "Migrated-Pass-01") {
		t.Fatalf("rotate: %d %s", code, body)
	}
	// The old secret no longer works after the restart either.
	p.Restart(t)
	res := testpbx.RunSIPp(t, sipp.Options{Scenario: sipp.Scenario("register.xml"), Remote: p.SIPAddr(), LocalIP: "127.0.1.7",
		User: "1007", Password: "Migrated-Pass-01", Service: "1007", Vars: map[string]string{"contact_port": "5998"}, Timeout: 5 * time.Second})
	if res.Successful != 0 {
		t.Fatal("old secret still accepted after rotation")
	}
	// No admin token, no access.
	req, _ := http.NewRequest("GET", "http://"+p.HTTPAddr()+"/api/v1/cdrs?tenant=demo", nil)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 401 {
		t.Fatalf("no token: %v %v", res.StatusCode, err)
	}
}

func sha256hex(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

func TestSHA256DigestAndStaleNonce(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t, func(c *cfgT) {
		c.SIP.NonceTTL = time.Second
		c.Tenants[0].SHA256Extensions = []string{"1004"}
	})
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 1, 3)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	to, _ := net.ResolveUDPAddr("udp", p.SIPAddr())
	local := conn.LocalAddr().(*net.UDPAddr)
	user, pass := "1004", p.Secrets["1004"]

	// One challenge per extension: SHA-256 for the marked one, MD5 for the
	// rest (a client that cannot answer SHA-256 gives up on a double one).
	if ch := rawSIP(t, conn, to, registerMsg(local, "1005", "s0a", "")); strings.Contains(ch, "algorithm=SHA-256") || !strings.Contains(ch, "algorithm=MD5") {
		t.Fatalf("an unmarked extension's challenge is not MD5 alone:\n%s", ch)
	}
	ch := rawSIP(t, conn, to, registerMsg(local, user, "s1a", ""))
	if !strings.Contains(ch, "algorithm=SHA-256") || strings.Contains(ch, "algorithm=MD5") {
		t.Fatalf("the SHA-256 extension's challenge is not SHA-256 alone:\n%s", ch)
	}
	nonce := nonceRE.FindStringSubmatch(ch)[1]
	answer := func(nonce, branch string) string {
		ha1 := sha256hex(user + ":yimen:" + pass)
		ha2 := sha256hex("REGISTER:sip:127.0.0.1")
		resp := sha256hex(ha1 + ":" + nonce + ":00000001:c1:auth:" + ha2)
		auth := fmt.Sprintf(`Digest username="%s", realm="yimen", nonce="%s", uri="sip:127.0.0.1", response="%s", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="c1"`, user, nonce, resp)
		return rawSIP(t, conn, to, registerMsg(local, user, branch, auth))
	}
	if res := answer(nonce, "s1b"); !strings.HasPrefix(res, "SIP/2.0 200 ") {
		t.Fatalf("SHA-256 digest: %s", res)
	}
	time.Sleep(2100 * time.Millisecond)
	res := answer(nonce, "s2b")
	if !strings.HasPrefix(res, "SIP/2.0 401 ") || !strings.Contains(res, "stale=true") {
		t.Fatalf("expired nonce with the right password should get 401 stale=true:\n%s", res)
	}
	if got := p.Metric(t, "yimen_sip_auth_failures_total", nil); got != 0 {
		t.Errorf("a stale nonce counted as %v auth failures", got)
	}
	fresh := nonceRE.FindStringSubmatch(res)[1]
	if res := answer(fresh, "s3b"); !strings.HasPrefix(res, "SIP/2.0 200 ") {
		t.Fatalf("retry with the fresh nonce: %s", res)
	}
	// No downgrade: the SHA-256 extension's MD5 answer, right password, is refused.
	n4 := nonceRE.FindStringSubmatch(rawSIP(t, conn, to, registerMsg(local, user, "s4a", "")))[1]
	ha1 := md5hex(user + ":yimen:" + pass)
	resp := md5hex(ha1 + ":" + n4 + ":00000001:c1:auth:" + md5hex("REGISTER:sip:127.0.0.1"))
	md5Auth := fmt.Sprintf(`Digest username="%s", realm="yimen", nonce="%s", uri="sip:127.0.0.1", response="%s", algorithm=MD5, qop=auth, nc=00000001, cnonce="c1"`, user, n4, resp)
	if res := rawSIP(t, conn, to, registerMsg(local, user, "s4b", md5Auth)); !strings.HasPrefix(res, "SIP/2.0 401 ") {
		t.Fatalf("an MD5 answer for a SHA-256 extension: %s", res)
	}
}
