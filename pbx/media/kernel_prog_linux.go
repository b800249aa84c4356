package media

import (
	"github.com/cilium/ebpf/asm"
)

// The kernel path's program (kernel_linux.go), written out as instructions
// so the PBX needs no compiler: a tc ingress program that takes a datagram
// for a relay socket, looks up (relay address and port, source address and
// port) in the flow map, and when a flow is found and the datagram is plain
// RTP of the flow's stream, rewrites the addresses and ports to those of the
// other leg and sends it out of an interface: loopback when the other leg's
// peer is on this host, the one the route names otherwise. Whatever it
// does not take (IPv6, IP options, fragments, RTCP, another SSRC, an unknown
// source, a route it cannot resolve) it leaves alone, and the relay's own
// socket reads it as before.
//
// The C it stands for:
//
//	if skb_load_bytes(skb, 0, hdr, 54) != 0 → next
//	if ethertype != IPv4 || ver_ihl != 0x45 || frag_off & 0x3fff || proto != UDP → next
//	if rtp[0] & 0xc0 != 0x80 → next
//	v = lookup(flows, {daddr, saddr, dport, sport}); if !v → next
//	if rtp.ssrc != v.ssrc → next
//	if udp.len < 20 || udp.len > 8+1500 || ip.tot_len != udp.len+20 || skb.len != 14+ip.tot_len → next
//	set v's MACs, fix the UDP and IP checksums, store v's addresses and ports
//	v.packets++, v.bytes += udp.len-8, v.head, v.ts = rtp's, v.last = now
//	redirect to v.ifindex's egress

// Stack layout, as offsets from the frame pointer. The copied headers start
// at -66 so that the IP header (14 bytes in) is four-byte aligned: the
// verifier wants every stack access aligned to its size.
const (
	kHdr      = -66 // 54 bytes: Ethernet 14, IPv4 20, UDP 8, RTP 12
	kHdrLen   = 54
	kEthType  = kHdr + 12
	kIPVerIHL = kHdr + 14
	kIPTotLen = kHdr + 16
	kIPFrag   = kHdr + 20
	kIPProto  = kHdr + 23
	kIPSaddr  = kHdr + 26
	kIPDaddr  = kHdr + 30
	kUDPSport = kHdr + 34
	kUDPDport = kHdr + 36
	kUDPLen   = kHdr + 38
	kRTPHead  = kHdr + 42
	kRTPTS    = kHdr + 46
	kRTPSSRC  = kHdr + 50
	kKey      = -80 // 12 bytes: flowKey
)

// Offsets in the packet (from the Ethernet header) the checksum and store
// helpers take.
const (
	pIPCsum   = 14 + 10
	pIPSaddr  = 14 + 12
	pUDPSport = 14 + 20
	pUDPCsum  = 14 + 20 + 6
)

// Offsets in struct __sk_buff (uapi/linux/bpf.h).
const (
	skbLen = 0
)

// Flow value offsets: flowValue's layout (offload.go).
const (
	vSrc     = 0
	vSSRC    = 12
	vIfindex = 20
	vPackets = 24
	vBytes   = 32
	vHead    = 40
	vTS      = 44
	vMACs    = 48 // destination MAC, then source MAC: the Ethernet header's order
	vLast    = 64
)

// Kernel constants the program uses.
const (
	tcxNext          = -1 // leave the packet to the next program, then the stack
	ipprotoUDP       = 17
	csumPseudoHeader = 1 << 4 // BPF_F_PSEUDO_HDR
	csumMangled0     = 1 << 5 // BPF_F_MARK_MANGLED_0: keep a zero UDP checksum zero
)

// forwardProgram returns the program's instructions for the flow map fd.
func forwardProgram(flows int) asm.Instructions {
	const next = "next"
	ins := asm.Instructions{
		asm.Mov.Reg(asm.R6, asm.R1), // r6 = skb

		// Copy the headers to the stack.
		asm.Mov.Reg(asm.R1, asm.R6),
		asm.Mov.Imm(asm.R2, 0),
		asm.Mov.Reg(asm.R3, asm.RFP),
		asm.Add.Imm(asm.R3, kHdr),
		asm.Mov.Imm(asm.R4, kHdrLen),
		asm.FnSkbLoadBytes.Call(),
		asm.JNE.Imm(asm.R0, 0, next),

		// IPv4 without options or fragments, UDP, RTP version 2. Loads are
		// little-endian on the wire's bytes: 08 00 reads 0x0008.
		asm.LoadMem(asm.R1, asm.RFP, kEthType, asm.Half),
		asm.JNE.Imm(asm.R1, 0x0008, next),
		asm.LoadMem(asm.R1, asm.RFP, kIPVerIHL, asm.Byte),
		asm.JNE.Imm(asm.R1, 0x45, next),
		asm.LoadMem(asm.R1, asm.RFP, kIPFrag, asm.Half),
		asm.And.Imm(asm.R1, 0xff3f), // the more-fragments bit and the offset
		asm.JNE.Imm(asm.R1, 0, next),
		asm.LoadMem(asm.R1, asm.RFP, kIPProto, asm.Byte),
		asm.JNE.Imm(asm.R1, ipprotoUDP, next),
		asm.LoadMem(asm.R1, asm.RFP, kRTPHead, asm.Byte),
		asm.And.Imm(asm.R1, 0xc0),
		asm.JNE.Imm(asm.R1, 0x80, next),

		// The flow key: relay address, source address, relay port, source port.
		asm.LoadMem(asm.R1, asm.RFP, kIPDaddr, asm.Word),
		asm.StoreMem(asm.RFP, kKey, asm.R1, asm.Word),
		asm.LoadMem(asm.R1, asm.RFP, kIPSaddr, asm.Word),
		asm.StoreMem(asm.RFP, kKey+4, asm.R1, asm.Word),
		asm.LoadMem(asm.R1, asm.RFP, kUDPDport, asm.Half),
		asm.StoreMem(asm.RFP, kKey+8, asm.R1, asm.Half),
		asm.LoadMem(asm.R1, asm.RFP, kUDPSport, asm.Half),
		asm.StoreMem(asm.RFP, kKey+10, asm.R1, asm.Half),
		asm.LoadMapPtr(asm.R1, flows),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, kKey),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, next),
		asm.Mov.Reg(asm.R7, asm.R0), // r7 = the flow

		// The flow's stream only: another SSRC is the relay's to judge.
		asm.LoadMem(asm.R1, asm.RFP, kRTPSSRC, asm.Word),
		asm.LoadMem(asm.R2, asm.R7, vSSRC, asm.Word),
		asm.JNE.Reg(asm.R1, asm.R2, next),

		// Lengths that agree: UDP 20..1508, IP = UDP + 20, the skb = IP + 14.
		asm.LoadMem(asm.R8, asm.RFP, kUDPLen, asm.Half),
		asm.HostTo(asm.BE, asm.R8, asm.Half), // r8 = UDP length
		asm.JLT.Imm(asm.R8, 8+12, next),
		asm.JGT.Imm(asm.R8, 8+maxPacket, next),
		asm.LoadMem(asm.R1, asm.RFP, kIPTotLen, asm.Half),
		asm.HostTo(asm.BE, asm.R1, asm.Half),
		asm.Mov.Reg(asm.R2, asm.R8),
		asm.Add.Imm(asm.R2, 20),
		asm.JNE.Reg(asm.R1, asm.R2, next),
		asm.LoadMem(asm.R2, asm.R6, skbLen, asm.Word),
		asm.Add.Imm(asm.R1, 14),
		asm.JNE.Reg(asm.R1, asm.R2, next),

		// Leave by the flow's interface (loopback for a destination on this
		// host) with its MACs: out of an interface rather than straight up
		// the stack, so captures see the packet as they would the relay's.
		asm.LoadMem(asm.R9, asm.R7, vIfindex, asm.Word),
		asm.Mov.Reg(asm.R1, asm.R6),
		asm.Mov.Imm(asm.R2, 0),
		asm.Mov.Reg(asm.R3, asm.R7),
		asm.Add.Imm(asm.R3, vMACs),
		asm.Mov.Imm(asm.R4, 12),
		asm.Mov.Imm(asm.R5, 0),
		asm.FnSkbStoreBytes.Call(),
		asm.JNE.Imm(asm.R0, 0, next),
	}

	// The UDP checksum covers the addresses (pseudo-header) and the ports;
	// the IP checksum the addresses. Each helper adjusts it incrementally.
	csum := func(fn asm.BuiltinFunc, off int32, oldAt int16, newAt int16, flags int32) asm.Instructions {
		size := asm.Word
		if flags&0xf == 2 {
			size = asm.Half
		}
		return asm.Instructions{
			asm.Mov.Reg(asm.R1, asm.R6),
			asm.Mov.Imm(asm.R2, off),
			asm.LoadMem(asm.R3, asm.RFP, oldAt, size),
			asm.LoadMem(asm.R4, asm.R7, newAt, size),
			asm.Mov.Imm(asm.R5, flags),
			fn.Call(),
			asm.JNE.Imm(asm.R0, 0, next),
		}
	}
	ins = append(ins, csum(asm.FnL4CsumReplace, pUDPCsum, kIPSaddr, vSrc, csumPseudoHeader|csumMangled0|4)...)
	ins = append(ins, csum(asm.FnL4CsumReplace, pUDPCsum, kIPDaddr, vSrc+4, csumPseudoHeader|csumMangled0|4)...)
	ins = append(ins, csum(asm.FnL4CsumReplace, pUDPCsum, kUDPSport, vSrc+8, csumMangled0|2)...)
	ins = append(ins, csum(asm.FnL4CsumReplace, pUDPCsum, kUDPDport, vSrc+10, csumMangled0|2)...)
	ins = append(ins, csum(asm.FnL3CsumReplace, pIPCsum, kIPSaddr, vSrc, 4)...)
	ins = append(ins, csum(asm.FnL3CsumReplace, pIPCsum, kIPDaddr, vSrc+4, 4)...)
	store := func(off int32, from int16, n int32) asm.Instructions {
		return asm.Instructions{
			asm.Mov.Reg(asm.R1, asm.R6),
			asm.Mov.Imm(asm.R2, off),
			asm.Mov.Reg(asm.R3, asm.R7),
			asm.Add.Imm(asm.R3, int32(from)),
			asm.Mov.Imm(asm.R4, n),
			asm.Mov.Imm(asm.R5, 0),
			asm.FnSkbStoreBytes.Call(),
			asm.JNE.Imm(asm.R0, 0, next),
		}
	}
	ins = append(ins, store(pIPSaddr, vSrc, 8)...)    // source and destination address
	ins = append(ins, store(pUDPSport, vSrc+8, 4)...) // source and destination port

	ins = append(ins,
		// Count it, and keep where the stream is for the relay to carry on from.
		asm.Mov.Imm(asm.R1, 1),
		asm.AddAtomic.Mem(asm.R7, asm.R1, asm.DWord, vPackets),
		asm.Mov.Reg(asm.R1, asm.R8),
		asm.Add.Imm(asm.R1, -8),
		asm.AddAtomic.Mem(asm.R7, asm.R1, asm.DWord, vBytes),
		asm.LoadMem(asm.R1, asm.RFP, kRTPHead, asm.Word),
		asm.StoreMem(asm.R7, vHead, asm.R1, asm.Word),
		asm.LoadMem(asm.R1, asm.RFP, kRTPTS, asm.Word),
		asm.StoreMem(asm.R7, vTS, asm.R1, asm.Word),
		asm.FnKtimeGetNs.Call(), // for the media timeout
		asm.StoreMem(asm.R7, vLast, asm.R0, asm.DWord),

		asm.Mov.Reg(asm.R1, asm.R9),
		asm.Mov.Imm(asm.R2, 0),
		asm.FnRedirect.Call(),
		asm.Return(),

		asm.Mov.Imm(asm.R0, tcxNext).WithSymbol(next),
		asm.Return(),
	)
	return ins
}
