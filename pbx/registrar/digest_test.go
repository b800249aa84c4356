package registrar

import (
	"errors"
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
	t0 := time.Unix(1_800_000_000, 0)
	n := ns.issue(t0)
	if ours, fresh := ns.check(n, t0.Add(30*time.Second)); !ours || !fresh {
		t.Fatal("fresh nonce rejected")
	}
	if ours, fresh := ns.check(n, t0.Add(2*time.Minute)); !ours || fresh {
		t.Fatal("expired nonce not stale")
	}
	other, _ := newNonceSealer(time.Minute)
	if ours, _ := other.check(n, t0); ours {
		t.Fatal("nonce from another key accepted")
	}
	tampered := []byte(n)
	tampered[3] ^= 1
	if ours, _ := ns.check(string(tampered), t0); ours {
		t.Fatal("tampered nonce accepted")
	}
	if n2 := ns.issue(t0); n2 == n {
		t.Fatal("nonces repeat")
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
