package udpbatch

import (
	"net"
	"net/netip"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Reader hands out a UDP socket's datagrams one at a time while taking
// them from the kernel a batch per system call, waiting in the runtime's
// network poller like any read. Safe for concurrent use.
type Reader struct {
	rc syscall.RawConn

	mu     sync.Mutex
	b      *Batch
	next   int // the next datagram of b to hand out
	errno  unix.Errno
	readFn func(fd uintptr) bool // made once: a closure per read would allocate
}

// NewReader reads c in batches of size datagrams of up to bufLen bytes.
func NewReader(c *net.UDPConn, size, bufLen int) (*Reader, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	r := &Reader{rc: rc, b: NewBatch(size, bufLen)}
	r.readFn = func(fd uintptr) bool {
		_, r.errno = r.b.Recv(int(fd))
		return r.errno != unix.EAGAIN // false: wait until readable
	}
	return r, nil
}

// Next calls fn with the next datagram, the whole buffer it was read into
// (cut when the datagram fills it) and its source; the slices are valid
// only during fn. fn says whether to return: false goes on to the next
// datagram. Next returns when fn said so or the socket failed (closed).
func (r *Reader) Next(fn func(d, buf []byte, src netip.AddrPort) bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		for r.next < r.b.n {
			i := r.next
			r.next++
			d, src := r.b.Datagram(i)
			if fn(d, r.b.Buffer(i), src) {
				return nil
			}
		}
		err := r.rc.Read(r.readFn)
		r.next = 0
		if err != nil {
			return err
		}
		if r.errno != 0 && r.errno != unix.EINTR {
			return r.errno
		}
	}
}
