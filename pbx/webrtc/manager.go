package webrtc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	pion "github.com/pion/webrtc/v4"
	"github.com/yimen/yimen/internal/errs"
)

// CallEnder ends the PBX call one of whose dialogs is a session's SIP call;
// *b2bua.Manager does it (through pbx). agentGone says why: the reattach
// timeout (CDR cause agent_gone) rather than the agent closing the session.
type CallEnder interface {
	HangupLeg(legCallID string, agentGone bool) error
}

// Peer is a session as the relay sees it: where the RTP of the leg facing
// the session's socket goes (media.LocalPeer).
type Peer interface {
	WriteRTP(pkt []byte) error
}

// LocalPeers is the relay's table of addresses it hands RTP to directly;
// pbx adapts *media.Relay to it. A nil Peer removes an address.
type LocalPeers interface {
	SetLocalPeer(addr netip.AddrPort, p Peer)
}

// Observer hears what the CTI and the ACD must know of sessions. Its
// methods are called outside the manager's locks and must return quickly.
type Observer interface {
	// SessionState reports an agent's session connected, reattaching or closed.
	SessionState(tenant, agent, state string)
	// AgentGone reports an agent whose browser did not come back within
	// the reattach timeout: the agent goes not ready.
	AgentGone(tenant, agent string)
}

// openRequest is one webrtc.open.
type openRequest struct {
	Tenant, Agent string
	Ext           string // the agent's extension: calls to it ring the browser
	Owner         uint64 // the CTI connection that sent it; Detach(Owner) when it goes
	Offer         string // the browser's SDP offer, ICE gathering complete
}

// Manager holds the browser agents' sessions.
type Manager struct {
	cfg   Config
	log   *slog.Logger
	eng   *engine
	sip   *sipEndpoint
	ender CallEnder
	obs   Observer
	peers LocalPeers // nil: the relay's packets come by datagram

	mu      sync.Mutex
	byAgent map[string]*session // tenant/agent
	byExt   map[string]*session // tenant/ext
	byToken map[string]*session
	byLocal map[netip.AddrPort]*session // by the address of its relay-facing socket
	closed  bool
}

// New binds the ICE-lite port and the SIP endpoint; Run serves them.
func New(cfg Config, ender CallEnder, obs Observer, log *slog.Logger) (*Manager, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Manager{cfg: cfg, log: log, ender: ender, obs: obs,
		byAgent: map[string]*session{}, byExt: map[string]*session{}, byToken: map[string]*session{},
		byLocal: map[netip.AddrPort]*session{}}
	var err error
	if m.eng, err = newEngine(cfg); err != nil {
		return nil, err
	}
	if m.sip, err = newSIPEndpoint(m, cfg.LocalIP); err != nil {
		_ = m.eng.close()
		return nil, err
	}
	return m, nil
}

// ICEAddr is the UDP address every browser's media arrives on.
func (m *Manager) ICEAddr() netip.AddrPort {
	return m.eng.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// SetObserver installs what hears the sessions' states, before Run.
func (m *Manager) SetObserver(o Observer) { m.obs = o }

// SetLocalPeers lets the relay hand sessions their RTP directly, before Run.
func (m *Manager) SetLocalPeers(p LocalPeers) { m.peers = p }

// Run serves the SIP endpoint until ctx ends, then closes every session.
func (m *Manager) Run(ctx context.Context) {
	go m.sip.serve()
	<-ctx.Done()
	m.Shutdown()
}

// Shutdown ends every session and closes the sockets; Open fails afterwards.
func (m *Manager) Shutdown() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	all := make([]*session, 0, len(m.byAgent))
	for _, s := range m.byAgent {
		all = append(all, s)
	}
	m.mu.Unlock()
	for _, s := range all {
		m.end(s, false, "shutdown")
	}
	m.sip.close()
	_ = m.eng.close()
}

func key(tenant, id string) string { return tenant + "/" + id }

// openTimeout bounds building an answer (ICE-lite gathers its one host
// candidate at once; this only guards against a stuck peer).
const openTimeout = 5 * time.Second

// Open builds a peer connection for the agent's offer and returns the
// answer. The agent's extension rings the browser from now on. A session
// the agent already has keeps its place and its call: the new peer
// replaces the old one, and a call held for the browser resumes on it.
//
// ext is the agent's extension; owner names the CTI connection that asked
// (Detach(owner) when it goes); offer is the browser's SDP offer with ICE
// gathering complete.
func (m *Manager) Open(ctx context.Context, tenant, agent, ext string, owner uint64, offer string) (string, error) {
	r := openRequest{Tenant: tenant, Agent: agent, Ext: ext, Owner: owner, Offer: offer}
	if r.Tenant == "" || r.Agent == "" || r.Ext == "" {
		return "", fmt.Errorf("webrtc: tenant, agent and extension are required: %w", errs.ErrInvalid)
	}
	prefer := m.cfg.Codecs
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return "", fmt.Errorf("webrtc: shutting down: %w", errs.ErrUnavailable)
	}
	s := m.byAgent[key(r.Tenant, r.Agent)]
	if other := m.byExt[key(r.Tenant, r.Ext)]; other != nil && other != s {
		m.mu.Unlock()
		return "", fmt.Errorf("webrtc: extension %s already rings agent %s's browser: %w", r.Ext, other.agent, errs.ErrConflict)
	}
	m.mu.Unlock()
	if s != nil {
		s.mu.Lock()
		if s.call != nil {
			// The call in progress fixed the codec: the new peer must carry it.
			prefer = []string{s.codec.name}
		}
		s.mu.Unlock()
	}
	o, err := checkOffer(r.Offer, prefer)
	if err != nil {
		return "", err
	}
	codec := o.codec
	pc, tracks, answer, err := m.answer(ctx, o, r.Offer)
	if err != nil {
		return "", err
	}

	m.mu.Lock()
	s = m.byAgent[key(r.Tenant, r.Agent)]
	if s == nil {
		if s, err = m.newSessionLocked(r); err != nil {
			m.mu.Unlock()
			_ = pc.Close()
			return "", err
		}
	}
	m.mu.Unlock()

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = pc.Close()
		return "", fmt.Errorf("webrtc: the session closed while opening: %w", errs.ErrConflict)
	}
	old, was := s.pc, s.state
	s.pc, s.track, s.vtrack, s.codec, s.owner, s.state = pc, tracks.audio, tracks.video, codec, r.Owner, StateConnected
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.stopHoldLocked()
	s.refreshLocked()
	inCall := s.call != nil && s.call.answered
	s.mu.Unlock()
	m.watch(s, pc)
	if tracks.videoSender != nil {
		go s.readFeedback(tracks.videoSender)
	}
	if old != nil {
		go func() { _ = old.Close() }()
	}
	m.log.Info("webrtc session open", "tenant", r.Tenant, "agent", r.Agent, "ext", r.Ext, "codec", codec.name, "video", o.video,
		"replaced", old != nil, "was", was, "reattached_call", inCall && was == StateReattaching)
	m.notify(s, StateConnected)
	return answer, nil
}

// peerTracks are the tracks a new peer connection sends the browser.
type peerTracks struct {
	audio, video *outTrack // video nil without video
	videoSender  *pion.RTPSender
}

// answer builds a peer connection for offer and its complete answer.
func (m *Manager) answer(ctx context.Context, o offered, offer string) (*pion.PeerConnection, peerTracks, string, error) {
	var tr peerTracks
	pc, err := m.eng.newPeer(o.codec, o.video)
	if err != nil {
		return nil, tr, "", err
	}
	fail := func(err error) (*pion.PeerConnection, peerTracks, string, error) {
		_ = pc.Close()
		return nil, peerTracks{}, "", err
	}
	if err := pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeOffer, SDP: offer}); err != nil {
		return fail(errOffer("%v", err))
	}
	tr.audio = audioTrack(o.codec)
	if _, err := pc.AddTrack(tr.audio); err != nil {
		return fail(fmt.Errorf("webrtc: add track: %w", err))
	}
	if o.video {
		tr.video = videoTrack()
		if tr.videoSender, err = pc.AddTrack(tr.video); err != nil {
			return fail(fmt.Errorf("webrtc: add video track: %w", err))
		}
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		return fail(errOffer("no answer possible: %v", err))
	}
	gathered := pion.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		return fail(fmt.Errorf("webrtc: local description: %w", err))
	}
	ctx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	select {
	case <-gathered:
	case <-ctx.Done():
		return fail(fmt.Errorf("webrtc: ICE gathering: %w: %w", ctx.Err(), errs.ErrUnavailable))
	}
	return pc, tr, pc.LocalDescription().SDP, nil
}

// newSessionLocked creates the agent's session with its relay-facing
// socket. Called with m.mu held.
func (m *Manager) newSessionLocked(r openRequest) (*session, error) {
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(m.cfg.LocalIP, 0)))
	if err != nil {
		return nil, fmt.Errorf("webrtc: session socket: %w: %w", err, errs.ErrUnavailable)
	}
	var tok [12]byte
	_, _ = rand.Read(tok[:])
	s := &session{m: m, tenant: r.Tenant, agent: r.Agent, ext: r.Ext, token: "b" + hex.EncodeToString(tok[:]),
		rtp: conn, local: unmapped(conn.LocalAddr().(*net.UDPAddr).AddrPort()), state: StateClosed}
	s.vout.rs.step = videoStep
	s.refreshLocked()
	m.byAgent[key(r.Tenant, r.Agent)] = s
	m.byExt[key(r.Tenant, r.Ext)] = s
	m.byToken[s.token] = s
	m.byLocal[s.local] = s
	if m.peers != nil {
		m.peers.SetLocalPeer(s.local, s)
	}
	go s.readRelay()
	return s, nil
}

// watch hands pc's track to the session and treats pc's loss as the
// browser going away.
func (m *Manager) watch(s *session, pc *pion.PeerConnection) {
	pc.OnTrack(func(tr *pion.TrackRemote, _ *pion.RTPReceiver) { s.readBrowser(pc, tr) })
	pc.OnConnectionStateChange(func(st pion.PeerConnectionState) {
		switch st {
		case pion.PeerConnectionStateDisconnected, pion.PeerConnectionStateFailed, pion.PeerConnectionStateClosed:
			m.lose(s, pc, "media: "+st.String())
		}
	})
}

// Detach is told that a CTI connection ended: sessions it opened wait for
// their agent to open them again.
func (m *Manager) Detach(owner uint64) {
	m.mu.Lock()
	var mine []*session
	for _, s := range m.byAgent {
		mine = append(mine, s)
	}
	m.mu.Unlock()
	for _, s := range mine {
		s.mu.Lock()
		pc, ok := s.pc, s.owner == owner
		s.mu.Unlock()
		if ok {
			m.lose(s, pc, "cti connection closed")
		}
	}
}

// lose moves a session whose browser went away (its CTI connection or its
// media) to reattaching: an answered call's customer hears the hold tone,
// and the session ends if the agent does not open it again in time. Only
// the loss of the current peer counts.
func (m *Manager) lose(s *session, pc *pion.PeerConnection, why string) {
	s.mu.Lock()
	if s.closed || s.pc != pc || s.state != StateConnected {
		s.mu.Unlock()
		return
	}
	s.state = StateReattaching
	s.startHoldLocked()
	s.refreshLocked()
	s.timer = time.AfterFunc(m.cfg.ReattachTimeout, func() { m.expire(s, pc) })
	call := ""
	if s.call != nil {
		call = s.call.id
	}
	s.mu.Unlock()
	m.log.Warn("webrtc session lost; waiting for the agent to re-open it", "tenant", s.tenant, "agent", s.agent, "why", why,
		"call", call, "timeout", m.cfg.ReattachTimeout.String())
	m.notify(s, StateReattaching)
}

// expire ends a session whose browser did not come back: its call ends
// (agent_gone) and the agent goes not ready.
func (m *Manager) expire(s *session, pc *pion.PeerConnection) {
	s.mu.Lock()
	stale := s.closed || s.pc != pc || s.state != StateReattaching
	s.mu.Unlock()
	if stale {
		return
	}
	m.log.Warn("webrtc session not re-opened in time: call ended, agent set not ready", "tenant", s.tenant, "agent", s.agent,
		"timeout", m.cfg.ReattachTimeout.String())
	m.end(s, true, "reattach timeout")
	if m.obs != nil {
		m.obs.AgentGone(s.tenant, s.agent)
	}
}

// Close ends the agent's session (webrtc.close, logout): the desk phone,
// if any, is the agent's device again; a call on the browser is hung up.
func (m *Manager) Close(tenant, agent string) error {
	m.mu.Lock()
	s := m.byAgent[key(tenant, agent)]
	m.mu.Unlock()
	if s == nil {
		return fmt.Errorf("webrtc: agent %s has no browser session: %w", agent, errs.ErrNotFound)
	}
	m.end(s, false, "closed")
	return nil
}

// end closes s and forgets it; its call, if any, ends.
func (m *Manager) end(s *session, agentGone bool, why string) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.state = StateClosed
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.stopHoldLocked()
	call, pc := s.call, s.pc
	s.call = nil
	s.refreshLocked()
	s.mu.Unlock()

	m.mu.Lock()
	if m.byAgent[key(s.tenant, s.agent)] == s {
		delete(m.byAgent, key(s.tenant, s.agent))
	}
	if m.byExt[key(s.tenant, s.ext)] == s {
		delete(m.byExt, key(s.tenant, s.ext))
	}
	delete(m.byToken, s.token)
	if m.byLocal[s.local] == s {
		delete(m.byLocal, s.local)
	}
	m.mu.Unlock()
	if m.peers != nil {
		m.peers.SetLocalPeer(s.local, nil)
	}

	if call != nil {
		if call.answered {
			if err := m.ender.HangupLeg(call.id, agentGone); err != nil {
				m.log.Warn("webrtc: ending the browser's call", "agent", s.agent, "call", call.id, "err", err)
			}
		} else {
			m.sip.respond(call, 480, "Temporarily Unavailable", nil)
		}
	}
	if pc != nil {
		_ = pc.Close()
	}
	_ = s.rtp.Close()
	m.log.Info("webrtc session closed", "tenant", s.tenant, "agent", s.agent, "why", why, "had_call", call != nil)
	m.notify(s, StateClosed)
}

func (m *Manager) notify(s *session, state string) {
	if m.obs != nil {
		m.obs.SessionState(s.tenant, s.agent, state)
	}
}

// Device is where calls to ext go while its agent has a browser session:
// the session's SIP contact, reached at the gateway's SIP address. A
// session that is reattaching still counts, so nobody else's call is put
// through to a desk phone the agent left.
func (m *Manager) Device(tenant, ext string) (contact string, dest netip.AddrPort, ok bool) {
	m.mu.Lock()
	s := m.byExt[key(tenant, ext)]
	m.mu.Unlock()
	if s == nil {
		return "", netip.AddrPort{}, false
	}
	return m.sip.contact(s.token), m.sip.addr, true
}

// Attached reports whether agent's device is a browser right now.
func (m *Manager) Attached(tenant, agent string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.byAgent[key(tenant, agent)] != nil
}

// autoAnswerWindow is how long an AutoAnswer holds.
const autoAnswerWindow = 10 * time.Second

// AutoAnswer makes the next call to ext's browser, within a few seconds,
// connect at once: a call the agent placed (call.dial) or a supervisor's
// monitor leg, where a desk phone would be picked up by hand.
func (m *Manager) AutoAnswer(tenant, ext string) bool {
	m.mu.Lock()
	s := m.byExt[key(tenant, ext)]
	m.mu.Unlock()
	if s == nil {
		return false
	}
	s.mu.Lock()
	s.autoAnswer = time.Now().Add(autoAnswerWindow)
	s.mu.Unlock()
	return true
}

// Stats are a session's packet counts, for tests and the benchmark.
type Stats struct {
	State                  string
	ToBrowser, FromBrowser uint64
	// Video: packets of the other end's video written to this browser, and
	// of this browser's video passed to the other end.
	VideoToBrowser, VideoFromBrowser uint64
}

// SessionStats returns agent's session's counts; false without a session.
func (m *Manager) SessionStats(tenant, agent string) (Stats, bool) {
	m.mu.Lock()
	s := m.byAgent[key(tenant, agent)]
	m.mu.Unlock()
	if s == nil {
		return Stats{}, false
	}
	s.mu.Lock()
	st := s.state
	s.mu.Unlock()
	return Stats{State: st, ToBrowser: s.toBrowser.Load(), FromBrowser: s.fromBrowser.Load(),
		VideoToBrowser: s.videoToBrowser.Load(), VideoFromBrowser: s.videoFromBrowser.Load()}, true
}

func (m *Manager) sessionByToken(tok string) *session {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.byToken[tok]
}
