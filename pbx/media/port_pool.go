package media

import "sync"

// portPool is the free list of even RTP ports. It is a FIFO ring so a port
// freed by one call rests behind every other free port before it is reused,
// which keeps late packets of an old call away from a new one.
type portPool struct {
	mu   sync.Mutex
	ring []uint16
	head int // index of the oldest free port
	n    int // free ports in the ring
}

func newPortPool(first uint16, pairs int) *portPool {
	p := &portPool{ring: make([]uint16, pairs), n: pairs}
	for i := range p.ring {
		p.ring[i] = first + uint16(2*i)
	}
	return p
}

// take removes the oldest free port.
func (p *portPool) take() (uint16, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == 0 {
		return 0, false
	}
	port := p.ring[p.head]
	p.head = (p.head + 1) % len(p.ring)
	p.n--
	return port, true
}

// put returns port to the back of the list. A port is only put back after
// take handed it out, so the ring never overflows.
func (p *portPool) put(port uint16) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ring[(p.head+p.n)%len(p.ring)] = port
	p.n++
}

// free is the number of ports waiting in the list.
func (p *portPool) free() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}
