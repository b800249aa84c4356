//go:build !linux

package media

import (
	"errors"
	"net"
	"time"
)

// Without epoll each socket gets its own reader goroutine; the interface is
// the Linux poller's, so bridges do not know which one they run on.
type poller struct{}

type polled struct {
	b    *Bridge
	leg  *Leg
	s    *socket
	rtcp bool
	done chan struct{}
}

func newPoller(interface{ Warn(string, ...any) }) (*poller, error) { return &poller{}, nil }

func (p *poller) prepare(b *Bridge, l *Leg, s *socket, rtcp bool) (*polled, error) {
	return &polled{b: b, leg: l, s: s, rtcp: rtcp}, nil
}

func (p *poller) start(e *polled) error {
	e.done = make(chan struct{})
	go func() {
		defer close(e.done)
		e.b.serve(e.leg, e.s, e.rtcp)
	}()
	return nil
}

// remove does nothing before the socket is closed; wait then sees the reader out.
func (p *poller) remove(*polled) {}

func (p *poller) wait(e *polled) {
	if e.done != nil {
		<-e.done
	}
}

func (p *poller) close() {}

// serve reads one socket until it is closed.
func (b *Bridge) serve(in *Leg, s *socket, rtcp bool) {
	buf := make([]byte, maxPacket+1)
	for {
		n, src, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		src = unmapped(src)
		if rtcp {
			b.forwardRTCP(in, buf[:n], src)
		} else {
			b.forwardRTP(in, buf[:n], src, time.Now().UnixNano())
		}
	}
}
