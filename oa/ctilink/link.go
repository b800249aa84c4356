package ctilink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/yimen/yimen/cti/client"
	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/oa"
)

// OA is what the link feeds; *oa.Service implements it.
type OA interface {
	Cursor(ctx context.Context, tenant string) (oa.Cursor, error)
	SetCursor(ctx context.Context, tenant string, c oa.Cursor) error
	ApplyEvent(ctx context.Context, tenant, epoch string, env protocol.Envelope) (*oa.Ringing, error)
	BuildCard(ctx context.Context, tenant string, r protocol.CallRinging, at time.Time) (oa.Card, error)
	ScreenPop(c oa.Card) protocol.ScreenPop
}

var _ OA = (*oa.Service)(nil)

// Observer follows the tenant's events after the OA has applied each (the
// campaign dialler: agents' states, the end of its calls); Seen is given
// the agents' states from a snapshot on every connect.
type Observer interface {
	Observe(ctx context.Context, tenant string, env protocol.Envelope) error
	Seen(tenant string, agents []protocol.AgentState)
}

// Config is one tenant's link.
type Config struct {
	URL    string // ws://host:port/cti
	Tenant string
	Token  string // API token of the cti_system role in Tenant
	// MinBackoff and MaxBackoff bound the pause between reconnects (0.5 s, 30 s).
	MinBackoff, MaxBackoff time.Duration
	// PopMaxAge: a call.ringing older than this (replayed after a
	// reconnect) pops nothing: the call has been answered or lost (10 s).
	PopMaxAge time.Duration
	// PingEvery: a quiet connection is pinged this often and dropped when
	// the hub does not answer within it (15 s): a PBX that went away
	// without closing the socket is noticed.
	PingEvery time.Duration
}

// Stats count what the link did since start.
type Stats struct {
	Connected  bool   `json:"connected"`
	Epoch      string `json:"epoch"`
	Seq        uint64 `json:"seq"`
	Connects   uint64 `json:"connects"`
	Events     uint64 `json:"events"`
	Pops       uint64 `json:"pops"`
	PopErrors  uint64 `json:"pop_errors"`
	ReplayGaps uint64 `json:"replay_gaps"`
	LastError  string `json:"last_error,omitempty"`
}

// Link follows one tenant's CTI events.
type Link struct {
	cfg Config
	oa  OA
	log *slog.Logger

	connected, connects, events, pops, popErrors, gaps atomic.Uint64
	seq                                                atomic.Uint64
	epoch, lastErr                                     atomic.Value // string
	// current is the connection in use, for commands the OA sends (dial).
	current atomic.Pointer[client.Client]
	// popped is told how long each screen pop took from the ring (tests, metrics).
	popped   func(time.Duration)
	observer Observer
}

// New returns a link; Run starts it.
func New(cfg Config, o OA, log *slog.Logger) *Link {
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.PopMaxAge <= 0 {
		cfg.PopMaxAge = 10 * time.Second
	}
	if cfg.PingEvery <= 0 {
		cfg.PingEvery = 15 * time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Link{cfg: cfg, oa: o, log: log.With("component", "ctilink", "tenant", cfg.Tenant), popped: func(time.Duration) {}}
	l.epoch.Store("")
	l.lastErr.Store("")
	return l
}

// Observe hands every applied event to o too (set before Run).
func (l *Link) Observe(o Observer) { l.observer = o }

// OnPop sets a function told each screen pop's delay after its ring.
func (l *Link) OnPop(f func(time.Duration)) { l.popped = f }

// Stats reports the link's counters.
func (l *Link) Stats() Stats {
	return Stats{Connected: l.connected.Load() == 1, Epoch: l.epoch.Load().(string), Seq: l.seq.Load(), Connects: l.connects.Load(),
		Events: l.events.Load(), Pops: l.pops.Load(), PopErrors: l.popErrors.Load(), ReplayGaps: l.gaps.Load(), LastError: l.lastErr.Load().(string)}
}

// Run connects and follows events until ctx ends, reconnecting after any
// failure with a pause that doubles up to MaxBackoff (reset once a
// connection has lasted a minute).
func (l *Link) Run(ctx context.Context) {
	pause := l.cfg.MinBackoff
	for ctx.Err() == nil {
		began := time.Now()
		err := l.session(ctx)
		l.connected.Store(0)
		if ctx.Err() != nil {
			return
		}
		l.lastErr.Store(err.Error())
		if time.Since(began) > time.Minute {
			pause = l.cfg.MinBackoff
		}
		wait := pause/2 + rand.N(pause/2+1)
		l.log.Warn("cti link down; reconnecting", "err", err, "in", wait.Round(time.Millisecond))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		pause = min(pause*2, l.cfg.MaxBackoff)
	}
}

// session is one connection: resume from the cursor, then apply events
// until the connection ends.
func (l *Link) session(ctx context.Context) error {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	c, err := client.Dial(dctx, l.cfg.URL, client.Options{Token: l.cfg.Token, EventBuffer: 4096})
	cancel()
	if err != nil {
		return err
	}
	defer c.Close()
	hello := c.Hello()
	if hello.Tenant != l.cfg.Tenant {
		return fmt.Errorf("the token is of tenant %q, not %q", hello.Tenant, l.cfg.Tenant)
	}
	l.connects.Add(1)
	l.epoch.Store(hello.Epoch)
	if err := l.subscribe(ctx, c, hello); err != nil {
		return err
	}
	l.connected.Store(1)
	l.current.Store(c)
	defer l.current.Store(nil)
	// Where every agent stands now; agent.state events after it keep it
	// current (older ones, replayed, are passed over).
	var snap protocol.Snapshot
	if l.observer != nil {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := c.Do(sctx, protocol.CmdWallboardSnapshot, struct{}{}, &snap)
		cancel()
		if err != nil {
			l.log.Warn("no agent snapshot: the dialler learns agents' states from their next change", "err", err)
		} else {
			l.observer.Seen(l.cfg.Tenant, snap.Agents)
		}
	}
	l.log.Info("cti link up", "epoch", hello.Epoch, "seq", l.seq.Load())
	ping := time.NewTicker(l.cfg.PingEvery)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ping.C:
			pctx, cancel := context.WithTimeout(ctx, l.cfg.PingEvery)
			err := c.Do(pctx, protocol.CmdPing, nil, nil)
			cancel()
			if err != nil {
				return fmt.Errorf("the hub did not answer a ping: %w", err)
			}
		case env, ok := <-c.Events():
			if !ok {
				if err := c.Err(); err != nil {
					return err
				}
				return errors.New("cti connection closed")
			}
			if env.Type == protocol.TypeError || env.Seq == 0 {
				continue
			}
			ring, err := l.oa.ApplyEvent(ctx, l.cfg.Tenant, hello.Epoch, env)
			if err != nil {
				// Not acknowledged: the next connection resumes before it.
				return fmt.Errorf("apply %s seq %d: %w", env.Type, env.Seq, err)
			}
			l.events.Add(1)
			l.seq.Store(env.Seq)
			if l.observer != nil && (env.Type != protocol.EventAgentState || env.Seq > snap.Seq) {
				if err := l.observer.Observe(ctx, l.cfg.Tenant, env); err != nil {
					l.log.Error("campaign event not applied", "type", env.Type, "seq", env.Seq, "err", err)
				}
			}
			if ring != nil && time.Since(ring.At) < l.cfg.PopMaxAge {
				go l.pop(ctx, c, ring)
			}
		}
	}
}

// subscribe follows the tenant from the saved cursor: the events after it
// in the same epoch, or everything the hub kept of a new epoch (the PBX
// restarted); when the hub no longer has them, from now.
func (l *Link) subscribe(ctx context.Context, c *client.Client, hello protocol.Hello) error {
	cur, err := l.oa.Cursor(ctx, l.cfg.Tenant)
	if err != nil {
		return err
	}
	since := cur.Seq
	if cur.Epoch != hello.Epoch {
		since = 0
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	sub, err := c.Resume(sctx, since, hello.Epoch, string(protocol.TopicTenant))
	var perr *protocol.Error
	if errors.As(err, &perr) && perr.Code == protocol.CodeReplayGap {
		l.gaps.Add(1)
		l.log.Warn("cti events lost while disconnected; following from now", "since", since, "epoch", hello.Epoch, "reason", perr.Message)
		if sub, err = c.Subscribe(sctx, string(protocol.TopicTenant)); err != nil {
			return err
		}
		l.seq.Store(sub.Seq)
		return l.oa.SetCursor(ctx, l.cfg.Tenant, oa.Cursor{Epoch: hello.Epoch, Seq: sub.Seq})
	}
	if err != nil {
		return err
	}
	l.seq.Store(since)
	if sub.Replayed > 0 {
		l.log.Info("cti events replayed", "since", since, "replayed", sub.Replayed)
	}
	return nil
}

// pop builds the ringing caller's card and sends it to the agent.
func (l *Link) pop(ctx context.Context, c *client.Client, r *oa.Ringing) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	card, err := l.oa.BuildCard(ctx, r.Tenant, r.Data, r.At)
	if err == nil {
		err = c.ScreenPop(ctx, l.oa.ScreenPop(card))
	}
	if err != nil {
		l.popErrors.Add(1)
		l.log.Error("screen pop failed", "call", r.Data.Call, "agent", r.Data.Agent, "err", err)
		return
	}
	l.pops.Add(1)
	d := time.Since(r.At)
	l.popped(d)
	l.log.Info("screen pop", "call", r.Data.Call, "agent", r.Data.Agent, "known", card.Known, "after_ring_ms", d.Milliseconds())
}

// ErrDown is returned by commands while the link has no connection.
var ErrDown = errors.New("ctilink: not connected to the PBX")

// Dial has the PBX ring agent's phone, then to (click-to-dial, e.g. a
// 回访 call); it returns the new call's id.
func (l *Link) Dial(ctx context.Context, agent, to string) (string, error) {
	return l.DialAs(ctx, agent, to, "")
}

// DialAs is Dial presenting callerID to the called party ("" for the
// trunk's own).
func (l *Link) DialAs(ctx context.Context, agent, to, callerID string) (string, error) {
	c := l.current.Load()
	if c == nil {
		return "", ErrDown
	}
	return c.Dial(ctx, agent, to, callerID)
}

// ScreenPop shows an agent a card (a campaign call's number) over the
// current connection.
func (l *Link) ScreenPop(ctx context.Context, p protocol.ScreenPop) error {
	c := l.current.Load()
	if c == nil {
		return ErrDown
	}
	return c.ScreenPop(ctx, p)
}
