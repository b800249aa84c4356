package registrar

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestVerifyRFCVectors(t *testing.T) {
	cases := []struct {
		name, header, realm, pass string
	}{
		{"RFC2617 MD5", `Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"`, "testrealm@host.com", "Circle Of Life"},
		{"RFC7616 SHA-256", `Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`, "http-auth@example.org", "Circle of Life"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cr, err := parseCredentials(c.header)
			if err != nil {
				t.Fatal(err)
			}
			ok, err := verify(cr, "GET", NewCredentials("Mufasa", c.realm, c.pass))
			if err != nil || !ok {
				t.Fatalf("ok=%v err=%v", ok, err)
			}
			ok, _ = verify(cr, "GET", NewCredentials("Mufasa", c.realm, c.pass+"x"))
			if ok {
				t.Fatal("wrong password verified")
			}
			ok, _ = verify(cr, "POST", NewCredentials("Mufasa", c.realm, c.pass))
			if ok {
				t.Fatal("method is not bound into the response")
			}
		})
	}
}

func TestParseCredentialsRejectsMalformed(t *testing.T) {
	for _, h := range []string{
		"", "Basic abc", "Digest", `Digest username="a`, `Digest username=a, nonce=b, uri=c`,
		`Digest =x`, "Digest " + strings.Repeat("a", maxAuthHeader),
	} {
		if _, err := parseCredentials(h); !errors.Is(err, ErrBadAuthHeader) {
			t.Errorf("%q: err=%v", h, err)
		}
	}
	c, err := parseCredentials(`digest  username="10\"01", nonce=n ,uri="sip:x", response=ABC,algorithm=sha-256`)
	if err != nil || c.Username != `10"01` || c.Response != "abc" || c.Algorithm != "sha-256" {
		t.Fatalf("%+v %v", c, err)
	}
}

func TestVerifyRejectsUnknownAlgAndQop(t *testing.T) {
	c := credentials{Username: "u", Nonce: "n", URI: "sip:x", Response: "00", Algorithm: "SHA-512-256"}
	if _, err := verify(c, "REGISTER", NewCredentials("u", "r", "p")); err == nil {
		t.Fatal("unsupported algorithm accepted")
	}
	c.Algorithm, c.QOP = "MD5", "auth-int"
	if _, err := verify(c, "REGISTER", NewCredentials("u", "r", "p")); err == nil {
		t.Fatal("auth-int accepted without support")
	}
}

func TestNonceLifecycle(t *testing.T) {
	ns, err := newNonceSealer(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	phone := netip.MustParseAddr("192.0.2.10")
	t0 := time.Unix(1_800_000_000, 0)
	n := ns.issue(t0, phone)
	if ours, fresh, issued := ns.check(n, t0.Add(30*time.Second), phone); !ours || !fresh || !issued.Equal(t0) {
		t.Fatalf("fresh nonce rejected (ours %v fresh %v issued %v)", ours, fresh, issued)
	}
	if ours, fresh, _ := ns.check(n, t0.Add(2*time.Minute), phone); !ours || fresh {
		t.Fatal("expired nonce not stale")
	}
	if ours, _, _ := ns.check(n, t0, netip.MustParseAddr("198.51.100.66")); ours {
		t.Fatal("nonce answered from another address accepted")
	}
	if ours, _, _ := ns.check(n, t0, netip.MustParseAddr("::ffff:192.0.2.10")); !ours {
		t.Fatal("the same address written IPv4-mapped is another address")
	}
	other, _ := newNonceSealer(time.Minute)
	if ours, _, _ := other.check(n, t0, phone); ours {
		t.Fatal("nonce from another key accepted")
	}
	tampered := []byte(n)
	tampered[3] ^= 1
	if ours, _, _ := ns.check(string(tampered), t0, phone); ours {
		t.Fatal("tampered nonce accepted")
	}
	if n2 := ns.issue(t0, phone); n2 == n {
		t.Fatal("nonces repeat")
	}
}

func TestNonceUsesRefuseReplays(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	u := newNonceUses(3, time.Minute)
	if !u.use("a", t0, 1, t0) || u.use("a", t0, 1, t0) {
		t.Fatal("nc 1 twice: want first use only")
	}
	if !u.use("a", t0, 2, t0) || u.use("a", t0, 2, t0) || u.use("a", t0, 1, t0) {
		t.Fatal("nc must rise with each use")
	}
	if !u.use("b", t0, 0, t0) || u.use("b", t0, 0, t0) {
		t.Fatal("an answer without qop is good once")
	}
	// Full: remembering d forgets the oldest (a); a is then refused, as is
	// any unseen nonce issued no later than it.
	t1, t2 := t0.Add(time.Second), t0.Add(2*time.Second)
	u.use("c", t1, 1, t1)
	if !u.use("d", t2, 1, t2) {
		t.Fatal("a fresh nonce refused when the table is full")
	}
	if u.len() != 3 {
		t.Fatalf("remembers %d nonces, want the bound 3", u.len())
	}
	if u.use("a", t0, 3, t2) {
		t.Fatal("a forgotten nonce was accepted again")
	}
	if u.use("unseen", t0, 1, t2) {
		t.Fatal("an unseen nonce older than a forgotten one was accepted")
	}
	// Expired nonces leave without raising the mark.
	later := t2.Add(5 * time.Minute)
	if !u.use("e", later, 1, later) || u.len() != 1 {
		t.Fatalf("expired nonces not forgotten: %d remembered", u.len())
	}
}

func FuzzParseCredentials(f *testing.F) {
	f.Add(`Digest username="1001", realm="yimen", nonce="abc", uri="sip:127.0.0.1", response="0123", algorithm=MD5, qop=auth, nc=00000001, cnonce="x"`)
	f.Add(`Digest username="a\"b", nonce=n, uri=u, response=r`)
	f.Add(`Digest ,,,,=`)
	f.Fuzz(func(t *testing.T, h string) {
		c, err := parseCredentials(h)
		if err != nil {
			return
		}
		if c.Username == "" || c.Nonce == "" || c.URI == "" || c.Response == "" {
			t.Fatalf("accepted incomplete credentials %+v", c)
		}
		_, _ = verify(c, "REGISTER", NewCredentials(c.Username, "yimen", "pw"))
	})
}
