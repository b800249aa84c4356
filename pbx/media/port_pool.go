package media

import (
	"math/rand/v2"
	"sync"
)

// portPool is the free list of even RTP ports, a ring ordered by how long
// each port has rested. take hands out a random one of the older half, so a
// port freed by one call rests behind at least half of the free ports before
// it is reused (late packets of an old call stay away from a new one) and
// the next call's ports cannot be guessed from the last call's.
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

// take removes a random port among the older half of the free ones.
func (p *portPool) take() (uint16, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == 0 {
		return 0, false
	}
	pick := (p.head + rand.IntN((p.n+1)/2)) % len(p.ring)
	p.ring[p.head], p.ring[pick] = p.ring[pick], p.ring[p.head]
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
