package pbx

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/yimen/yimen/internal/calendar"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/pbx/b2bua"
	"github.com/yimen/yimen/pbx/trunk"
)

// compileTrunks builds the tenants' trunks, DIDs and routes.
func (s *Server) compileTrunks(cfg config.Config) (*trunk.Manager, error) {
	var cals map[string]*calendar.Calendar
	if cfg.IVR.Calendars != "" {
		var err error
		if cals, err = calendar.LoadAll(os.DirFS(cfg.IVR.Calendars), "."); err != nil {
			return nil, fmt.Errorf("ivr.calendars: %w", err)
		}
	}
	m, err := trunk.New(cfg, cals, s.log.With("component", "trunk"), s.reg, s.now)
	if err != nil {
		return nil, err
	}
	if cfg.IVR.FixedTime != "" {
		at, err := time.Parse(time.RFC3339, cfg.IVR.FixedTime)
		if err != nil {
			return nil, fmt.Errorf("ivr.fixed_time: want RFC 3339: %w", err)
		}
		m.PinDIDClock(func() time.Time { return at })
	}
	return m, nil
}

// listenTrunks binds the carrier-facing listener (sip.trunk_udp) when one
// is configured and some tenant has a trunk.
func (s *Server) listenTrunks(cfg config.Config) error {
	if cfg.SIP.TrunkUDP == "" || s.trunks.Empty() {
		return nil
	}
	pc, err := net.ListenPacket("udp", cfg.SIP.TrunkUDP)
	if err != nil {
		return fmt.Errorf("pbx: sip trunk_udp listen %s: %w", cfg.SIP.TrunkUDP, err)
	}
	if uc, ok := pc.(*net.UDPConn); ok {
		_ = uc.SetReadBuffer(sipReadBuffer)
	}
	s.trunkUDP = pc
	return nil
}

// trunkLocal is where calls to and from carriers leave from: the
// carrier-facing listener, else the UDP listener.
func (s *Server) trunkLocal() b2bua.TrunkLocal {
	pc := s.trunkUDP
	if pc == nil {
		pc = s.udp
	}
	if pc == nil {
		return b2bua.TrunkLocal{Host: s.sipHost, Port: s.sipPort}
	}
	ua := pc.LocalAddr().(*net.UDPAddr)
	host := ua.IP.String()
	if s.cfg.SIP.ExternalHost != "" {
		host = s.cfg.SIP.ExternalHost
	}
	return b2bua.TrunkLocal{Host: host, Port: ua.Port, Bind: sip.Addr{IP: ua.IP, Port: ua.Port}}
}

// Trunks is the tenants' trunks with their live state (the admin API lists them).
func (s *Server) Trunks() *trunk.Manager { return s.trunks }

// TrunkAddr is the carrier-facing SIP address, host:port.
func (s *Server) TrunkAddr() string {
	l := s.trunkLocal()
	return net.JoinHostPort(l.Host, strconv.Itoa(l.Port))
}
