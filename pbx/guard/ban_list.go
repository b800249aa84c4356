package guard

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

// Ban keeps every message from IP out until Until.
type Ban struct {
	IP      netip.Addr `json:"ip"`
	Reason  string     `json:"reason"`
	Until   time.Time  `json:"until"`
	Created time.Time  `json:"created"`
}

// BanStore persists bans across restarts. SaveBan replaces any ban already
// stored for the same IP.
type BanStore interface {
	LoadBans(ctx context.Context) ([]Ban, error)
	SaveBan(ctx context.Context, b Ban) error
	DeleteBan(ctx context.Context, ip netip.Addr) error
}

// Banned reports whether ip is under a ban that has not expired.
func (g *Guard) Banned(ip netip.Addr) bool {
	_, ok := g.lookup(ip)
	return ok
}

// lookup returns the ban in force on ip.
func (g *Guard) lookup(ip netip.Addr) (Ban, bool) {
	ip = sourceKey(ip)
	now := g.now()
	s := g.shardFor(ip)
	s.mu.Lock()
	b, ok := s.bans[ip]
	s.mu.Unlock()
	return b, ok && now.Before(b.Until)
}

// Ban bans ip for d (BanDuration when d <= 0) and saves the ban before it
// takes effect, so a ban reported as made survives a restart. Banning again
// replaces the earlier ban. Allow-listed IPs give ErrForbidden. An IPv6
// address is banned with its /64 (sourceKey).
func (g *Guard) Ban(ctx context.Context, ip netip.Addr, reason string, d time.Duration) error {
	ip = ip.Unmap()
	if !ip.IsValid() {
		return fmt.Errorf("guard: ban: no IP address: %w", errs.ErrInvalid)
	}
	if g.allowed(ip) {
		return fmt.Errorf("guard: ban %s: address is allow-listed: %w", ip, errs.ErrForbidden)
	}
	ip = sourceKey(ip)
	if d <= 0 {
		d = g.cfg.BanDuration
	}
	if reason == "" {
		reason = "manual"
	}
	now := g.now()
	b := Ban{IP: ip, Reason: reason, Until: now.Add(d), Created: now}
	if g.store != nil {
		if err := g.store.SaveBan(ctx, b); err != nil {
			return fmt.Errorf("guard: save ban for %s: %w: %w", ip, errs.ErrUnavailable, err)
		}
	}
	s := g.shardFor(ip)
	s.mu.Lock()
	if s.putBan(b) {
		g.banCount.Add(1)
	}
	s.mu.Unlock()
	g.announceBan(ctx, b)
	return nil
}

// Lift removes the ban on ip, from the store first so that a failed
// delete leaves the ban in force rather than returning at the next start.
// It returns ErrNotFound when ip is not banned.
func (g *Guard) Lift(ctx context.Context, ip netip.Addr) error {
	ip = sourceKey(ip)
	now := g.now()
	s := g.shardFor(ip)
	s.mu.Lock()
	b, ok := s.bans[ip]
	s.mu.Unlock()
	if !ok || !now.Before(b.Until) {
		return fmt.Errorf("guard: lift %s: not banned: %w", ip, errs.ErrNotFound)
	}
	if g.store != nil {
		if err := g.store.DeleteBan(ctx, ip); err != nil {
			return fmt.Errorf("guard: delete ban for %s: %w: %w", ip, errs.ErrUnavailable, err)
		}
	}
	s.mu.Lock()
	if cur, ok := s.bans[ip]; ok && cur.Created.Equal(b.Created) {
		delete(s.bans, ip)
		g.banCount.Add(-1)
	}
	s.mu.Unlock()
	g.log.LogAttrs(ctx, slog.LevelInfo, "sip ban lifted", slog.String("ip", ip.String()))
	return nil
}

// Bans lists the bans in force, ordered by IP.
func (g *Guard) Bans() []Ban {
	now := g.now()
	var out []Ban
	for i := range g.shards {
		s := &g.shards[i]
		s.mu.Lock()
		for _, b := range s.bans {
			if now.Before(b.Until) {
				out = append(out, b)
			}
		}
		s.mu.Unlock()
	}
	slices.SortFunc(out, func(a, b Ban) int { return a.IP.Compare(b.IP) })
	return out
}

// activeBans counts the bans in force for the gauge.
func (g *Guard) activeBans() int {
	now := g.now()
	n := 0
	for i := range g.shards {
		s := &g.shards[i]
		s.mu.Lock()
		for _, b := range s.bans {
			if now.Before(b.Until) {
				n++
			}
		}
		s.mu.Unlock()
	}
	return n
}

// autoBanLocked bans ip for BanDuration unless it is already banned or the
// ban list is full; automatic bans stop at MaxTrackedIPs so a flood from
// spoofed sources cannot grow it without bound (manual bans are not capped).
// The caller holds s.mu and must hand the result to finishAutoBan.
func (g *Guard) autoBanLocked(s *shard, ip netip.Addr, reason string, now time.Time) autoBanResult {
	if b, ok := s.bans[ip]; ok && now.Before(b.Until) {
		return autoBanResult{}
	}
	if g.banCount.Load() >= int64(g.cfg.MaxTrackedIPs) {
		return autoBanResult{ban: Ban{IP: ip, Reason: reason}, full: true}
	}
	b := Ban{IP: ip, Reason: reason, Until: now.Add(g.cfg.BanDuration), Created: now}
	if s.putBan(b) {
		g.banCount.Add(1)
	}
	return autoBanResult{ban: b, made: true}
}

// autoBanResult says what autoBanLocked did, for work done after unlocking.
type autoBanResult struct {
	ban  Ban
	made bool // a new ban is in force
	full bool // refused: the ban list is at MaxTrackedIPs
}

// finishAutoBan logs, counts and queues for the store what autoBanLocked did.
func (g *Guard) finishAutoBan(ctx context.Context, r autoBanResult) {
	switch {
	case r.made:
		g.announceBan(ctx, r.ban)
		g.pending.push(r.ban)
	case r.full:
		g.log.LogAttrs(ctx, slog.LevelWarn, "guard: ban list full, not banning",
			slog.String("ip", r.ban.IP.String()), slog.String("reason", r.ban.Reason))
	}
}

// autoBan is autoBanLocked for callers outside the packet path.
func (g *Guard) autoBan(ctx context.Context, ip netip.Addr, reason string, now time.Time) bool {
	s := g.shardFor(ip)
	s.mu.Lock()
	r := g.autoBanLocked(s, ip, reason, now)
	s.mu.Unlock()
	g.finishAutoBan(ctx, r)
	return r.made
}

// announceBan writes the "sip ban" line fail2ban and operators read.
func (g *Guard) announceBan(ctx context.Context, b Ban) {
	g.m.bans.Inc()
	g.log.LogAttrs(ctx, slog.LevelWarn, "sip ban",
		slog.String("ip", b.IP.String()),
		slog.String("reason", b.Reason),
		slog.Time("until", b.Until))
}
