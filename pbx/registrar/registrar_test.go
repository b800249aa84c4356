package registrar

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
)

// savedStore records what each flush writes.
type savedStore struct {
	mu      sync.Mutex
	upserts []Binding
}

func (s *savedStore) LoadBindings(context.Context) ([]Binding, error) { return nil, nil }
func (s *savedStore) SaveBindings(_ context.Context, up, _ []Binding) error {
	s.mu.Lock()
	s.upserts = append(s.upserts, up...)
	s.mu.Unlock()
	return nil
}

func (s *savedStore) take() []Binding {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.upserts
	s.upserts = nil
	return out
}

// phone sends REGISTERs for 1001 as bytes on the wire, answering challenges.
type phone struct {
	tb     testing.TB
	source string
	callID string
	cseq   int
	nc     int
	chal   *sip.Response
}

const testRURI = "sip:127.0.0.1:5060"

func (p *phone) wire(authz string, expires int) []byte {
	p.cseq++
	var b bytes.Buffer
	fmt.Fprintf(&b, "REGISTER %s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK%s-%d\r\nMax-Forwards: 70\r\n", testRURI, p.source, p.callID, p.cseq)
	fmt.Fprintf(&b, "From: <sip:1001@127.0.0.1>;tag=f%s\r\nTo: <sip:1001@127.0.0.1>\r\nCall-ID: %s\r\nCSeq: %d REGISTER\r\n", p.callID, p.callID, p.cseq)
	fmt.Fprintf(&b, "Contact: <sip:1001@%s>\r\nExpires: %d\r\nUser-Agent: test-phone\r\n", p.source, expires)
	if authz != "" {
		fmt.Fprintf(&b, "Authorization: %s\r\n", authz)
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.Bytes()
}

func parseRequest(tb testing.TB, data []byte, source string) *sip.Request {
	msg, err := sip.ParseMessage(data)
	if err != nil {
		tb.Fatal(err)
	}
	req := msg.(*sip.Request)
	req.SetSource(source)
	req.SetTransport("UDP")
	return req
}

// register runs REGISTER (and, when challenged, the answer) and returns
// the final response.
func (p *phone) register(r *Registrar, expires int) *sip.Response {
	ctx := context.Background()
	if p.chal == nil {
		p.chal = r.Answer(ctx, parseRequest(p.tb, p.wire("", expires), p.source))
		p.nc = 0
	}
	p.nc++
	res := r.Answer(ctx, parseRequest(p.tb, p.wire(answerTB(p.tb, p.chal, "REGISTER", testRURI, "1001", "s3cret", p.nc), expires), p.source))
	if res.StatusCode == 401 { // stale nonce: answer the new challenge
		p.chal, p.nc = res, 1
		res = r.Answer(ctx, parseRequest(p.tb, p.wire(answerTB(p.tb, p.chal, "REGISTER", testRURI, "1001", "s3cret", p.nc), expires), p.source))
	}
	return res
}

func answerTB(tb testing.TB, res *sip.Response, method, ruri, user, pass string, nc int) string {
	if t, ok := tb.(*testing.T); ok {
		return answer(t, res, method, ruri, user, pass, nc)
	}
	h := res.GetHeader("WWW-Authenticate")
	nonce := between(h.Value(), `nonce="`, `"`)
	ha1 := hexHash(newHash(AlgMD5), user+":yimen:"+pass)
	ha2 := hexHash(newHash(AlgMD5), method+":"+ruri)
	ncs := fmt.Sprintf("%08x", nc)
	resp := hexHash(newHash(AlgMD5), ha1+":"+nonce+":"+ncs+":c0ffee:auth:"+ha2)
	return fmt.Sprintf(`Digest username="%s", realm="yimen", nonce="%s", uri="%s", response="%s", algorithm=MD5, qop=auth, nc=%s, cnonce="c0ffee"`,
		user, nonce, ruri, resp, ncs)
}

func newAuthRegistrar(tb testing.TB, store BindingStore, now func() time.Time) *Registrar {
	log := slog.New(slog.DiscardHandler)
	auth, err := NewAuthenticator("yimen", []string{AlgMD5}, 30*time.Second, oneAccount{"1001", NewCredentials("1001", "yimen", "s3cret")}, nil, log, now)
	if err != nil {
		tb.Fatal(err)
	}
	r, err := New(context.Background(), Config{MinExpires: 60, MaxExpires: 3600, DefaultExpires: 3600, MaxContacts: 5}, auth, store, anyTenant{}, log, nil, now)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// A refresh that changes only the expiry is written once it runs a minute
// (a tenth of the lifetime, at most a minute) past what the store holds; a
// changed address is written at once; a graceful stop writes what memory
// holds beyond the store.
func TestRefreshesWithinTheSlackStayInMemory(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	store := &savedStore{}
	r := newAuthRegistrar(t, store, clock)
	p := &phone{tb: t, source: "127.0.0.5:5070", callID: "c1"}
	ctx := context.Background()

	if res := p.register(r, 3600); res.StatusCode != 200 {
		t.Fatalf("first REGISTER: %d", res.StatusCode)
	}
	r.Flush(ctx)
	if got := store.take(); len(got) != 1 || !got[0].Expires.Equal(now.Add(time.Hour)) {
		t.Fatalf("first REGISTER wrote %+v, want one binding expiring in an hour", got)
	}

	now = now.Add(30 * time.Second)
	p.callID = "c1-after-a-restart" // a new Call-ID alone is no reason to write
	if res := p.register(r, 3600); res.StatusCode != 200 {
		t.Fatalf("refresh: %d", res.StatusCode)
	}
	r.Flush(ctx)
	if got := store.take(); len(got) != 0 {
		t.Errorf("a refresh 30 s on wrote %d bindings, want none", len(got))
	}
	if l := r.Lookup("demo", "1001"); len(l) != 1 || !l[0].Expires.Equal(now.Add(time.Hour)) {
		t.Errorf("memory holds %+v, want the refreshed expiry", l)
	}

	now = now.Add(31 * time.Second) // 61 s past what the store holds
	p.register(r, 3600)
	r.Flush(ctx)
	if got := store.take(); len(got) != 1 || !got[0].Expires.Equal(now.Add(time.Hour)) {
		t.Errorf("a refresh 61 s past the stored expiry wrote %+v, want it written", got)
	}

	now = now.Add(time.Second)
	p.source = "127.0.0.5:5071" // the NAT binding moved
	p.register(r, 3600)
	r.Flush(ctx)
	if got := store.take(); len(got) != 1 || got[0].Received.String() != "127.0.0.5:5071" {
		t.Errorf("a refresh from a new address wrote %+v, want it written at once", got)
	}

	now = now.Add(5 * time.Second)
	p.register(r, 3600)
	r.Flush(ctx)
	if got := store.take(); len(got) != 0 {
		t.Fatalf("wrote %d, want the refresh kept in memory", len(got))
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { r.Run(runCtx); close(done) }()
	stop()
	<-done
	if got := store.take(); len(got) != 1 || !got[0].Expires.Equal(now.Add(time.Hour)) {
		t.Errorf("the stop's flush wrote %+v, want the refresh kept in memory", got)
	}
}

// A short registration's slack is a tenth of its lifetime.
func TestShortRegistrationsAreWrittenWithinATenth(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	store := &savedStore{}
	r := newAuthRegistrar(t, store, func() time.Time { return now })
	p := &phone{tb: t, source: "127.0.0.5:5070", callID: "c2"}
	p.register(r, 60)
	r.Flush(context.Background())
	store.take()
	now = now.Add(7 * time.Second) // past 6 s, a tenth of 60
	p.register(r, 60)
	r.Flush(context.Background())
	if got := store.take(); len(got) != 1 {
		t.Errorf("a 60 s binding refreshed 7 s on wrote %d, want 1", len(got))
	}
}

// BenchmarkRegister is the registrar's share of one digest registration as
// the UDP fast path runs it: parse the REGISTER, challenge it, write the
// 401 out, parse the answer, check it, update the binding, write the 200
// out. The phone's side (building requests, the digest answer) is done in
// batches outside the timer.
func BenchmarkRegister(b *testing.B) {
	now := time.Unix(1_800_000_000, 0)
	r := newAuthRegistrar(b, &savedStore{}, func() time.Time { return now })
	p := &phone{tb: b, source: "127.0.0.5:5070", callID: "bench"}
	ctx := context.Background()
	var out bytes.Buffer
	const batch = 512
	firsts, seconds, chals := make([][]byte, batch), make([][]byte, batch), make([]*sip.Response, batch)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += batch {
		n := min(batch, b.N-done)
		b.StopTimer()
		now = now.Add(5 * time.Second) // nonces age out of the replay table
		for i := range n {
			firsts[i] = p.wire("", 3600)
		}
		b.StartTimer()
		for i := range n {
			chals[i] = r.Answer(ctx, parseRequest(b, firsts[i], p.source))
			out.Reset()
			chals[i].StringWrite(&out)
		}
		b.StopTimer()
		for i := range n {
			seconds[i] = p.wire(answerTB(b, chals[i], "REGISTER", testRURI, "1001", "s3cret", 1), 3600)
		}
		b.StartTimer()
		for i := range n {
			res := r.Answer(ctx, parseRequest(b, seconds[i], p.source))
			out.Reset()
			res.StringWrite(&out)
			if res.StatusCode != 200 {
				b.Fatalf("registration %d: %d", done+i, res.StatusCode)
			}
		}
	}
}

// Header names are matched in any case: "expires", "user-agent" and
// "AUTHORIZATION" work as their usual spelling does.
func TestHeaderNamesInAnyCase(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	r := newAuthRegistrar(t, &savedStore{}, func() time.Time { return now })
	p := &phone{tb: t, source: "127.0.0.5:5070", callID: "case"}
	ctx := context.Background()
	chal := r.Answer(ctx, parseRequest(t, p.wire("", 120), p.source))
	wire := string(p.wire(answer(t, chal, "REGISTER", testRURI, "1001", "s3cret", 1), 120))
	wire = strings.NewReplacer("Expires:", "expires:", "User-Agent:", "user-agent:", "Authorization:", "AUTHORIZATION:").Replace(wire)
	res := r.Answer(ctx, parseRequest(t, []byte(wire), p.source))
	if res.StatusCode != 200 {
		t.Fatalf("REGISTER with lower-case header names: %d", res.StatusCode)
	}
	l := r.Lookup("demo", "1001")
	if len(l) != 1 || !l[0].Expires.Equal(now.Add(120*time.Second)) || l[0].UserAgent != "test-phone" {
		t.Errorf("bound %+v, want expiry in 120 s and the User-Agent", l)
	}
	if c := res.GetHeader("Contact"); c == nil || !strings.HasSuffix(c.Value(), ";expires=120") {
		t.Errorf("200's Contact: %v", c)
	}
}

// The 200's Date is the registrar's clock in RFC 1123 GMT, and moves with
// it (the text is made once a second and reused within it).
func TestOKCarriesTheDateOfItsSecond(t *testing.T) {
	now := time.Date(2026, 12, 7, 2, 30, 15, 400_000_000, time.FixedZone("CST", 8*3600))
	r := newAuthRegistrar(t, &savedStore{}, func() time.Time { return now })
	p := &phone{tb: t, source: "127.0.0.5:5070", callID: "d1"}
	for _, tc := range []struct {
		step time.Duration
		want string
	}{
		{0, "Sun, 06 Dec 2026 18:30:15 GMT"},
		{500 * time.Millisecond, "Sun, 06 Dec 2026 18:30:15 GMT"}, // 15.9 s: the same second
		{200 * time.Millisecond, "Sun, 06 Dec 2026 18:30:16 GMT"},
		{time.Hour, "Sun, 06 Dec 2026 19:30:16 GMT"},
	} {
		now = now.Add(tc.step)
		res := p.register(r, 3600)
		if res.StatusCode != 200 {
			t.Fatalf("REGISTER: %d", res.StatusCode)
		}
		if h := res.GetHeader("Date"); h == nil || h.Value() != tc.want {
			t.Fatalf("at %v Date is %v, want %q", now, h, tc.want)
		}
	}
}
