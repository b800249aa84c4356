package guard

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// maxPendingBans bounds automatic bans waiting for the store; beyond it a
// ban still holds in memory but is not persisted.
const maxPendingBans = 4096

// flushTimeout is how long Run may spend saving queued bans on shutdown.
const flushTimeout = 2 * time.Second

// persistQueue carries automatic bans from the packet path, which must not
// wait on the store, to Run.
type persistQueue struct {
	mu   sync.Mutex
	bans []Ban
	wake chan struct{}
}

func newPersistQueue() persistQueue {
	return persistQueue{wake: make(chan struct{}, 1)}
}

// push queues b and wakes Run; it reports false when the queue is full.
func (q *persistQueue) push(b Ban) bool {
	q.mu.Lock()
	ok := len(q.bans) < maxPendingBans
	if ok {
		q.bans = append(q.bans, b)
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return ok
}

// take empties the queue.
func (q *persistQueue) take() []Ban {
	q.mu.Lock()
	defer q.mu.Unlock()
	bans := q.bans
	q.bans = nil
	return bans
}

// Run expires bans, evicts idle per-IP state every SweepInterval and saves
// automatic bans to the store; it returns when ctx is done. Automatic bans
// are persisted only while Run runs.
func (g *Guard) Run(ctx context.Context) {
	t := time.NewTicker(g.cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
			g.flush(fctx)
			cancel()
			return
		case <-g.pending.wake:
			g.flush(ctx)
		case <-t.C:
			g.sweep(ctx)
		}
	}
}

// sweep drops expired bans (from the store too), idle buckets and closed
// failure windows.
func (g *Guard) sweep(ctx context.Context) {
	now := g.now()
	ns := now.UnixNano()
	var expired []Ban
	for i := range g.shards {
		s := &g.shards[i]
		s.mu.Lock()
		for ip, b := range s.bans {
			if !now.Before(b.Until) {
				delete(s.bans, ip)
				g.banCount.Add(-1)
				expired = append(expired, b)
			}
		}
		for ip, p := range s.peers {
			if p.idle(ns, g.ratePerNs, g.burst, g.floodWindowNs) {
				delete(s.peers, ip)
			}
		}
		s.mu.Unlock()
	}
	g.ipFails.sweep(now)
	g.acctFails.sweep(now)
	for _, b := range expired {
		g.log.LogAttrs(ctx, slog.LevelInfo, "sip ban expired", slog.String("ip", b.IP.String()), slog.String("reason", b.Reason))
		// A ban made again since the expiry has been saved already; deleting
		// by IP would drop it from the store.
		if _, again := g.lookup(b.IP); again || g.store == nil {
			continue
		}
		if err := g.store.DeleteBan(ctx, b.IP); err != nil {
			g.log.LogAttrs(ctx, slog.LevelWarn, "guard: delete expired ban", slog.String("ip", b.IP.String()), slog.Any("error", err))
		}
	}
	g.flush(ctx)
}

// flush saves and audits queued automatic bans that are still in force;
// one lifted or replaced meanwhile is skipped so it does not come back at
// restart (it is audited all the same: it was in force).
func (g *Guard) flush(ctx context.Context) {
	for _, b := range g.pending.take() {
		g.auditBan(ctx, b)
		if g.store == nil || !g.holds(b) {
			continue
		}
		if err := g.store.SaveBan(ctx, b); err != nil {
			g.log.LogAttrs(ctx, slog.LevelWarn, "guard: save ban", slog.String("ip", b.IP.String()), slog.Any("error", err))
		}
	}
}

// holds reports whether b is still the ban in force for its IP.
func (g *Guard) holds(b Ban) bool {
	s := g.shardFor(b.IP)
	s.mu.Lock()
	cur, ok := s.bans[b.IP]
	s.mu.Unlock()
	return ok && cur.Created.Equal(b.Created) && g.now().Before(cur.Until)
}
