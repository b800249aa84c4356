package media

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// In-kernel forwarding ("the kernel path"). A call's RTP costs the relay a
// wake-up, a recvmmsg share and a sendto per packet, twice over the
// kernel's own UDP work; rtpengine's kernel module is why it scales past
// that. Where the kernel allows it (Linux with tcx and eBPF, CAP_BPF and
// CAP_NET_ADMIN), a direction of a bridge that needs nothing of the relay
// but the forward itself is handed to a small tc program (kernel_prog_linux.go):
// it rewrites the latched peer's datagrams to come from the other leg's
// port and go to the other leg's peer, and sends them on from the
// interface's ingress without waking the relay.
//
// A direction is offloaded only while all of this holds: the bridge is
// started and has no tap (no recorder, monitor, DTMF listener, IVR or
// splice), the sending leg is not held, neither leg speaks SRTP, the
// sending leg has latched an IPv4 source, the other leg has an IPv4
// destination that is not a local peer (WebRTC), the relay is bound to one
// IPv4 address, and what the other leg's phone has been sent so far is
// this very stream, untouched (out_stream.go). Whatever changes one of
// these (SetTap, SetHold, SetRemote, SetSignalHost, SetSRTP, a relatch, a
// prompt written to the leg, Close) withdraws the flow first, under the
// bridge's kmu, and the relay's socket reads the next packet as before; a
// sweep once a second (Relay.kernelLoop) offloads what is eligible, moves
// the kernel's counters into the leg's (so Stats, the CDR, the media
// timeout and /metrics see the packets) and withdraws what no longer is.
// The kernel takes only the latched source's packets of the latched SSRC,
// valid RTP of agreeing lengths; anything else (RTCP, a new SSRC, a
// stranger, a NAT rebinding) reaches the socket, where the usual rules
// apply and a relatch withdraws the flow.

// kernelFlows is what the relay needs of the kernel path.
type kernelFlows interface {
	put(key flowKey, v flowValue) error
	// read returns a flow's value with its counters.
	read(key flowKey) (flowValue, bool)
	// take removes a flow and returns its last value.
	take(key flowKey) (flowValue, bool)
	close() error
}

// kernelSweep is how often offloads are tried and counters moved.
const kernelSweep = time.Second

// flowKey is what the program looks up: the datagram's destination (the
// relay's leg) and source (the latched peer), bytes as on the wire.
type flowKey struct {
	Relay     [4]byte
	Peer      [4]byte
	RelayPort [2]byte
	PeerPort  [2]byte
}

// flowValue is a flow: where its packets go, and the kernel's counters.
// The layout is the program's (kernel_prog_linux.go's v* offsets).
type flowValue struct {
	Src     [4]byte // the other leg's address: the relay's
	Dst     [4]byte // the other leg's peer
	SrcPort [2]byte
	DstPort [2]byte
	SSRC    [4]byte // the latched stream, as on the wire
	Flags   uint32  // flowLocal: informational; the program reads Ifindex and the MACs
	Ifindex uint32  // the interface the route to Dst leaves by (not local)
	Packets uint64  // forwarded by the kernel
	Bytes   uint64  // their RTP bytes (UDP payload)
	Head    [4]byte // the last forwarded packet's first four bytes
	TS      [4]byte // and its timestamp
	DstMAC  [6]byte // the next hop's; zero for loopback
	SrcMAC  [6]byte // the interface's
	Pad     [4]byte // an exported field: cilium/ebpf copies a struct without padding in place
	Last    uint64  // when the kernel last forwarded one, CLOCK_MONOTONIC ns
}

// flowLocal marks a flow to an address of this host, sent by loopback.
const flowLocal = 1

const (
	flowKeySize   = 12
	flowValueSize = 72
)

// kflow is an offloaded direction as the relay keeps it.
type kflow struct {
	key  flowKey
	val  flowValue      // as put, counters zero
	src  netip.AddrPort // the latched source it matches
	dst  netip.AddrPort // where it sends
	ssrc uint32
	// counted: the kernel's packets and bytes already moved into the legs'
	// counters. Under the bridge's kmu.
	packets, bytes uint64
}

// kernelView is what the relay knows of its host for the kernel path,
// read again at every sweep: its addresses, its IPv4 routes and its ARP
// table (from /proc/net). The kernel's own route look-up from a tc program
// (bpf_fib_lookup) refuses unless the host forwards IPv4, which a PBX
// should not, so the next hop is found here and its MAC given to the
// program with the flow.
type kernelView struct {
	bind     [4]byte
	loopback uint32                   // loopback's interface index
	local    map[netip.Addr]bool      // the host's addresses
	ifaces   map[string]net.Interface // by name
	routes   []route4
	arp      map[arpKey]net.HardwareAddr // complete entries only
}

type route4 struct {
	iface   string
	prefix  netip.Prefix
	gateway netip.Addr // zero: on link
	metric  int
}

type arpKey struct {
	ip    netip.Addr
	iface string
}

// readKernelView reads the host; ok is false when the relay's bind address
// is not one IPv4 address or the host has no loopback.
func readKernelView(bind netip.Addr) (*kernelView, bool) {
	if !bind.Is4() || bind.IsUnspecified() {
		return nil, false
	}
	v := &kernelView{bind: bind.As4(), local: map[netip.Addr]bool{}, ifaces: map[string]net.Interface{}, arp: map[arpKey]net.HardwareAddr{}}
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, false
	}
	for _, ifc := range ifs {
		v.ifaces[ifc.Name] = ifc
		if ifc.Flags&net.FlagLoopback != 0 && v.loopback == 0 {
			v.loopback = uint32(ifc.Index)
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil {
				v.local[p.Addr().Unmap()] = true
			}
		}
	}
	if b, err := os.ReadFile("/proc/net/route"); err == nil {
		v.routes = parseRoutes(b)
	}
	if b, err := os.ReadFile("/proc/net/arp"); err == nil {
		parseARP(b, v.arp)
	}
	return v, v.loopback != 0
}

// parseRoutes reads /proc/net/route: addresses are the kernel's 32-bit
// words in hex, little-endian on the hosts this runs on.
func parseRoutes(b []byte) []route4 {
	var out []route4
	for i, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if i == 0 || len(f) < 8 {
			continue
		}
		dst, err1 := strconv.ParseUint(f[1], 16, 32)
		gw, err2 := strconv.ParseUint(f[2], 16, 32)
		flags, err3 := strconv.ParseUint(f[3], 16, 32)
		metric, err4 := strconv.Atoi(f[6])
		mask, err5 := strconv.ParseUint(f[7], 16, 32)
		if err := errors.Join(err1, err2, err3, err4, err5); err != nil || flags&1 == 0 { // RTF_UP
			continue
		}
		ip4 := func(x uint64) netip.Addr {
			var a [4]byte
			binary.LittleEndian.PutUint32(a[:], uint32(x))
			return netip.AddrFrom4(a)
		}
		bits := 0
		for m := uint32(mask); m != 0; m &= m - 1 {
			bits++
		}
		r := route4{iface: f[0], prefix: netip.PrefixFrom(ip4(dst), bits), metric: metric}
		if flags&2 != 0 { // RTF_GATEWAY
			r.gateway = ip4(gw)
		}
		out = append(out, r)
	}
	return out
}

// parseARP reads /proc/net/arp's complete entries (flag ATF_COM).
func parseARP(b []byte, into map[arpKey]net.HardwareAddr) {
	for i, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if i == 0 || len(f) < 6 {
			continue
		}
		ip, err := netip.ParseAddr(f[0])
		flags, err2 := strconv.ParseUint(strings.TrimPrefix(f[2], "0x"), 16, 32)
		mac, err3 := net.ParseMAC(f[3])
		if errors.Join(err, err2, err3) != nil || flags&2 == 0 || len(mac) != 6 {
			continue
		}
		into[arpKey{ip, f[5]}] = mac
	}
}

func (v *kernelView) isLocal(ip netip.Addr) bool { return ip.IsLoopback() || v.local[ip] }

// nextHop finds how a packet to ip leaves: the interface, its MAC and the
// next hop's, by the longest matching route (the main table's; policy
// routing is not followed, and a flow it would route elsewhere is better
// left to the relay, which uses the host's own routing).
func (v *kernelView) nextHop(ip netip.Addr) (ifindex uint32, dst, src net.HardwareAddr, ok bool) {
	best := -1
	for i, r := range v.routes {
		if r.prefix.Contains(ip) && (best < 0 || r.prefix.Bits() > v.routes[best].prefix.Bits() ||
			(r.prefix.Bits() == v.routes[best].prefix.Bits() && r.metric < v.routes[best].metric)) {
			best = i
		}
	}
	if best < 0 {
		return 0, nil, nil, false
	}
	r := v.routes[best]
	ifc, found := v.ifaces[r.iface]
	if !found || len(ifc.HardwareAddr) != 6 || ifc.Flags&net.FlagUp == 0 {
		return 0, nil, nil, false
	}
	hop := ip
	if r.gateway.IsValid() {
		hop = r.gateway
	}
	mac, found := v.arp[arpKey{hop, r.iface}]
	if !found {
		return 0, nil, nil, false // not resolved yet: the relay's own sends will resolve it
	}
	return uint32(ifc.Index), mac, ifc.HardwareAddr, true
}

// kernelFlow reports what the flow for in's direction would be, and
// whether the direction may be offloaded now. b.kmu is held.
func (b *Bridge) kernelFlow(in *Leg, h *kernelView) (kflow, bool) {
	out := in.other
	if b.kclosed || b.startedAt.Load() == 0 || b.tap.Load() != nil || in.held.Load() ||
		in.srtp.Load() != nil || out.srtp.Load() != nil || out.rtp.local.Load() != nil {
		return kflow{}, false
	}
	p := in.rtp.peer.Load()
	src, dst := p.latched, out.rtp.peer.Load().dest()
	if !src.Addr().Is4() || !dst.Addr().Is4() || dst.Port() == 0 {
		return kflow{}, false
	}
	o := &out.out
	o.mu.Lock()
	fresh := !o.started || (o.ssrc == p.ssrc && o.in == p.ssrc && o.seqOff == 0 && o.tsOff == 0)
	o.mu.Unlock()
	if !fresh {
		return kflow{}, false
	}
	v := flowValue{Src: h.bind, Dst: dst.Addr().As4()}
	binary.BigEndian.PutUint16(v.SrcPort[:], out.port)
	binary.BigEndian.PutUint16(v.DstPort[:], dst.Port())
	binary.BigEndian.PutUint32(v.SSRC[:], p.ssrc)
	switch {
	case h.isLocal(dst.Addr()):
		// A loopback destination is reached only from loopback: on any other
		// interface the stack would drop it as martian.
		if dst.Addr().IsLoopback() && !h.isLocal(src.Addr()) {
			return kflow{}, false
		}
		v.Flags, v.Ifindex = flowLocal, h.loopback // MACs zero, as loopback's own
	default:
		ifindex, dmac, smac, ok := h.nextHop(dst.Addr())
		if !ok {
			return kflow{}, false
		}
		v.Ifindex = ifindex
		copy(v.DstMAC[:], dmac)
		copy(v.SrcMAC[:], smac)
	}
	k := flowKey{Relay: h.bind, Peer: src.Addr().As4()}
	binary.BigEndian.PutUint16(k.RelayPort[:], in.port)
	binary.BigEndian.PutUint16(k.PeerPort[:], src.Port())
	return kflow{key: k, val: v, src: src, dst: dst, ssrc: p.ssrc}, true
}

// kernelSweepBridge moves the kernel's counters into the legs', withdraws
// directions no longer eligible and offloads those that are.
func (b *Bridge) kernelSweepBridge(k kernelFlows, h *kernelView) {
	b.kmu.Lock()
	defer b.kmu.Unlock()
	for _, in := range [...]*Leg{b.A, b.B} {
		f := in.rtp.kflow.Load()
		nf, ok := b.kernelFlow(in, h)
		switch {
		case f != nil && (!ok || nf.key != f.key || nf.val != f.val): // a new MAC or route too
			b.withdrawLocked(in, k)
		case f != nil:
			if cur, found := k.read(f.key); found {
				b.countKernel(in, f, cur)
			}
			continue
		}
		if !ok {
			continue
		}
		if err := k.put(nf.key, nf.val); err != nil {
			b.relay.log.Debug("media: kernel path refused a flow; it stays in the relay", "err", err)
			continue
		}
		// A copy made here, so a sweep that only counts allocates nothing.
		kept := nf
		in.rtp.kflow.Store(&kept)
	}
}

// kernelWithdraw takes both directions back from the kernel, so the next
// packets reach the relay's sockets. Call it after the change that needs it
// (a tap stored, a hold set), so a sweep that runs meanwhile sees it.
func (b *Bridge) kernelWithdraw() {
	k := b.kernel()
	if k == nil {
		return
	}
	b.kmu.Lock()
	defer b.kmu.Unlock()
	b.withdrawLocked(b.A, k)
	b.withdrawLocked(b.B, k)
}

// kernelCount moves what the kernel has forwarded into the legs' counters.
func (b *Bridge) kernelCount() {
	k := b.kernel()
	if k == nil {
		return
	}
	b.kmu.Lock()
	defer b.kmu.Unlock()
	for _, in := range [...]*Leg{b.A, b.B} {
		if f := in.rtp.kflow.Load(); f != nil {
			if v, ok := k.read(f.key); ok {
				b.countKernel(in, f, v)
			}
		}
	}
}

// withdrawLocked removes in's flow, counts its last packets and leaves the
// other leg's out stream where the kernel left it, so a later source (a
// prompt, a transfer) carries on from the phone's last sequence number.
func (b *Bridge) withdrawLocked(in *Leg, k kernelFlows) {
	f := in.rtp.kflow.Swap(nil)
	if f == nil {
		return
	}
	v, ok := k.take(f.key)
	if !ok || v.Packets == 0 {
		return
	}
	b.countKernel(in, f, v)
	o := &in.other.out
	o.mu.Lock()
	if !o.started {
		o.started, o.ssrc, o.in = true, f.ssrc, f.ssrc
	}
	o.lastSeq = binary.BigEndian.Uint16(v.Head[2:4])
	o.lastTS = binary.BigEndian.Uint32(v.TS[:])
	o.mu.Unlock()
}

// countKernel adds what the kernel forwarded since the last count, metrics
// first as on the relay's own path.
func (b *Bridge) countKernel(in *Leg, f *kflow, v flowValue) {
	dp, db := v.Packets-f.packets, v.Bytes-f.bytes
	if dp == 0 {
		return
	}
	f.packets, f.bytes = v.Packets, v.Bytes
	b.m.rtpRelayed.Add(float64(dp))
	b.m.rtpBytes.Add(float64(db))
	b.m.rtpKernel.Add(float64(dp))
	s := &in.rtp
	s.kernel.Add(dp)
	s.in.Add(dp)
	s.inBytes.Add(db)
	s.relayed.Add(dp)
	s.relayedBytes.Add(db)
	last := time.Now().UnixNano()
	if v.Last != 0 {
		last = monotonicToWall(v.Last)
	}
	if last > s.lastRx.Load() {
		s.lastRx.Store(last)
	}
}

// kernelMiss runs for an accepted packet that reached the socket while a
// direction is offloaded: a relatch of in, a new SSRC, or a packet queued
// before the flow went in. The first two change what the flows must be.
func (b *Bridge) kernelMiss(in *Leg, src netip.AddrPort, ssrc uint32) {
	if f := in.rtp.kflow.Load(); f != nil && (f.src != src || f.ssrc != ssrc) {
		b.kernelWithdraw()
		return
	}
	if g := in.other.rtp.kflow.Load(); g != nil && g.dst != src {
		b.kernelWithdraw() // in's peer moved: the other direction sends to the old place
	}
}

func (b *Bridge) kernel() kernelFlows {
	if b == nil || b.relay == nil {
		return nil
	}
	return b.relay.kernel
}

// appendBridges appends the open bridges to list, taken under the lock,
// so the caller can work on them without it.
func (r *Relay) appendBridges(list []*Bridge) []*Bridge {
	r.mu.Lock()
	defer r.mu.Unlock()
	for b := range r.bridges {
		list = append(list, b)
	}
	return list
}

// kernelCountAll moves every bridge's kernel counts into its legs.
func (r *Relay) kernelCountAll() {
	for _, b := range r.appendBridges(nil) {
		b.kernelCount()
	}
}

// kernelLoop is the relay's sweep while the kernel path is open.
func (r *Relay) kernelLoop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(kernelSweep)
	defer t.Stop()
	var list []*Bridge
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		list = r.appendBridges(list[:0])
		h, ok := readKernelView(r.cfg.BindIP)
		if !ok {
			continue
		}
		for _, b := range list {
			b.kernelSweepBridge(r.kernel, h)
		}
		clear(list)
	}
}
