package system_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/yimen/yimen/pbx/mix"
	"github.com/yimen/yimen/pbx/sdp"
	"github.com/yimen/yimen/tests/testpbx"
	"github.com/zaf/g711"
)

// SDES keys sent where anyone on the path can read them protect nothing:
// an offer carrying a=crypto (RTP/SAVP, or RTP/AVP with keys as "best
// effort" SRTP) over UDP is refused with 488 before a call is set up, and
// so is a plain offer from an extension that requires SRTP. Each refusal
// is a CDR with code 488.
func TestAttackSDESKeysOverUDPAreRefused(t *testing.T) {
	t.Parallel()
	p, _, _, _ := srtpPBX(t)
	const key = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
	for i, tc := range []struct {
		name, ext, media string
	}{
		{"RTP/SAVP with a key over UDP", "1002", "m=audio [media_port] RTP/SAVP 8\na=rtpmap:8 PCMA/8000\n" + key},
		{"RTP/AVP with a key over UDP", "1002", "m=audio [media_port] RTP/AVP 8\na=rtpmap:8 PCMA/8000\n" + key},
		{"a plain offer from an extension that requires SRTP", "1001", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := p.Call(t, tc.ext, "127.0.171.1", expectScenario(t, 488, tc.media), "1003", nil).Check(1); err != nil {
				t.Fatal(err)
			}
			if c := lastCDR(t, p, i+1); c.SIPCode != 488 || c.Caller != tc.ext || c.Talk != 0 {
				t.Errorf("CDR = %+v, want a 488 refusal of %s", c, tc.ext)
			}
		})
	}
	if n := p.Metric(t, "yimen_rtp_ports_in_use", nil); n != 0 {
		t.Errorf("%v relay ports taken by refused offers", n)
	}
}

// sdesPhone is an SRTP phone written for the attack test: SIP over TLS with
// sipgo, media with pion/srtp, keys the test holds. It sends a tone as
// PCMA and decodes what it receives.
type sdesPhone struct {
	t     *testing.T
	rtp   *net.UDPConn
	key   []byte // its SDES key (key and salt), in its offer
	enc   *srtp.Context
	ssrc  uint32
	seq   uint16
	mu    sync.Mutex
	heard []int16
}

func newSDESPhone(t *testing.T) *sdesPhone {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ph := &sdesPhone{t: t, rtp: conn, key: make([]byte, 30), ssrc: 0x5eed1234}
	rand.Read(ph.key)
	if ph.enc, err = srtp.CreateContext(ph.key[:16], ph.key[16:], srtp.ProtectionProfileAes128CmHmacSha1_80); err != nil {
		t.Fatal(err)
	}
	return ph
}

func (ph *sdesPhone) offer() []byte {
	port := ph.rtp.LocalAddr().(*net.UDPAddr).Port
	return fmt.Appendf(nil, "v=0\r\no=attack 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+
		"m=audio %d RTP/SAVP 8\r\na=rtpmap:8 PCMA/8000\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\na=sendrecv\r\n",
		port, base64.StdEncoding.EncodeToString(ph.key))
}

// tonePacket is the next 20 ms of a sine at hz as plain PCMA RTP.
func (ph *sdesPhone) tonePacket(hz float64) []byte {
	ph.seq++
	payload := make([]byte, 160)
	for i := range payload {
		n := float64(int(ph.seq)*160 + i)
		payload[i] = g711.EncodeAlawFrame(int16(12000 * math.Sin(2*math.Pi*hz*n/8000)))
	}
	pkt, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 8, SequenceNumber: ph.seq,
		Timestamp: uint32(ph.seq) * 160, SSRC: ph.ssrc}, Payload: payload}).Marshal()
	if err != nil {
		ph.t.Fatal(err)
	}
	return pkt
}

// listen decrypts what the relay sends with the key from its answer and
// keeps the decoded audio; it counts packets that do not decrypt.
func (ph *sdesPhone) listen(key []byte) (stop func() (failed int)) {
	dec, err := srtp.CreateContext(key[:16], key[16:], srtp.ProtectionProfileAes128CmHmacSha1_80)
	if err != nil {
		ph.t.Fatal(err)
	}
	done := make(chan int)
	go func() {
		failed := 0
		buf := make([]byte, 1500)
		for {
			n, err := ph.rtp.Read(buf)
			if err != nil {
				done <- failed
				return
			}
			var p rtp.Packet
			plain, err := dec.DecryptRTP(nil, buf[:n], nil)
			if err != nil || p.Unmarshal(plain) != nil {
				failed++
				continue
			}
			ph.mu.Lock()
			for _, b := range p.Payload {
				ph.heard = append(ph.heard, g711.DecodeAlawFrame(b))
			}
			ph.mu.Unlock()
		}
	}()
	return func() int {
		ph.rtp.SetReadDeadline(time.Now())
		return <-done
	}
}

// A phone talks SRTP with the PBX; during the call the same source sends
// copies of packets already played (replays) and packets of another tone
// sealed with a key it made up (forgeries) with the call's SSRC and the
// next sequence numbers, as someone on the path could. Strict source does
// not stop these: source, SSRC and sequence all look right. The relay's
// SRTP check does: each is dropped and counted, the callee hears the
// phone's tone and nothing of the forged one, and the phone's own packets
// keep flowing around them.
func TestAttackForgedAndReplayedSRTPAreDropped(t *testing.T) {
	requireBaresip(t)
	p, tlsAddr, _, pool := srtpPBX(t)
	const toneA, toneB, toneForged = 440, 1000, 2000
	callee := startBaresip(t, 35, toneB)
	if ev := callee.register(p, "1002"); ev.Type != "REGISTER_OK" {
		t.Fatalf("baresip 1002: %s %s", ev.Type, ev.Param)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	phone := newSDESPhone(t)
	sess, ans, relay := dialSDES(ctx, t, p, tlsAddr, pool, phone.offer())
	stopListening := phone.listen(ans.Crypto[0].Key)
	callee.awaitAll(20*time.Second, "CALL_ESTABLISHED")

	forger, err := srtp.CreateContext(make([]byte, 16), make([]byte, 14), srtp.ProtectionProfileAes128CmHmacSha1_80)
	if err != nil {
		t.Fatal(err)
	}
	var sent [][]byte
	replays, forgeries := 0, 0
	send := func(pkt []byte) {
		if _, err := phone.rtp.WriteToUDP(pkt, relay); err != nil {
			t.Fatal(err)
		}
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i := range 150 { // 3 s
		<-tick.C
		enc, err := phone.enc.EncryptRTP(nil, phone.tonePacket(toneA), nil)
		if err != nil {
			t.Fatal(err)
		}
		send(enc)
		sent = append(sent, enc)
		switch {
		case i >= 10 && i%10 == 3:
			send(sent[i-5]) // heard 100 ms ago
			replays++
		case i >= 10 && i%10 == 7:
			// The next sequence number, the call's SSRC, another tone,
			// sealed without the phone's key. The phone then sends that
			// number itself: a failed check must not spend it.
			forged, err := forger.EncryptRTP(nil, phone.tonePacket(toneForged), nil)
			if err != nil {
				t.Fatal(err)
			}
			phone.seq--
			send(forged)
			forgeries++
		}
	}
	if err := sess.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	callee.await(10*time.Second, "CALL_CLOSED")
	failed := stopListening()

	if got, want := p.Metric(t, "yimen_rtp_packets_dropped_total", map[string]string{"reason": "srtp"}), replays+forgeries; got != float64(want) {
		t.Errorf("relay dropped %v packets for SRTP, want the %d replays and %d forgeries exactly", got, replays, forgeries)
	}
	c := lastCDR(t, p, 1)
	// The last packets may still be on their way when the BYE ends the
	// call; none of the replays or forgeries may be among the accepted.
	if c.A.PacketsIn > uint64(len(sent)) || c.A.PacketsIn+5 < uint64(len(sent)) {
		t.Errorf("caller leg accepted %d packets, want the phone's own %d", c.A.PacketsIn, len(sent))
	}
	assertHears(t, "1002 hears the SRTP phone", callee, toneA, toneB, toneForged)
	phone.mu.Lock()
	heard := phone.heard
	phone.mu.Unlock()
	if failed != 0 || len(heard) < 8000 {
		t.Errorf("the SRTP phone got %d samples and %d packets it could not decrypt; want >= 1 s, none", len(heard), failed)
	}
	if got := mix.Power(heard, toneB); got < 0.5 {
		t.Errorf("the SRTP phone hears 1002's tone at power %.3f, want >= 0.5", got)
	}
	// Keys are never logged: neither the phone's nor the one the PBX made.
	log, err := os.ReadFile(filepath.Join(p.Dir, "pbx.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range [][]byte{phone.key, ans.Crypto[0].Key} {
		if b64 := base64.StdEncoding.EncodeToString(k); strings.Contains(string(log), b64[:16]) {
			t.Errorf("an SRTP key is in the PBX's log")
		}
	}
}

// dialSDES calls 1002 from 1001 over SIP-TLS at tlsAddr with offer (an
// SDES offer of an sdesPhone), as a phone written with sipgo: it
// authenticates, acknowledges the answer and returns the session, the
// PBX's answer (RTP/SAVP with the relay's key, checked) and the relay's
// media address.
func dialSDES(ctx context.Context, t *testing.T, p *testpbx.PBX, tlsAddr string, pool *x509.CertPool, offer []byte) (*sipgo.DialogClientSession, *sdp.Session, *net.UDPAddr) {
	t.Helper()
	tlsHost, tlsPortS, _ := net.SplitHostPort(tlsAddr)
	tlsPort, _ := strconv.Atoi(tlsPortS)
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("srtp-attack-test"), sipgo.WithUserAgentHostname("127.0.0.1"),
		sipgo.WithUserAgenTLSConfig(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	cli, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	tlsParam := sip.NewParams()
	tlsParam.Add("transport", "tls")
	dc := sipgo.NewDialogClientCache(cli, sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "1001", Host: "127.0.0.1", Port: 5061, UriParams: tlsParam}})
	sess, err := dc.Invite(ctx, sip.Uri{Scheme: "sip", User: "1002", Host: tlsHost, Port: tlsPort, UriParams: tlsParam},
		offer, sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{Username: "1001", Password: p.Secrets["1001"]}); err != nil {
		var dr *sipgo.ErrDialogResponse
		if errors.As(err, &dr) {
			t.Fatalf("SRTP call over TLS answered %d %s", dr.Res.StatusCode, dr.Res.Reason)
		}
		t.Fatal(err)
	}
	if err := sess.Ack(ctx); err != nil {
		t.Fatal(err)
	}
	ans, err := sdp.Parse(sess.InviteResponse.Body())
	if err != nil {
		t.Fatal(err)
	}
	if ans.Proto != sdp.ProtoSAVP || len(ans.Crypto) != 1 || ans.Crypto[0].Tag != 1 || len(ans.Crypto[0].Key) != 30 {
		t.Fatalf("answer: proto %s, crypto %d lines; want RTP/SAVP with one 30-byte key under tag 1", ans.Proto, len(ans.Crypto))
	}
	return sess, ans, &net.UDPAddr{IP: ans.Addr.AsSlice(), Port: ans.Port}
}

// A phone's SDES key may say how many packets it protects (RFC 4568 §6.1):
// this one offers a key good for 2^7 and sends 200 packets with it, as a
// phone that never rekeys, or someone holding an old key, would. The relay
// takes the first 128 and drops every later one as srtp_key_expired, with a
// log line; the call goes on, and a new key in a re-INVITE would take it up
// again (pbx/media).
func TestAttackSRTPKeyPastItsLifetimeIsDropped(t *testing.T) {
	requireBaresip(t)
	p, tlsAddr, _, pool := srtpPBX(t)
	callee := startBaresip(t, 36, 1000)
	if ev := callee.register(p, "1002"); ev.Type != "REGISTER_OK" {
		t.Fatalf("baresip 1002: %s %s", ev.Type, ev.Param)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	phone := newSDESPhone(t)
	key := base64.StdEncoding.EncodeToString(phone.key)
	offer := strings.Replace(string(phone.offer()), "inline:"+key, "inline:"+key+"|2^7", 1)
	sess, _, relay := dialSDES(ctx, t, p, tlsAddr, pool, []byte(offer))
	callee.awaitAll(20*time.Second, "CALL_ESTABLISHED")
	const sent, lifetime = 200, 1 << 7
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for range sent {
		<-tick.C
		enc, err := phone.enc.EncryptRTP(nil, phone.tonePacket(440), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := phone.rtp.WriteToUDP(enc, relay); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond) // the last packets reach the relay
	if got := p.Metric(t, "yimen_rtp_packets_dropped_total", map[string]string{"reason": "srtp_key_expired"}); got != sent-lifetime {
		t.Errorf("dropped %v packets as past the key's lifetime, want %d", got, sent-lifetime)
	}
	if err := sess.Bye(ctx); err != nil {
		t.Fatal(err)
	}
	callee.await(10*time.Second, "CALL_CLOSED")
	if c := lastCDR(t, p, 1); c.A.PacketsIn != lifetime {
		t.Errorf("the caller's leg took %d packets, want the key's %d", c.A.PacketsIn, lifetime)
	}
	log, _ := os.ReadFile(filepath.Join(p.Dir, "pbx.log"))
	if n := strings.Count(string(log), "SRTP key lifetime spent"); n != 1 {
		t.Errorf("%d log lines for the spent key, want 1", n)
	}
}
