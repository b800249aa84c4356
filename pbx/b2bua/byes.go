package b2bua

import (
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// answeredByes remembers the BYEs answered 200 in the last Timer J (64*T1),
// by Call-ID and CSeq, so that a retransmission (our 200 was lost) gets its
// 200 again although the BYE's transaction ended with the answer: kept for
// Timer J instead, ~10 000 transactions lived at 300 calls/s only to absorb
// retransmissions. A new BYE in an ended dialog still gets 481.
type answeredByes struct {
	mu   sync.Mutex
	seq  map[string]uint32 // Call-ID -> CSeq of the BYE answered
	fifo []answeredBye     // oldest first, from head
	head int
}

type answeredBye struct {
	callID string
	at     time.Time
}

// add records a BYE answered at now and forgets those older than Timer J.
func (a *answeredByes) add(callID string, cseq uint32, now time.Time) {
	memory := 64 * sip.T1 // Timer J
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seq == nil {
		a.seq = map[string]uint32{}
	}
	for a.head < len(a.fifo) && now.Sub(a.fifo[a.head].at) >= memory {
		delete(a.seq, a.fifo[a.head].callID)
		a.fifo[a.head] = answeredBye{}
		a.head++
	}
	if a.head > len(a.fifo)/2 {
		a.fifo = append(a.fifo[:0], a.fifo[a.head:]...)
		a.head = 0
	}
	if _, dup := a.seq[callID]; !dup {
		a.fifo = append(a.fifo, answeredBye{callID: callID, at: now})
	}
	a.seq[callID] = cseq
}

// has reports whether the BYE of callID with cseq was answered 200 lately.
func (a *answeredByes) has(callID string, cseq uint32) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.seq[callID]
	return ok && s == cseq
}
