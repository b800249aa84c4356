package media

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"sync"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/yimen/yimen/internal/errs"
)

// SDES crypto suites (RFC 4568 §6.2, RFC 7714 §12) the relay can do, by
// the names a=crypto gives them.
const (
	SuiteAES128SHA1_80 = "AES_CM_128_HMAC_SHA1_80"
	SuiteAES128SHA1_32 = "AES_CM_128_HMAC_SHA1_32"
	SuiteAEADAES128GCM = "AEAD_AES_128_GCM"
)

// replayWindow is the SRTP and SRTCP replay window in packets (RFC 3711
// §3.3.2 asks for at least 64); a forged or replayed packet fails the
// check and is dropped before it can latch, be heard or be recorded.
const replayWindow = 128

// srtpOverhead is the most a suite adds to a packet: a GCM tag (16) or an
// HMAC tag (10), plus the SRTCP index (4).
const srtpOverhead = 20

// SRTPSuites lists the suites the relay accepts, in the order it prefers
// them when it offers.
func SRTPSuites() []string {
	return []string{SuiteAES128SHA1_80, SuiteAEADAES128GCM, SuiteAES128SHA1_32}
}

// profileOf maps a suite name to pion's profile; ok is false for suites
// the relay does not do.
func profileOf(suite string) (srtp.ProtectionProfile, bool) {
	switch suite {
	case SuiteAES128SHA1_80:
		return srtp.ProtectionProfileAes128CmHmacSha1_80, true
	case SuiteAES128SHA1_32:
		return srtp.ProtectionProfileAes128CmHmacSha1_32, true
	case SuiteAEADAES128GCM:
		return srtp.ProtectionProfileAeadAes128Gcm, true
	}
	return 0, false
}

// SRTPKeyLen is the length in bytes of suite's master key and salt
// together (the SDES inline key), or 0 for a suite the relay does not do.
func SRTPKeyLen(suite string) int {
	p, ok := profileOf(suite)
	if !ok {
		return 0
	}
	k, _ := p.KeyLen()
	s, _ := p.SaltLen()
	return k + s
}

// SRTPKey is the master key and salt of one direction of an SRTP leg.
// It is secret: never log it or put it in an error.
type SRTPKey struct {
	Suite  string
	Master []byte // master key followed by master salt, as SDES carries it
	// Lifetime is how many packets (SRTP and SRTCP together) the key may
	// protect, from the a=crypto line (RFC 4568 §6.1); 0: SRTP's own
	// limit. Enforced on what the peer sends: past it every packet is
	// dropped until the peer keys the leg afresh (a re-INVITE).
	Lifetime uint64
}

// NewSRTPKey makes a fresh random key for suite; every leg of every call
// gets its own, so one leaked key opens one direction of one call.
func NewSRTPKey(suite string) (SRTPKey, error) {
	n := SRTPKeyLen(suite)
	if n == 0 {
		return SRTPKey{}, fmt.Errorf("media: SRTP suite %q not supported: %w", suite, errs.ErrInvalid)
	}
	k := SRTPKey{Suite: suite, Master: make([]byte, n)}
	if _, err := rand.Read(k.Master); err != nil {
		return SRTPKey{}, fmt.Errorf("media: SRTP key: %w", err)
	}
	return k, nil
}

func (k SRTPKey) equal(o SRTPKey) bool {
	return k.Suite == o.Suite && bytes.Equal(k.Master, o.Master)
}

// context makes the pion context for k, with replay protection on.
func (k SRTPKey) context() (*srtp.Context, error) {
	p, ok := profileOf(k.Suite)
	if !ok {
		return nil, fmt.Errorf("media: SRTP suite %q not supported: %w", k.Suite, errs.ErrInvalid)
	}
	kl, _ := p.KeyLen()
	if len(k.Master) != SRTPKeyLen(k.Suite) {
		return nil, fmt.Errorf("media: SRTP key for %s is %d bytes, want %d: %w", k.Suite, len(k.Master), SRTPKeyLen(k.Suite), errs.ErrInvalid)
	}
	c, err := srtp.CreateContext(k.Master[:kl], k.Master[kl:], p,
		srtp.SRTPReplayProtection(replayWindow), srtp.SRTCPReplayProtection(replayWindow))
	if err != nil {
		return nil, fmt.Errorf("media: SRTP context: %w", err)
	}
	return c, nil
}

// legSRTP is a leg's SRTP state: what decrypts the peer's packets and what
// encrypts the packets sent to it. It is replaced whole when keys change;
// a direction whose key stayed the same keeps its cipher (and with it the
// rollover counter and replay window).
type legSRTP struct {
	send, recv SRTPKey
	in, out    *cipherDir
}

// cipherDir is one direction's context and scratch space. pion's context
// is not safe for concurrent use, and the outbound one serves both the
// poller and WriteRTP, so each is used under mu. The buffers are the
// packet after decryption or encryption; an RTP and an RTCP buffer apart
// because the two sockets may be read at once (poller_other.go).
type cipherDir struct {
	mu      sync.Mutex
	ctx     *srtp.Context
	limit   uint64 // the key's lifetime in packets; 0: none of its own
	used    uint64 // packets authenticated under it
	rtpHdr  rtp.Header
	rtcpHdr rtcp.Header
	rtpBuf  [maxPacket + srtpOverhead]byte
	rtcpBuf [maxPacket + srtpOverhead]byte
}

func newCipherDir(k SRTPKey) (*cipherDir, error) {
	c, err := k.context()
	if err != nil {
		return nil, err
	}
	return &cipherDir{ctx: c, limit: k.Lifetime}, nil
}

// SetSRTP makes the leg speak SRTP with its peer: what the peer sends is
// decrypted with recv (its key, from its SDP) before anything else sees
// it, what goes to the peer is encrypted with send (ours, in the SDP we
// sent it). Taps, the other leg and the recorder only ever see plain RTP.
// Called again with a key unchanged (a re-INVITE that repeats it), that
// direction carries on; with a new one, it starts afresh.
func (l *Leg) SetSRTP(send, recv SRTPKey) error {
	old := l.srtp.Load()
	n := &legSRTP{send: send, recv: recv}
	var err error
	if old != nil && old.send.equal(send) {
		n.out = old.out
	} else if n.out, err = newCipherDir(send); err != nil {
		return err
	}
	if old != nil && old.recv.equal(recv) {
		n.in = old.in
	} else if n.in, err = newCipherDir(recv); err != nil {
		return err
	}
	l.srtp.Store(n)
	l.bridge.kernelWithdraw()
	return nil
}

// ClearSRTP makes the leg plain RTP again.
func (l *Leg) ClearSRTP() { l.srtp.Store(nil); l.bridge.kernelWithdraw() }

// SRTPSend is the key the leg encrypts with, for an SDP that repeats it;
// ok is false on a plain leg.
func (l *Leg) SRTPSend() (SRTPKey, bool) {
	if s := l.srtp.Load(); s != nil {
		return s.send, true
	}
	return SRTPKey{}, false
}

// SRTPRecv is the key the leg decrypts its peer's packets with, lifetime
// included; ok is false on a plain leg.
func (l *Leg) SRTPRecv() (SRTPKey, bool) {
	if s := l.srtp.Load(); s != nil {
		return s.recv, true
	}
	return SRTPKey{}, false
}

// decryptRTP returns the plain packet for pkt, which arrived on l's RTP
// socket; ok is false for a packet that fails authentication or replay.
// A plain leg returns pkt as it is.
func (l *Leg) decryptRTP(pkt []byte) ([]byte, dropReason) {
	s := l.srtp.Load()
	if s == nil {
		return pkt, dropNone
	}
	d := s.in
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.limit > 0 && d.used >= d.limit {
		return nil, dropKeyExpired
	}
	out, err := d.ctx.DecryptRTP(d.rtpBuf[:0], pkt, &d.rtpHdr)
	if err != nil {
		return nil, dropCrypto
	}
	l.spent(d)
	return out, dropNone
}

// spent counts a packet authenticated under d's key and says so, once,
// when that was the key's last. Called with d.mu held.
func (l *Leg) spent(d *cipherDir) {
	d.used++
	if d.limit > 0 && d.used == d.limit && l.relay != nil && l.relay.log != nil {
		l.relay.log.Warn("SRTP key lifetime spent: the phone's packets are dropped until it sends a new key", "leg", l.local.String(), "packets", d.limit)
	}
}

// decryptRTCP is decryptRTP for SRTCP.
func (l *Leg) decryptRTCP(pkt []byte) ([]byte, dropReason) {
	s := l.srtp.Load()
	if s == nil {
		return pkt, dropNone
	}
	d := s.in
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.limit > 0 && d.used >= d.limit {
		return nil, dropKeyExpired
	}
	out, err := d.ctx.DecryptRTCP(d.rtcpBuf[:0], pkt, &d.rtcpHdr)
	if err != nil || !validRTCP(out) {
		return nil, dropCrypto
	}
	l.spent(d)
	return out, dropNone
}

// sendRTP writes a plain RTP packet to l's peer, as the next packet of the
// one stream the peer sees, encrypted when the leg speaks SRTP. The locks
// cover the send as the buffers are shared.
func (l *Leg) sendRTP(pkt []byte) (dropReason, bool) {
	if len(pkt) >= 12 {
		l.out.mu.Lock()
		defer l.out.mu.Unlock()
		pkt = l.out.stamp(pkt) // one stream for the phone (out_stream.go)
	}
	s := l.srtp.Load()
	if s == nil {
		return send(&l.rtp, pkt)
	}
	d := s.out
	d.mu.Lock()
	defer d.mu.Unlock()
	enc, err := d.ctx.EncryptRTP(d.rtpBuf[:0], pkt, &d.rtpHdr)
	if err != nil {
		return dropCrypto, false
	}
	return send(&l.rtp, enc)
}

// sendRTCP is sendRTP for RTCP.
func (l *Leg) sendRTCP(pkt []byte) (dropReason, bool) {
	s := l.srtp.Load()
	if s == nil {
		return send(&l.rtcp, pkt)
	}
	d := s.out
	d.mu.Lock()
	defer d.mu.Unlock()
	enc, err := d.ctx.EncryptRTCP(d.rtcpBuf[:0], pkt, &d.rtcpHdr)
	if err != nil {
		return dropCrypto, false
	}
	return send(&l.rtcp, enc)
}
