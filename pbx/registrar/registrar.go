package registrar

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"
)

// TenantResolver maps the domain of a request (To / Request-URI host) to a tenant.
type TenantResolver interface {
	TenantFor(host string) (string, bool)
}

// Config bounds registrations.
type Config struct {
	MinExpires, MaxExpires, DefaultExpires int
	MaxContacts                            int
	Contacts                               ContactPolicy // which Contact addresses requests may be sent to
	FlushInterval                          time.Duration // persistence batching; default 100 ms
}

// Registrar answers REGISTER and is the location service.
type Registrar struct {
	cfg     Config
	auth    *Authenticator
	store   BindingStore
	tenants TenantResolver
	log     *slog.Logger
	now     func() time.Time

	mu       sync.RWMutex
	bindings map[aorKey][]Binding
	total    int // bindings in the map, kept up to date by apply and expire

	pendingMu sync.Mutex
	upserts   map[string]Binding
	removes   map[string]Binding
	kick      chan struct{}

	onChange   func(tenant, aor string, registered bool)
	registered prometheus.Gauge
	requests   *prometheus.CounterVec

	date atomic.Pointer[dateText] // the Date header's text, made once a second
}

// dateText is a Date header's value for the second at.
type dateText struct {
	at   int64
	text string
}

// dateHeader is the Date header for now; the text is formatted once per
// second, not for every 200.
func (r *Registrar) dateHeader(now time.Time) string {
	sec := now.Unix()
	if d := r.date.Load(); d != nil && d.at == sec {
		return d.text
	}
	d := &dateText{at: sec, text: now.UTC().Format(dateFormat)}
	r.date.Store(d)
	return d.text
}

// New restores persisted bindings and returns a registrar.
func New(ctx context.Context, cfg Config, auth *Authenticator, store BindingStore, tenants TenantResolver, log *slog.Logger, reg prometheus.Registerer, now func() time.Time) (*Registrar, error) {
	if now == nil {
		now = time.Now
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = 100 * time.Millisecond
	}
	r := &Registrar{
		cfg: cfg, auth: auth, store: store, tenants: tenants, log: log, now: now,
		bindings: map[aorKey][]Binding{},
		upserts:  map[string]Binding{}, removes: map[string]Binding{},
		kick:       make(chan struct{}, 1),
		registered: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "yimen", Name: "sip_registered_contacts", Help: "Registered SIP contacts."}),
		requests:   prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "yimen", Name: "sip_register_total", Help: "REGISTER requests by result."}, []string{"result"}),
	}
	if reg != nil {
		reg.MustRegister(r.registered, r.requests)
	}
	if store != nil {
		list, err := store.LoadBindings(ctx)
		if err != nil {
			return nil, fmt.Errorf("registrar: restore bindings: %w", err)
		}
		t := now()
		n := 0
		for _, b := range list {
			if b.Expires.After(t) {
				b.stored = b.Expires
				k := aorKey{b.Tenant, b.AOR}
				r.bindings[k] = append(r.bindings[k], b)
				n++
			} else {
				r.removes[bindingID(b)] = b
			}
		}
		r.total = n
		r.registered.Set(float64(n))
		log.InfoContext(ctx, "restored registrations", "bindings", n)
	}
	return r, nil
}

func bindingID(b Binding) string { return b.Tenant + "\x00" + b.AOR + "\x00" + b.Contact }

// Lookup returns the live bindings of an extension, newest first.
func (r *Registrar) Lookup(tenant, aor string) []Binding {
	now := r.now()
	r.mu.RLock()
	defer r.mu.RUnlock()
	list := r.bindings[aorKey{tenant, aor}]
	out := make([]Binding, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].Expires.After(now) {
			out = append(out, list[i])
		}
	}
	return out
}

// Count returns the number of registered contacts.
func (r *Registrar) Count() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n := 0
	for _, l := range r.bindings {
		n += len(l)
	}
	return n
}

// HandleRegister is the sipgo handler for REGISTER (TCP, TLS, WebSocket;
// UDP REGISTERs are answered statelessly through Answer, see pbx/server.go).
func (r *Registrar) HandleRegister(req *sip.Request, tx sip.ServerTransaction) {
	res := r.Answer(context.Background(), req)
	if err := tx.Respond(res); err != nil {
		r.log.Debug("register respond failed", "err", err)
	}
	// Do not keep the transaction for Timer J (32 s): at thousands of
	// REGISTERs a second that held ~1 GB. A retransmitted REGISTER is
	// processed again: its nonce count was used, so it is challenged with
	// stale=true, and a phone whose 200 was lost registers anew.
	tx.Terminate()
}

// Answer processes a REGISTER and returns its final response. It keeps no
// transaction state: the same request answered twice is challenged the
// second time (its nonce count was used), so whoever sends the answer
// absorbs retransmissions (sipgo's transaction, or the UDP fast path's
// cache of recent answers).
func (r *Registrar) Answer(ctx context.Context, req *sip.Request) *sip.Response {
	res, result := r.answer(ctx, req)
	r.requests.WithLabelValues(result).Inc()
	return res
}

func (r *Registrar) answer(ctx context.Context, req *sip.Request) (*sip.Response, string) {
	to := req.To()
	if to == nil || req.CallID() == nil || req.CSeq() == nil {
		return sip.NewResponseFromRequest(req, 400, "Bad Request", nil), "bad_request"
	}
	tenant, _ := r.tenants.TenantFor(to.Address.Host)
	user, outcome := r.auth.Check(ctx, req, tenant, false)
	switch outcome {
	case OutcomeOK:
	case OutcomeStale:
		return r.auth.Challenge(req, false, true), "challenge"
	case OutcomeFailed:
		return r.auth.Challenge(req, false, false), "auth_failed"
	default:
		return r.auth.Challenge(req, false, false), "challenge"
	}
	if user != to.Address.User {
		r.log.Warn("sip register for another extension", "ip", sourceIP(req).String(), "account", user, "aor", to.Address.User)
		return sip.NewResponseFromRequest(req, 403, "Forbidden", nil), "forbidden"
	}
	return r.apply(ctx, req, tenant, user)
}

// dateFormat is the Date header's (RFC 3261 §20.17: RFC 1123, in GMT).
const dateFormat = "Mon, 02 Jan 2006 15:04:05 GMT"

type contactReq struct {
	uri     string
	expires int
	star    bool
}

// apply processes the Contact headers of an authenticated REGISTER (RFC 3261 §10.3).
func (r *Registrar) apply(ctx context.Context, req *sip.Request, tenant, aor string) (*sip.Response, string) {
	defExp := r.cfg.DefaultExpires
	if h := headerNamed(req, "Expires"); h != nil {
		n, err := strconv.Atoi(strings.TrimSpace(h.Value()))
		if err != nil || n < 0 {
			return sip.NewResponseFromRequest(req, 400, "Bad Expires", nil), "bad_request"
		}
		defExp = n
	}
	var contacts []contactReq
	for _, h := range headersNamed(req, "Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			return sip.NewResponseFromRequest(req, 400, "Bad Contact", nil), "bad_request"
		}
		if c.Address.Wildcard {
			contacts = append(contacts, contactReq{star: true, expires: defExp})
			continue
		}
		exp := defExp
		if v, ok := c.Params.Get("expires"); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return sip.NewResponseFromRequest(req, 400, "Bad Contact Expires", nil), "bad_request"
			}
			exp = n
		}
		if c.Address.Host == "" {
			return sip.NewResponseFromRequest(req, 400, "Bad Contact", nil), "bad_request"
		}
		if ip, err := hostIP(c.Address.Host); err == nil && r.cfg.Contacts.refuses(ip, sourceIP(req)) {
			r.log.Warn("sip register with a contact on a forbidden address", "ip", sourceIP(req).String(), "aor", aor, "contact_ip", ip.String())
			res := sip.NewResponseFromRequest(req, 403, "Forbidden", nil)
			res.AppendHeader(sip.NewHeader("Warning", `399 yimen "contact address not allowed"`))
			return res, "forbidden_contact"
		}
		contacts = append(contacts, contactReq{uri: c.Address.String(), expires: exp})
	}
	for _, c := range contacts {
		if c.star && (len(contacts) > 1 || c.expires != 0) {
			return sip.NewResponseFromRequest(req, 400, "Invalid Wildcard Contact", nil), "bad_request"
		}
		if !c.star && c.expires > 0 && c.expires < r.cfg.MinExpires {
			res := sip.NewResponseFromRequest(req, 423, "Interval Too Brief", nil)
			res.AppendHeader(sip.NewHeader("Min-Expires", strconv.Itoa(r.cfg.MinExpires)))
			return res, "too_brief"
		}
	}
	now := r.now()
	callID := req.CallID().Value()
	cseq := req.CSeq().SeqNo
	received, _ := netip.ParseAddrPort(req.Source())
	ua := ""
	if h := headerNamed(req, "User-Agent"); h != nil {
		ua = h.Value()
		if len(ua) > 128 {
			ua = ua[:128]
		}
	}
	key := aorKey{tenant, aor}
	result := "ok"

	r.mu.Lock()
	list := r.bindings[key]
	// Drop expired bindings while we hold the lock.
	live := list[:0]
	for _, b := range list {
		if b.Expires.After(now) {
			live = append(live, b)
		} else {
			r.queueRemove(b)
		}
	}
	before := len(r.bindings[key]) // what the total counted for this AOR
	list = live
	wasRegistered := len(list) > 0
	for _, c := range contacts {
		if c.star {
			for _, b := range list {
				r.queueRemove(b)
			}
			list = nil
			result = "unregister"
			continue
		}
		idx := -1
		for i, b := range list {
			if b.Contact == c.uri {
				idx = i
				break
			}
		}
		if idx >= 0 && list[idx].CallID == callID && cseq <= list[idx].CSeq {
			continue // out-of-order retransmission: keep the newer state
		}
		if c.expires == 0 {
			if idx >= 0 {
				r.queueRemove(list[idx])
				list = append(list[:idx], list[idx+1:]...)
			}
			result = "unregister"
			continue
		}
		lifetime := time.Duration(min(c.expires, r.cfg.MaxExpires)) * time.Second
		b := Binding{Tenant: tenant, AOR: aor, Contact: c.uri, Received: received, Transport: req.Transport(),
			CallID: callID, CSeq: cseq, Expires: now.Add(lifetime), UserAgent: ua, Updated: now}
		write := true
		if idx >= 0 {
			if unwritten(list[idx], b, lifetime) {
				b.stored, write = list[idx].stored, false
			}
			list = append(list[:idx], list[idx+1:]...)
		}
		if write {
			b.stored = b.Expires
		}
		list = append(list, b) // newest last
		if len(list) > r.cfg.MaxContacts {
			r.queueRemove(list[0])
			list = list[1:]
		}
		if write {
			r.queueUpsert(b)
		}
	}
	if len(list) == 0 {
		delete(r.bindings, key)
	} else {
		r.bindings[key] = list
	}
	current := append([]Binding(nil), list...)
	r.total += len(list) - before
	total := r.total
	r.mu.Unlock()
	r.registered.Set(float64(total))
	r.signalFlush()
	if nowRegistered := len(current) > 0; nowRegistered != wasRegistered {
		r.notify(tenant, aor, nowRegistered)
	}

	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	for _, b := range current {
		// The URI as the phone sent it (c.Address.String() when bound), not
		// parsed again: only its text goes back.
		res.AppendHeader(sip.NewHeader("Contact", "<"+b.Contact+">;expires="+strconv.Itoa(int(b.Expires.Sub(now).Round(time.Second)/time.Second))))
	}
	res.AppendHeader(sip.NewHeader("Date", r.dateHeader(now)))
	if len(contacts) > 0 && r.log.Enabled(ctx, slog.LevelDebug) {
		r.log.DebugContext(ctx, "register", "tenant", tenant, "aor", aor, "from", received.String(), "contacts", len(current), "result", result)
	}
	return res, result
}

func (r *Registrar) queueUpsert(b Binding) {
	r.pendingMu.Lock()
	id := bindingID(b)
	delete(r.removes, id)
	r.upserts[id] = b
	r.pendingMu.Unlock()
}

func (r *Registrar) queueRemove(b Binding) {
	r.pendingMu.Lock()
	id := bindingID(b)
	delete(r.upserts, id)
	r.removes[id] = b
	r.pendingMu.Unlock()
}

func (r *Registrar) signalFlush() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run expires bindings and writes changes to the store in batches until ctx
// ends, then flushes what is pending.
func (r *Registrar) Run(ctx context.Context) {
	tick := time.NewTicker(r.cfg.FlushInterval)
	defer tick.Stop()
	sweep := time.NewTicker(5 * time.Second)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			r.queueUnwritten()
			r.Flush(context.WithoutCancel(ctx))
			return
		case <-tick.C:
			r.Flush(ctx)
		case <-sweep.C:
			r.expire()
		}
	}
}

// queueUnwritten queues every refresh kept out of the store (see
// refreshSlack) so a graceful stop leaves the store as current as memory.
func (r *Registrar) queueUnwritten() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, list := range r.bindings {
		for i, b := range list {
			if !b.Expires.Equal(b.stored) {
				list[i].stored = b.Expires
				r.queueUpsert(list[i])
			}
		}
	}
}

// Flush writes pending binding changes now.
func (r *Registrar) Flush(ctx context.Context) {
	r.pendingMu.Lock()
	if len(r.upserts) == 0 && len(r.removes) == 0 {
		r.pendingMu.Unlock()
		return
	}
	ups := make([]Binding, 0, len(r.upserts))
	for _, b := range r.upserts {
		ups = append(ups, b)
	}
	rms := make([]Binding, 0, len(r.removes))
	for _, b := range r.removes {
		rms = append(rms, b)
	}
	r.upserts = map[string]Binding{}
	r.removes = map[string]Binding{}
	r.pendingMu.Unlock()
	if r.store == nil {
		return
	}
	if err := r.store.SaveBindings(ctx, ups, rms); err != nil {
		r.log.ErrorContext(ctx, "persist registrations", "err", err, "upserts", len(ups), "removes", len(rms))
		// Put them back so the next flush retries.
		r.pendingMu.Lock()
		for _, b := range ups {
			if _, newer := r.upserts[bindingID(b)]; !newer {
				r.upserts[bindingID(b)] = b
			}
		}
		for _, b := range rms {
			if _, newer := r.removes[bindingID(b)]; !newer {
				r.removes[bindingID(b)] = b
			}
		}
		r.pendingMu.Unlock()
	}
}

func (r *Registrar) expire() {
	now := r.now()
	r.mu.Lock()
	total := 0
	var gone []aorKey
	for k, list := range r.bindings {
		live := list[:0]
		for _, b := range list {
			if b.Expires.After(now) {
				live = append(live, b)
			} else {
				r.queueRemove(b)
			}
		}
		if len(live) == 0 {
			delete(r.bindings, k)
			gone = append(gone, k)
		} else {
			r.bindings[k] = live
		}
		total += len(live)
	}
	r.total = total
	r.mu.Unlock()
	r.registered.Set(float64(total))
	for _, k := range gone {
		r.notify(k.tenant, k.aor, false)
	}
}

// OnChange is told when an extension gains its first binding or loses its
// last (unregistered or expired); the ACD logs agents in and out with it.
// Set it before the PBX serves; it runs on the registrar's goroutines.
func (r *Registrar) OnChange(f func(tenant, aor string, registered bool)) { r.onChange = f }

func (r *Registrar) notify(tenant, aor string, registered bool) {
	if r.onChange != nil {
		r.onChange(tenant, aor, registered)
	}
}
