package main

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// kind is one sort of flood message.
type kind int

const (
	kindGarbage kind = iota
	kindScanner
	kindRegister
	numKinds
)

var kindNames = [numKinds]string{"garbage", "scanner", "register"}

type config struct {
	target   netip.AddrPort
	sources  []netip.Addr
	rate     int
	duration time.Duration
	count    int
	mix      [numKinds]int // percent
	userLo   int
	userHi   int
}

func newConfig(target, sources string, rate int, dur time.Duration, count int, mix, users string) (config, error) {
	var c config
	var err error
	if c.target, err = netip.ParseAddrPort(target); err != nil {
		return c, fmt.Errorf("%w: -target %q: %w", errUsage, target, err)
	}
	if !c.target.Addr().IsLoopback() {
		return c, fmt.Errorf("%w: -target %s is not a loopback address: refused", errUsage, c.target.Addr())
	}
	if c.sources, err = parseSources(sources); err != nil {
		return c, err
	}
	if rate < 1 || rate > maxRate {
		return c, fmt.Errorf("%w: -rate %d outside 1..%d", errUsage, rate, maxRate)
	}
	if dur <= 0 || dur > maxDuration {
		return c, fmt.Errorf("%w: -duration %s outside (0, %s]", errUsage, dur, maxDuration)
	}
	c.rate, c.duration, c.count = rate, dur, count
	if limit := int(float64(rate) * dur.Seconds()); c.count <= 0 || c.count > limit {
		c.count = limit
	}
	if c.mix, err = parseMix(mix); err != nil {
		return c, err
	}
	if c.userLo, c.userHi, err = parseRange(users); err != nil {
		return c, fmt.Errorf("%w: -users: %w", errUsage, err)
	}
	return c, nil
}

// parseSources reads "127.0.0.50-127.0.0.59" or "127.0.0.50,127.0.0.51".
func parseSources(s string) ([]netip.Addr, error) {
	var out []netip.Addr
	add := func(a netip.Addr) error {
		if !a.IsLoopback() {
			return fmt.Errorf("%w: source %s is not a loopback address: refused", errUsage, a)
		}
		if len(out) == maxSources {
			return fmt.Errorf("%w: more than %d sources", errUsage, maxSources)
		}
		out = append(out, a)
		return nil
	}
	if lo, hi, ok := strings.Cut(s, "-"); ok {
		a, err1 := netip.ParseAddr(strings.TrimSpace(lo))
		b, err2 := netip.ParseAddr(strings.TrimSpace(hi))
		if err1 != nil || err2 != nil || b.Less(a) {
			return nil, fmt.Errorf("%w: -sources %q: want A-B with A <= B", errUsage, s)
		}
		for ; !b.Less(a); a = a.Next() {
			if err := add(a); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	for _, f := range strings.Split(s, ",") {
		a, err := netip.ParseAddr(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("%w: -sources %q: %w", errUsage, s, err)
		}
		if err := add(a); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parseMix reads "garbage=40,scanner=30,register=30"; the shares must add up to 100.
func parseMix(s string) ([numKinds]int, error) {
	var m [numKinds]int
	total := 0
	for _, f := range strings.Split(s, ",") {
		name, v, ok := strings.Cut(strings.TrimSpace(f), "=")
		n, err := strconv.Atoi(v)
		if !ok || err != nil || n < 0 {
			return m, fmt.Errorf("%w: -mix %q: want kind=percent,…", errUsage, s)
		}
		k := -1
		for i, kn := range kindNames {
			if kn == name {
				k = i
			}
		}
		if k < 0 {
			return m, fmt.Errorf("%w: -mix: unknown kind %q (garbage, scanner, register)", errUsage, name)
		}
		m[k] = n
		total += n
	}
	if total != 100 {
		return m, fmt.Errorf("%w: -mix %q adds up to %d, not 100", errUsage, s, total)
	}
	return m, nil
}

func parseRange(s string) (int, int, error) {
	lo, hi, ok := strings.Cut(s, "-")
	if !ok {
		hi = lo
	}
	a, err1 := strconv.Atoi(lo)
	b, err2 := strconv.Atoi(hi)
	if err1 != nil || err2 != nil || a < 0 || b < a {
		return 0, 0, fmt.Errorf("%q: want N or N-M", s)
	}
	return a, b, nil
}
