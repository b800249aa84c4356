package recorder

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/yimen/yimen/internal/audit"
)

// playbackWindow is how long after its last request a playback still
// counts as the same one: an <audio> element sends a Range request per
// seek, and the audit wants one entry per listening, not per request.
const playbackWindow = 5 * time.Minute

// maxPlaybacks bounds the table; when it is full of live playbacks, every
// request is audited on its own (never fewer entries than playbacks).
const maxPlaybacks = 4096

// playbackSweep is how often ended playbacks are looked for, so that a
// playback's summary is in the audit log at most this long after its
// window closed.
const playbackSweep = time.Minute

// playbacks remembers who is listening to what, so that the second and
// later Range requests of one playback are counted instead of audited,
// and keeps the playbacks that ended with follow-ups until their summary
// is written (the ".summary" entry: how many requests, over how long).
type playbacks struct {
	mu    sync.Mutex
	seen  map[string]*playback
	ended []playback
}

// playback is one listening: the first request's audit entry, and what
// followed it.
type playback struct {
	first, last time.Time
	requests    int
	entry       audit.Entry // the first request's, without its Range detail
}

// follow reports whether key (actor, action and recording) is a playback
// already audited within playbackWindow, and how many requests it has had
// with this one. A first request starts a playback and is not a follow-up;
// e is what its summary will name (tenant, actor, action, target, source,
// who).
func (p *playbacks) follow(key string, now time.Time, e audit.Entry) (bool, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pb, ok := p.seen[key]; ok {
		if now.Sub(pb.last) < playbackWindow {
			pb.last = now
			pb.requests++
			return true, pb.requests
		}
		p.endLocked(key, pb)
	}
	if p.seen == nil {
		p.seen = map[string]*playback{}
	}
	if len(p.seen) >= maxPlaybacks {
		p.sweepLocked(now, false)
		if len(p.seen) >= maxPlaybacks {
			return false, 1
		}
	}
	p.seen[key] = &playback{first: now, last: now, requests: 1, entry: e}
	return false, 1
}

// endLocked retires a playback, keeping it for a summary if anything
// followed its first (audited) request.
func (p *playbacks) endLocked(key string, pb *playback) {
	delete(p.seen, key)
	if pb.requests > 1 {
		p.ended = append(p.ended, *pb)
	}
}

// sweepLocked retires the playbacks whose window has closed, or all.
func (p *playbacks) sweepLocked(now time.Time, all bool) {
	for k, pb := range p.seen {
		if all || now.Sub(pb.last) >= playbackWindow {
			p.endLocked(k, pb)
		}
	}
}

// finished returns the playbacks that ended with follow-ups (all of them
// with follow-ups, at shutdown) and forgets them.
func (p *playbacks) finished(now time.Time, all bool) []playback {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sweepLocked(now, all)
	out := p.ended
	p.ended = nil
	return out
}

// summary is the audit entry that closes a playback.
func (pb *playback) summary() audit.Entry {
	e := pb.entry
	e.Action += ".summary"
	e.Outcome = audit.OutcomeOK
	detail := fmt.Sprintf("%d requests over %s, first %s, last %s", pb.requests, pb.last.Sub(pb.first).Round(time.Second),
		pb.first.UTC().Format(time.RFC3339), pb.last.UTC().Format(time.RFC3339))
	if e.Detail != "" {
		detail += " " + e.Detail
	}
	e.Detail = detail
	return e
}

// auditPlaybacks writes the summary of every playback that has ended (or
// of every one, at shutdown) to the audit log, and a log line for each.
func (r *Recorder) auditPlaybacks(ctx context.Context, all bool) {
	for _, pb := range r.played.finished(r.now(), all) {
		e := pb.summary()
		r.log.Info("recording playback ended", "audit", true, "action", e.Action, "target", e.Target, "tenant", e.Tenant,
			"actor", e.Actor, "requests", pb.requests, "detail", e.Detail)
		if r.auditor == nil {
			continue
		}
		if _, err := r.auditor.Append(ctx, e); err != nil {
			r.log.Error("audit append", "action", e.Action, "target", e.Target, "err", err)
		}
	}
}

// sweepPlaybacks writes playback summaries every playbackSweep until ctx
// ends.
func (r *Recorder) sweepPlaybacks(ctx context.Context) {
	t := time.NewTicker(playbackSweep)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.auditPlaybacks(ctx, false)
		}
	}
}
