package trunk

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Registration: a register trunk keeps one binding at its carrier. It is
// refreshed when three quarters of the granted lifetime have passed; a
// failure (no answer, a refusal, a challenge our credentials do not meet)
// marks the trunk unregistered and retries after a back-off that doubles
// from minBackoff to maxBackoff.
const (
	minBackoff  = 2 * time.Second
	maxBackoff  = 5 * time.Minute
	sipDeadline = 8 * time.Second // a REGISTER or OPTIONS left unanswered this long has failed
)

func (m *Manager) keepRegistered(ctx context.Context, t *Trunk) {
	callID := randomHex(12) + "@" + m.local.Host
	var seq uint32
	backoff := minBackoff
	for {
		granted, err := m.register(ctx, t, callID, &seq)
		wait := granted * 3 / 4
		t.mu.Lock()
		if err != nil {
			t.registered, t.regExpiry = false, time.Time{}
			wait, backoff = backoff, min(backoff*2, maxBackoff)
		} else {
			t.registered, t.regExpiry = true, m.now().Add(granted)
			backoff = minBackoff
		}
		t.mu.Unlock()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			m.log.Warn("trunk registration failed", "tenant", t.tenant, "trunk", t.cfg.Name, "retry_in", wait.String(), "err", err)
			m.settle(t, "register: "+err.Error())
		} else {
			m.log.Debug("trunk registered", "tenant", t.tenant, "trunk", t.cfg.Name, "expires", granted.String())
			m.settle(t, "registered")
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// register sends one REGISTER, answering one digest challenge, and
// returns the lifetime the carrier granted.
func (m *Manager) register(ctx context.Context, t *Trunk, callID string, seq *uint32) (time.Duration, error) {
	domain := t.cfg.Domain
	if domain == "" {
		domain = t.cfg.ProxyHost()
	}
	expires := t.cfg.Expires
	if expires == 0 {
		expires = 300
	}
	aor := sip.Uri{Scheme: "sip", User: t.cfg.Username, Host: domain}
	build := func() *sip.Request {
		*seq++
		req := m.newCarrierRequest(t, sip.REGISTER, sip.Uri{Scheme: "sip", Host: domain}, aor, aor, callID, *seq)
		req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: t.cfg.Username, Host: m.local.Host, Port: m.local.Port}})
		req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
		return req
	}
	res, err := m.final(ctx, build(), sipDeadline)
	if err != nil {
		return 0, err
	}
	if res.StatusCode == 401 || res.StatusCode == 407 {
		req := build()
		if err := answerChallenge(req, res, t.cfg.Username, t.cfg.Password); err != nil {
			return 0, err
		}
		if res, err = m.final(ctx, req, sipDeadline); err != nil {
			return 0, err
		}
	}
	if !res.IsSuccess() {
		return 0, fmt.Errorf("carrier answered %d %s", res.StatusCode, res.Reason)
	}
	return grantedExpiry(res, expires), nil
}

// answerChallenge adds the digest credentials for res's challenge to req.
func answerChallenge(req *sip.Request, res *sip.Response, user, password string) error {
	hname, cname := "WWW-Authenticate", "Authorization"
	if res.StatusCode == 407 {
		hname, cname = "Proxy-Authenticate", "Proxy-Authorization"
	}
	h := res.GetHeader(hname)
	if h == nil {
		return fmt.Errorf("%d without %s", res.StatusCode, hname)
	}
	chal, err := digest.ParseChallenge(h.Value())
	if err != nil {
		return fmt.Errorf("carrier's challenge: %w", err)
	}
	cred, err := digest.Digest(chal, digest.Options{Method: req.Method.String(), URI: req.Recipient.String(), Username: user, Password: password, Count: 1})
	if err != nil {
		return fmt.Errorf("carrier's challenge: %w", err)
	}
	req.AppendHeader(sip.NewHeader(cname, cred.String()))
	return nil
}

// grantedExpiry reads the lifetime from our Contact's expires or the
// Expires header, else keeps what we asked.
func grantedExpiry(res *sip.Response, asked int) time.Duration {
	secs := asked
	if ct := res.Contact(); ct != nil {
		if v, ok := ct.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil {
				secs = n
			}
		}
	} else if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(h.Value()); err == nil {
			secs = n
		}
	}
	return time.Duration(max(secs, 4)) * time.Second
}
