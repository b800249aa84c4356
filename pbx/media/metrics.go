package media

import (
	"errors"
	"maps"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// dropReason says why a packet was not relayed; it is the "reason" label.
type dropReason uint8

const (
	dropMalformed     dropReason = iota // not RTP/RTCP version 2, or truncated header
	dropTooBig                          // larger than the receive buffer
	dropForeign                         // source is not the latched peer
	dropNoDestination                   // the other leg has neither an SDP address nor a latched peer
	dropHeld                            // the sending leg is on hold
	dropWriteError                      // the kernel refused the send
	dropCrypto                          // SRTP/SRTCP that failed authentication or replay, or could not be encrypted
	dropKeyExpired                      // SRTP/SRTCP under a key whose lifetime (RFC 4568 §6.1) is spent
	numDropReasons
)

// dropNone is no drop: a packet that goes on. It is no label.
const dropNone = numDropReasons

// String is the metric label value.
func (r dropReason) String() string {
	switch r {
	case dropMalformed:
		return "malformed"
	case dropTooBig:
		return "too_big"
	case dropForeign:
		return "foreign_source"
	case dropNoDestination:
		return "no_destination"
	case dropHeld:
		return "held"
	case dropWriteError:
		return "write_error"
	case dropCrypto:
		return "srtp"
	case dropKeyExpired:
		return "srtp_key_expired"
	}
	return "unknown"
}

// Metrics are the relay's Prometheus series; one Metrics may serve several relays.
type Metrics struct {
	rtpRelayed  prometheus.Counter
	rtpBytes    prometheus.Counter
	rtcpRelayed prometheus.Counter
	rtpKernel   prometheus.Counter
	relayedSet  *relayedCollector
	portsInUse  prometheus.Gauge
	// children resolved once so the hot path never looks up label values
	rtpDropped  [numDropReasons]prometheus.Counter
	rtcpDropped [numDropReasons]prometheus.Counter
}

// NewMetrics creates the relay series and registers them with reg (nil
// registers nothing). Series already registered with reg are reused, so two
// relays in one process can share a registry.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	relayed := &relayedCollector{
		relayed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "yimen_rtp_packets_relayed_total",
			Help: "RTP packets written to the other leg of a bridge, by the relay or the kernel.",
		}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "yimen_rtp_bytes_relayed_total",
			Help: "RTP bytes (UDP payload) written to the other leg of a bridge.",
		}),
		kernel: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "yimen_rtp_packets_kernel_total",
			Help: "RTP packets forwarded in the kernel without the relay reading them; counted in yimen_rtp_packets_relayed_total too.",
		}),
	}
	relayed = register(reg, relayed)
	m := &Metrics{
		rtpRelayed: relayed.relayed,
		rtpBytes:   relayed.bytes,
		rtpKernel:  relayed.kernel,
		relayedSet: relayed,
		rtcpRelayed: register(reg, prometheus.NewCounter(prometheus.CounterOpts{
			Name: "yimen_rtcp_packets_relayed_total",
			Help: "RTCP packets written to the other leg of a bridge.",
		})),
		portsInUse: register(reg, prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "yimen_rtp_ports_in_use",
			Help: "UDP ports (RTP and RTCP) currently bound by the relay.",
		})),
	}
	rtpDropped := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "yimen_rtp_packets_dropped_total",
		Help: "RTP packets received but not relayed, by reason.",
	}, []string{"reason"}))
	rtcpDropped := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "yimen_rtcp_packets_dropped_total",
		Help: "RTCP packets received but not relayed, by reason.",
	}, []string{"reason"}))
	for r := range numDropReasons {
		m.rtpDropped[r] = rtpDropped.WithLabelValues(r.String())
		m.rtcpDropped[r] = rtcpDropped.WithLabelValues(r.String())
	}
	return m
}

// register adds c to reg, or returns the collector reg already holds under
// the same name; any other registration error is a programming mistake.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		if are, ok := errors.AsType[prometheus.AlreadyRegisteredError](err); ok {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}

// relayedCollector holds the relayed-packet counters, which the kernel path
// feeds from its flows' counters: a scrape first has every relay move what
// the kernel forwarded since its last sweep, so a rate over any window is
// exact rather than stepping once a second.
type relayedCollector struct {
	relayed, bytes, kernel prometheus.Counter

	mu      sync.Mutex
	syncers map[*Relay]struct{}
}

func (c *relayedCollector) Describe(ch chan<- *prometheus.Desc) {
	c.relayed.Describe(ch)
	c.bytes.Describe(ch)
	c.kernel.Describe(ch)
}

func (c *relayedCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	relays := slices.Collect(maps.Keys(c.syncers))
	c.mu.Unlock()
	for _, r := range relays {
		r.kernelCountAll()
	}
	c.relayed.Collect(ch)
	c.bytes.Collect(ch)
	c.kernel.Collect(ch)
}

// follow has a scrape count r's kernel flows first (on) or no longer.
func (c *relayedCollector) follow(r *Relay, on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.syncers == nil {
		c.syncers = map[*Relay]struct{}{}
	}
	if on {
		c.syncers[r] = struct{}{}
	} else {
		delete(c.syncers, r)
	}
}
