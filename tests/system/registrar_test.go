package system_test

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

// regPhone sends REGISTERs over raw UDP from one loopback socket, answering
// the digest challenge itself, so a test controls every header the
// registrar reads: Contact, Expires, Call-ID and CSeq.
type regPhone struct {
	t      *testing.T
	conn   *net.UDPConn
	to     *net.UDPAddr
	user   string
	pass   string
	callID string
	n      int
}

func newRegPhone(t *testing.T, p *testpbx.PBX, ip, user string) *regPhone {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	to, err := net.ResolveUDPAddr("udp", p.SIPAddr())
	if err != nil {
		t.Fatal(err)
	}
	return &regPhone{t: t, conn: conn, to: to, user: user, pass: p.Secrets[user], callID: "reg-" + ip + "@test"}
}

func (r *regPhone) local() *net.UDPAddr { return r.conn.LocalAddr().(*net.UDPAddr) }

// register sends REGISTER with CSeq cseq, an Expires header unless expires
// is "", and one Contact header per contacts entry; it answers the 401 and
// returns the final response.
func (r *regPhone) register(cseq int, expires string, contacts ...string) string {
	r.t.Helper()
	msg := func(auth string) string {
		r.n++
		var b strings.Builder
		fmt.Fprintf(&b, "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bKreg%d;rport\r\n", r.local(), r.n)
		fmt.Fprintf(&b, "Max-Forwards: 70\r\nFrom: <sip:%s@127.0.0.1>;tag=r%d\r\nTo: <sip:%s@127.0.0.1>\r\n", r.user, r.n, r.user)
		fmt.Fprintf(&b, "Call-ID: %s\r\nCSeq: %d REGISTER\r\n", r.callID, cseq)
		for _, c := range contacts {
			b.WriteString("Contact: " + c + "\r\n")
		}
		if expires != "" {
			b.WriteString("Expires: " + expires + "\r\n")
		}
		if auth != "" {
			b.WriteString("Authorization: " + auth + "\r\n")
		}
		b.WriteString("Content-Length: 0\r\n\r\n")
		return b.String()
	}
	ch := rawSIP(r.t, r.conn, r.to, msg(""))
	if !strings.HasPrefix(ch, "SIP/2.0 401 ") {
		r.t.Fatalf("REGISTER without credentials: want 401, got:\n%s", ch)
	}
	nonce := nonceRE.FindStringSubmatch(ch)[1]
	ha1 := md5hex(r.user + ":yimen:" + r.pass)
	ha2 := md5hex("REGISTER:sip:127.0.0.1")
	resp := md5hex(ha1 + ":" + nonce + ":00000001:rc:auth:" + ha2)
	auth := fmt.Sprintf(`Digest username="%s", realm="yimen", nonce="%s", uri="sip:127.0.0.1", response="%s", algorithm=MD5, qop=auth, nc=00000001, cnonce="rc"`,
		r.user, nonce, resp)
	return rawSIP(r.t, r.conn, r.to, msg(auth))
}

var contactRE = regexp.MustCompile(`(?mi)^(?:Contact|m):\s*<([^>]+)>`)

// boundContacts lists the Contact URIs a 200 to REGISTER reports bound.
func boundContacts(res string) []string {
	var out []string
	for _, m := range contactRE.FindAllStringSubmatch(res, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return out
}

func status(res string) string {
	line, _, _ := strings.Cut(res, "\r\n")
	return line
}

// An expiry under sip.min_expires gets 423 Interval Too Brief with the
// minimum in Min-Expires (RFC 3261 §10.3 step 7), and binds nothing;
// Expires 0 (a removal) is not "too brief".
func TestRegistrarIntervalTooBrief(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	r := newRegPhone(t, p, "127.0.160.1", "1001")
	contact := fmt.Sprintf("<sip:1001@%s>", r.local())
	res := r.register(1, "10", contact)
	if !strings.HasPrefix(res, "SIP/2.0 423 ") || !regexp.MustCompile(`(?mi)^Min-Expires:\s*60\r?$`).MatchString(res) {
		t.Fatalf("Expires 10 under min_expires 60: want 423 with Min-Expires: 60, got:\n%s", res)
	}
	res = r.register(2, "", contact+";expires=59")
	if !strings.HasPrefix(res, "SIP/2.0 423 ") {
		t.Errorf("Contact expires=59: want 423, got %s", status(res))
	}
	var regs []map[string]any
	p.AdminJSON(t, "/api/v1/registrations", &regs)
	if len(regs) != 0 {
		t.Errorf("a refused REGISTER bound %v", regs)
	}
	if res := r.register(3, "60", contact); !strings.HasPrefix(res, "SIP/2.0 200 ") || len(boundContacts(res)) != 1 {
		t.Fatalf("Expires 60 (the minimum): %s", res)
	}
	if res := r.register(4, "0", contact); !strings.HasPrefix(res, "SIP/2.0 200 ") || len(boundContacts(res)) != 0 {
		t.Fatalf("Expires 0 must remove, not be too brief: %s", res)
	}
}

// "Contact: *" with Expires 0 removes every binding of the AOR, those of
// other Call-IDs too; with any other expiry, or beside another Contact, it
// is a 400 and changes nothing (RFC 3261 §10.3 step 6).
func TestRegistrarWildcardContactRemovesAll(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	desk := newRegPhone(t, p, "127.0.161.1", "1002")
	soft := newRegPhone(t, p, "127.0.161.2", "1002")
	if res := desk.register(1, "600", fmt.Sprintf("<sip:1002@%s>", desk.local())); !strings.HasPrefix(res, "SIP/2.0 200 ") {
		t.Fatal(res)
	}
	res := soft.register(1, "600", fmt.Sprintf("<sip:1002@%s>", soft.local()))
	if got := boundContacts(res); len(got) != 2 {
		t.Fatalf("two phones of 1002: bound %v, want 2", got)
	}
	for _, bad := range []struct {
		expires  string
		contacts []string
	}{
		{"600", []string{"*"}},
		{"", []string{"*"}},
		{"0", []string{"*", fmt.Sprintf("<sip:1002@%s>", soft.local())}},
	} {
		if res := soft.register(2, bad.expires, bad.contacts...); !strings.HasPrefix(res, "SIP/2.0 400 ") {
			t.Errorf("Contact %v, Expires %q: %s, want 400", bad.contacts, bad.expires, status(res))
		}
	}
	var regs []map[string]any
	p.AdminJSON(t, "/api/v1/registrations", &regs)
	if len(regs) != 2 {
		t.Fatalf("after refused wildcards: %d registrations, want the 2 still bound", len(regs))
	}
	res = soft.register(3, "0", "*")
	if !strings.HasPrefix(res, "SIP/2.0 200 ") || len(boundContacts(res)) != 0 {
		t.Fatalf("Contact: * with Expires 0: want 200 with no contacts, got:\n%s", res)
	}
	p.AdminJSON(t, "/api/v1/registrations", &regs)
	if len(regs) != 0 {
		t.Errorf("after Contact: *, registrations = %v", regs)
	}
}

// An AOR keeps at most sip.max_contacts bindings: the newest replaces the
// oldest.
func TestRegistrarContactLimitDropsTheOldest(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t, func(c *cfgT) { c.SIP.MaxContacts = 2 })
	r := newRegPhone(t, p, "127.0.162.1", "1003")
	uri := func(port int) string { return fmt.Sprintf("sip:1003@127.0.162.1:%d", port) }
	var res string
	for i, port := range []int{7001, 7002, 7003} {
		res = r.register(i+1, "600", "<"+uri(port)+">")
		if !strings.HasPrefix(res, "SIP/2.0 200 ") {
			t.Fatalf("contact %d: %s", port, res)
		}
	}
	if got, want := boundContacts(res), []string{uri(7002), uri(7003)}; !slices.Equal(got, want) {
		t.Errorf("bound %v, want %v (the oldest, %s, dropped)", got, want, uri(7001))
	}
	// Three Contacts in one REGISTER are held to the limit too.
	res = r.register(4, "600", "<"+uri(7004)+">", "<"+uri(7005)+">", "<"+uri(7006)+">")
	if got, want := boundContacts(res), []string{uri(7005), uri(7006)}; !slices.Equal(got, want) {
		t.Errorf("three contacts at once: bound %v, want %v", got, want)
	}
}

// A REGISTER of the same Call-ID with a CSeq not above the binding's is an
// out-of-order retransmission: it must not undo the newer state (RFC 3261
// §10.3 step 7).
func TestRegistrarIgnoresAnOlderCSeq(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t)
	r := newRegPhone(t, p, "127.0.163.1", "1004")
	contact := fmt.Sprintf("<sip:1004@%s>", r.local())
	if res := r.register(10, "600", contact); len(boundContacts(res)) != 1 {
		t.Fatalf("CSeq 10: %s", res)
	}
	for _, cseq := range []int{9, 10} {
		res := r.register(cseq, "0", contact)
		if !strings.HasPrefix(res, "SIP/2.0 200 ") || len(boundContacts(res)) != 1 {
			t.Errorf("removal with CSeq %d after 10: %s with %v bound, want the binding kept", cseq, status(res), boundContacts(res))
		}
	}
	if res := r.register(11, "0", contact); !strings.HasPrefix(res, "SIP/2.0 200 ") || len(boundContacts(res)) != 0 {
		t.Errorf("removal with CSeq 11: %s with %v bound, want none", status(res), boundContacts(res))
	}
}

// A phone behind NAT registers a Contact it cannot be reached on (its
// private address); the registrar keeps the source address the REGISTER
// came from (received/rport) and calls to the phone go there.
func TestRegistrarNATFallbackToTheSourceAddress(t *testing.T) {
	t.Parallel()
	sipp.Require(t)
	p := testpbx.Start(t)
	phone := newRegPhone(t, p, "127.0.164.1", "1002")
	const private = "sip:1002@192.0.2.10:5060" // TEST-NET-1: nothing answers there
	if res := phone.register(1, "600", "<"+private+">"); !strings.HasPrefix(res, "SIP/2.0 200 ") {
		t.Fatalf("register behind NAT: %s", res)
	}
	var regs []struct {
		Contact  string `json:"contact"`
		Received string `json:"received"`
	}
	p.AdminJSON(t, "/api/v1/registrations", &regs)
	if len(regs) != 1 || regs[0].Received != phone.local().String() {
		t.Fatalf("registrations %+v: want received = %s", regs, phone.local())
	}

	done := make(chan *sipp.Result, 1)
	go func() { done <- p.Call(t, "1001", "127.0.164.2", expectScenario(t, 486, ""), "1002", nil) }()
	buf := make([]byte, 8192)
	phone.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var inv string
	var from *net.UDPAddr
	for !strings.HasPrefix(inv, "INVITE ") { // skip a keep-alive OPTIONS, if any
		n, addr, err := phone.conn.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("no INVITE at the source address %s: %v", phone.local(), err)
		}
		inv, from = string(buf[:n]), addr
	}
	// Busy: the caller's scenario expects the 486 to reach it.
	var busy strings.Builder
	busy.WriteString("SIP/2.0 486 Busy Here\r\n")
	for _, line := range strings.Split(inv, "\r\n") {
		name, _, _ := strings.Cut(line, ":")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "via", "v", "from", "f", "call-id", "i", "cseq":
			busy.WriteString(line + "\r\n")
		case "to", "t":
			busy.WriteString(line + ";tag=natbusy\r\n")
		}
	}
	busy.WriteString("Content-Length: 0\r\n\r\n")
	if _, err := phone.conn.WriteToUDP([]byte(busy.String()), from); err != nil {
		t.Fatal(err)
	}
	if err := (<-done).Check(1); err != nil {
		t.Errorf("caller: %v", err)
	}
}
