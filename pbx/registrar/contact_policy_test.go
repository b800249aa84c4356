package registrar

import (
	"context"
	"log/slog"
	"net/netip"
	"testing"

	"github.com/emiago/sipgo/sip"
)

type anyTenant struct{}

func (anyTenant) TenantFor(string) (string, bool) { return "demo", true }

func newTestRegistrar(t *testing.T, policy ContactPolicy) *Registrar {
	t.Helper()
	r, err := New(context.Background(), Config{MinExpires: 60, MaxExpires: 3600, DefaultExpires: 600, MaxContacts: 5, Contacts: policy},
		nil, nil, anyTenant{}, slog.New(slog.DiscardHandler), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// registerFrom is an (already authenticated) REGISTER of 1001 from source
// with one Contact.
func registerFrom(t *testing.T, source, contactURI string) *sip.Request {
	t.Helper()
	req := register(t, "sip:192.0.2.1", source, "")
	var u sip.Uri
	if err := sip.ParseUri(contactURI, &u); err != nil {
		t.Fatal(err)
	}
	req.AppendHeader(&sip.ContactHeader{Address: u, Params: sip.NewParams()})
	cid := sip.CallIDHeader("reg-" + source)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.REGISTER})
	req.SetTransport("UDP")
	return req
}

// A Contact on a forbidden address (metadata, link-local, loopback on a
// PBX that is not, multicast) of another host than the REGISTER's is
// refused 403 and binds nothing; a Contact on another, ordinary host is
// the NAT case and is bound.
func TestRegisterRefusesContactsOnForbiddenAddresses(t *testing.T) {
	r := newTestRegistrar(t, ContactPolicy{})
	ctx := context.Background()
	for _, c := range []string{"sip:1001@169.254.169.254:80", "sip:1001@100.100.100.200", "sip:1001@127.0.0.1:8080", "sip:1001@[::1]:5060",
		"sip:1001@0.0.0.0", "sip:1001@224.0.0.1", "sip:1001@[fe80::1]", "sip:1001@[fd00:ec2::254]"} {
		res, result := r.apply(ctx, registerFrom(t, "198.51.100.7:5060", c), "demo", "1001")
		if res.StatusCode != 403 || result != "forbidden_contact" {
			t.Errorf("Contact %s: %d %s, want 403", c, res.StatusCode, result)
		}
	}
	if n := r.Count(); n != 0 {
		t.Fatalf("%d bindings after refused REGISTERs", n)
	}
	if res, _ := r.apply(ctx, registerFrom(t, "198.51.100.7:5060", "sip:1001@192.168.1.20:5060"), "demo", "1001"); res.StatusCode != 200 {
		t.Errorf("a phone behind NAT (private Contact): %d, want 200", res.StatusCode)
	}
	// The PBX on loopback: phones beside it register loopback Contacts.
	lo := newTestRegistrar(t, ContactPolicy{Loopback: true})
	if res, _ := lo.apply(ctx, registerFrom(t, "127.0.0.5:5070", "sip:1001@127.0.0.9:5070"), "demo", "1001"); res.StatusCode != 200 {
		t.Errorf("loopback Contact on a PBX on loopback: %d, want 200", res.StatusCode)
	}
	if res, _ := lo.apply(ctx, registerFrom(t, "127.0.0.5:5070", "sip:1001@169.254.169.254"), "demo", "1001"); res.StatusCode != 403 {
		t.Errorf("metadata Contact on a PBX on loopback: %d, want 403", res.StatusCode)
	}
}

// Requests go to a Contact's own address only when it is the REGISTER's
// host or inside the allowed networks; otherwise to the REGISTER's source,
// and a stream whose connection is gone then has no destination.
func TestDestinationUsesTheContactOnlyWhereAllowed(t *testing.T) {
	r := newTestRegistrar(t, ContactPolicy{Networks: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")}})
	src := netip.MustParseAddrPort("198.51.100.7:40000")
	uri := func(s string) sip.Uri {
		var u sip.Uri
		if err := sip.ParseUri(s, &u); err != nil {
			t.Fatal(err)
		}
		return u
	}
	closed := func(string, string) bool { return false }
	open := func(string, string) bool { return true }
	for _, c := range []struct {
		name, contact, transport string
		alive                    func(string, string) bool
		want                     string // "" for no destination
	}{
		{"same host, its own port", "sip:1001@198.51.100.7:5062", "UDP", nil, "198.51.100.7:5062"},
		{"behind NAT", "sip:1001@192.168.1.20:5060", "UDP", nil, "198.51.100.7:40000"},
		{"an internal host", "sip:1001@10.0.0.5:8080", "UDP", nil, "198.51.100.7:40000"},
		{"inside contact_networks", "sip:1001@10.20.3.4:5060", "UDP", nil, "10.20.3.4:5060"},
		{"a hostname", "sip:1001@df7jal23ls0d.invalid;transport=ws", "UDP", nil, "198.51.100.7:40000"},
		{"stream open", "sip:1001@10.0.0.5:8080;transport=tcp", "TCP", open, "198.51.100.7:40000"},
		{"stream closed, internal host", "sip:1001@10.0.0.5:8080;transport=tcp", "TCP", closed, ""},
		{"stream closed, same host", "sip:1001@198.51.100.7:5062;transport=tcp", "TCP", closed, "198.51.100.7:5062"},
		{"stream closed, hostname", "sip:1001@df7jal23ls0d.invalid;transport=ws", "WS", closed, ""},
	} {
		got, ok := r.Destination(Binding{Received: src, Transport: c.transport}, uri(c.contact), c.alive)
		switch {
		case c.want == "" && ok:
			t.Errorf("%s: destination %s, want none", c.name, got)
		case c.want != "" && (!ok || got.String() != c.want):
			t.Errorf("%s: destination %s (%v), want %s", c.name, got, ok, c.want)
		}
	}
}
