// Package udpbatch reads UDP datagrams many per system call: recvmmsg(2)
// on Linux, one read at a time elsewhere. It owns the kernel's message
// vectors and the buffers behind them, so that a reader takes whatever a
// socket holds — a flood's backlog, a burst of media — for one call and
// no allocation. The media relay's pollers (pbx/media) use Batch with their
// own epoll loop; the guard's SIP listener (pbx/guard) uses Reader.
package udpbatch
