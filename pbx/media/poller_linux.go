package media

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/yimen/yimen/internal/udpbatch"
)

// A poller reads the relay's sockets for many bridges from one goroutine:
// one epoll set (level-triggered) holds each socket's file descriptor, and
// the epoll descriptor itself sits in Go's network poller, so
// the goroutine parks when nothing is ready and wakes once for a whole batch
// of ready sockets. Per packet that is at most one recvmmsg (which takes a
// socket's whole backlog, up to eight datagrams) and one sendto, against a
// goroutine wake-up, a read, a write and a read that finds nothing when
// every socket has its own reader.
//
// The poller alone reads the sockets (udp_linux.go): a socket is removed by
// asking the poller, which takes it out of the epoll set between batches,
// and only then does the bridge close it, so no event can name a closed
// or reused descriptor.
type poller struct {
	epfd   int
	wakefd int // eventfd: a removal is waiting
	file   *os.File
	raw    syscall.RawConn
	pollFn func(fd uintptr) bool // p.poll, bound once: a method value per call would allocate
	log    interface{ Warn(string, ...any) }

	mu       sync.Mutex
	slots    []*polled // epoll data is the slot index
	free     []int
	removing []*polled

	events []unix.EpollEvent // owned by the poll goroutine
	ready  []*polled
	batch  *udpbatch.Batch
	done   chan struct{}
}

// recvBatchSize is how many datagrams of one socket one recvmmsg(2)
// takes: a backlog (a busy machine, a burst) costs no more calls than a
// single packet.
const recvBatchSize = 8

// polled is one socket in a poller.
type polled struct {
	fd      int // the socket's; the poller does not own it
	slot    int
	b       *Bridge
	leg     *Leg
	rtcp    bool
	removed chan struct{} // made by remove, under the poller's mu: a call up keeps none
}

const (
	pollBatch = 256
	wakeSlot  = -1
)

func newPoller(log interface{ Warn(string, ...any) }) (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("media: epoll_create1: %w", err)
	}
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("media: epoll nonblock: %w", err)
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("media: eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: wakeSlot}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wakefd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(wakefd)
		return nil, fmt.Errorf("media: epoll add eventfd: %w", err)
	}
	p := &poller{epfd: epfd, wakefd: wakefd, log: log, events: make([]unix.EpollEvent, pollBatch), ready: make([]*polled, pollBatch),
		batch: udpbatch.NewBatch(recvBatchSize, maxPacket+1), done: make(chan struct{})}
	p.file = os.NewFile(uintptr(epfd), "media-epoll")
	if p.raw, err = p.file.SyscallConn(); err != nil {
		p.file.Close()
		unix.Close(wakefd)
		return nil, fmt.Errorf("media: epoll in the runtime poller: %w", err)
	}
	p.pollFn = p.poll
	go p.run()
	return p, nil
}

// prepare makes s's entry for the poller when the bridge is made.
func (p *poller) prepare(b *Bridge, l *Leg, s *socket, rtcp bool) (*polled, error) {
	fd := s.conn.descriptor()
	if fd < 0 {
		return nil, fmt.Errorf("media: poll a socket: %w", net.ErrClosed)
	}
	return &polled{fd: fd, slot: -1, b: b, leg: l, rtcp: rtcp}, nil
}

// start puts e into the epoll set: the poller reads it from now on.
func (p *poller) start(e *polled) error {
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		e.slot = p.free[n-1]
		p.free = p.free[:n-1]
		p.slots[e.slot] = e
	} else {
		e.slot = len(p.slots)
		p.slots = append(p.slots, e)
	}
	p.mu.Unlock()
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(e.slot)}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, e.fd, &ev); err != nil {
		p.mu.Lock()
		p.slots[e.slot] = nil
		p.free = append(p.free, e.slot)
		p.mu.Unlock()
		e.slot = -1
		return fmt.Errorf("media: epoll add: %w", err)
	}
	return nil
}

// remove stops reading e and returns once the poller has let go of it.
// The caller closes the socket afterwards.
func (p *poller) remove(e *polled) {
	if e.slot < 0 { // never started: the poller never saw it
		return
	}
	removed := make(chan struct{})
	p.mu.Lock()
	e.removed = removed
	p.removing = append(p.removing, e)
	p.mu.Unlock()
	var one = [8]byte{1}
	if _, err := unix.Write(p.wakefd, one[:]); err != nil && !errors.Is(err, unix.EAGAIN) {
		p.log.Warn("media: waking the poller failed", "err", err)
	}
	select {
	case <-removed:
	case <-p.done: // the poller stopped; it reads nothing more
	}
}

// close stops the poll goroutine; every socket must have been removed.
func (p *poller) close() {
	_ = p.file.Close()
	<-p.done
	unix.Close(p.wakefd)
}

func (p *poller) run() {
	defer close(p.done)
	defer p.dropAll()
	for {
		if err := p.raw.Read(p.pollFn); err != nil {
			return // the epoll file was closed
		}
	}
}

// poll is one round: pending removals, then every ready socket read once.
// It returns false (park until the epoll set is ready) when nothing was.
func (p *poller) poll(epfd uintptr) bool {
	p.applyRemovals()
	n, err := unix.EpollWait(int(epfd), p.events, 0)
	if err != nil {
		return errors.Is(err, unix.EINTR) // EINTR: try again; else park (closed soon)
	}
	if n == 0 {
		return false
	}
	now := time.Now().UnixNano()
	// Resolve slots under the lock (add may grow the table meanwhile); only
	// this goroutine frees a slot, so what it resolves stays valid.
	p.mu.Lock()
	for i, ev := range p.events[:n] {
		p.ready[i] = nil
		if ev.Fd != wakeSlot {
			p.ready[i] = p.slots[ev.Fd]
		}
	}
	p.mu.Unlock()
	for i, e := range p.ready[:n] {
		if e == nil {
			if p.events[i].Fd == wakeSlot {
				var v [8]byte
				_, _ = unix.Read(p.wakefd, v[:])
			}
			continue
		}
		p.readOne(e, now)
	}
	return true
}

// readOne takes what e's socket holds, up to recvBatchSize datagrams, into
// the forward path; more keep the socket ready for the next round.
func (p *poller) readOne(e *polled, now int64) {
	b := p.batch
	r, errno := b.Recv(e.fd)
	if errno != 0 {
		return // nothing after all, or a queued ICMP error
	}
	for i := range r {
		pkt, src := b.Datagram(i)
		if e.rtcp {
			e.b.forwardRTCP(e.leg, pkt, src)
		} else {
			e.b.forwardRTP(e.leg, pkt, src, now)
		}
	}
}

func (p *poller) applyRemovals() {
	p.mu.Lock()
	list := p.removing
	p.removing = nil
	p.mu.Unlock()
	for _, e := range list {
		p.drop(e)
	}
}

// drop takes e out of the set; poll goroutine only. The bridge closes
// the socket once remove returns.
func (p *poller) drop(e *polled) {
	_ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, e.fd, nil)
	p.mu.Lock()
	p.slots[e.slot] = nil
	p.free = append(p.free, e.slot)
	p.mu.Unlock()
	close(e.removed) // set: drop runs only for what remove queued
}

// dropAll lets go of what is left when the poller stops (closing the
// epoll set takes the sockets out of it).
func (p *poller) dropAll() {
	p.applyRemovals()
	p.mu.Lock()
	left := make([]*polled, 0)
	for _, e := range p.slots {
		if e != nil {
			left = append(left, e)
		}
	}
	p.mu.Unlock()
	for _, e := range left {
		p.mu.Lock()
		p.slots[e.slot] = nil
		removed := e.removed // a remove after the last applyRemovals
		p.mu.Unlock()
		if removed != nil {
			close(removed)
		}
	}
}

// wait is for readers that stop when their socket closes; the poller's
// remove has already waited.
func (p *poller) wait(*polled) {}
