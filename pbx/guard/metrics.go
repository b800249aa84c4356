package guard

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yimen/yimen/internal/errs"
)

// metrics are resolved once so the packet path only does atomic adds.
type metrics struct {
	droppedBanned  prometheus.Counter
	droppedRate    prometheus.Counter
	droppedTooBig  prometheus.Counter
	droppedScanner prometheus.Counter
	droppedCarrier prometheus.Counter // not a carrier's address, on the carrier-facing listener
	bans           prometheus.Counter
	authFailures   prometheus.Counter
}

// newMetrics builds the guard's metrics and registers them on reg when it
// is not nil; activeBans is read at scrape time.
func newMetrics(reg prometheus.Registerer, activeBans func() int) (metrics, error) {
	dropped := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "yimen", Subsystem: "guard", Name: "dropped_total",
		Help: "SIP messages dropped before parsing, by reason.",
	}, []string{"reason"})
	bans := prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "yimen", Subsystem: "guard", Name: "bans_total",
		Help: "Bans made, automatic and manual.",
	})
	active := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "yimen", Subsystem: "guard", Name: "active_bans",
		Help: "Bans in force.",
	}, func() float64 { return float64(activeBans()) })
	authFailures := prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "yimen", Subsystem: "sip", Name: "auth_failures_total",
		Help: "Failed SIP digest authentications.",
	})
	if reg != nil {
		cs := []prometheus.Collector{dropped, bans, active, authFailures}
		for i, c := range cs {
			if err := reg.Register(c); err != nil {
				for _, done := range cs[:i] {
					reg.Unregister(done)
				}
				if are := (prometheus.AlreadyRegisteredError{}); errors.As(err, &are) {
					return metrics{}, fmt.Errorf("guard: register metrics: %w: %w", errs.ErrConflict, err)
				}
				return metrics{}, fmt.Errorf("guard: register metrics: %w: %w", errs.ErrInvalid, err)
			}
		}
	}
	return metrics{
		droppedBanned:  dropped.WithLabelValues("banned"),
		droppedRate:    dropped.WithLabelValues("rate"),
		droppedTooBig:  dropped.WithLabelValues("too_big"),
		droppedScanner: dropped.WithLabelValues("scanner"),
		droppedCarrier: dropped.WithLabelValues("not_carrier"),
		bans:           bans,
		authFailures:   authFailures,
	}, nil
}
