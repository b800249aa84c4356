package udpbatch

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Batch is recvmmsg(2)'s arguments for up to Len datagrams, each into a
// buffer of the size given to NewBatch. Not safe for concurrent use.
type Batch struct {
	msgs  []mmsghdr
	iov   []unix.Iovec
	names []unix.RawSockaddrAny
	bufs  [][]byte
	n     int // datagrams the last Recv took
}

// mmsghdr is struct mmsghdr; the compiler pads it as C does.
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
}

// NewBatch makes a batch of size datagrams of up to bufLen bytes each. Give
// one byte more than the largest datagram wanted: a datagram that fills its
// buffer was cut.
func NewBatch(size, bufLen int) *Batch {
	b := &Batch{msgs: make([]mmsghdr, size), iov: make([]unix.Iovec, size), names: make([]unix.RawSockaddrAny, size),
		bufs: make([][]byte, size)}
	for i := range b.msgs {
		b.bufs[i] = make([]byte, bufLen)
		b.iov[i].Base = &b.bufs[i][0]
		b.iov[i].SetLen(bufLen)
		b.msgs[i].hdr.Iov = &b.iov[i]
		b.msgs[i].hdr.SetIovlen(1)
		b.msgs[i].hdr.Name = (*byte)(unsafe.Pointer(&b.names[i]))
	}
	return b
}

// Len is how many datagrams one Recv can take.
func (b *Batch) Len() int { return len(b.msgs) }

// Recv takes up to Len datagrams from fd without blocking (MSG_DONTWAIT)
// and returns how many; errno is unix.EAGAIN when there were none.
func (b *Batch) Recv(fd int) (int, unix.Errno) {
	for i := range b.msgs {
		b.msgs[i].hdr.Namelen = unix.SizeofSockaddrAny
	}
	r, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(fd), uintptr(unsafe.Pointer(&b.msgs[0])), uintptr(len(b.msgs)),
		unix.MSG_DONTWAIT, 0, 0)
	if errno != 0 {
		b.n = 0
		return 0, errno
	}
	b.n = int(r)
	return b.n, 0
}

// Datagram is the i-th datagram of the last Recv and its source. The bytes
// are valid until the next Recv.
func (b *Batch) Datagram(i int) ([]byte, netip.AddrPort) {
	return b.bufs[i][:b.msgs[i].n], SockaddrAddrPort(&b.names[i])
}

// Buffer is the whole buffer of the i-th datagram, for a check that it was
// not cut (its length equals the datagram's).
func (b *Batch) Buffer(i int) []byte { return b.bufs[i] }

// SockaddrAddrPort converts a kernel socket address; an IPv4-mapped IPv6
// address comes back as IPv4, anything else as the zero AddrPort.
func SockaddrAddrPort(rsa *unix.RawSockaddrAny) netip.AddrPort {
	switch rsa.Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		pb := (*[2]byte)(unsafe.Pointer(&sa.Port))
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(pb[0])<<8|uint16(pb[1]))
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
		pb := (*[2]byte)(unsafe.Pointer(&sa.Port))
		ap := netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(pb[0])<<8|uint16(pb[1]))
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}
