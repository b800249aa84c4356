package webrtc

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	pion "github.com/pion/webrtc/v4"
	"github.com/yimen/yimen/internal/errs"
)

// engine builds peer connections that share one UDP port (ICE-lite over a
// mux keyed by ICE username) and one DTLS certificate.
type engine struct {
	conn     *net.UDPConn
	mux      ice.UDPMux
	settings pion.SettingEngine

	mu   sync.Mutex
	cert pion.Certificate
}

// certLifetime is how long the process's DTLS certificate is valid; it is
// replaced a day before it runs out (browsers pin the fingerprint for one
// session only, so a new one affects sessions opened after it).
const certLifetime = 365 * 24 * time.Hour

func newEngine(cfg Config) (*engine, error) {
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(cfg.UDP))
	if err != nil {
		return nil, fmt.Errorf("webrtc: listen %s: %w: %w", cfg.UDP, err, errs.ErrUnavailable)
	}
	_ = conn.SetReadBuffer(4 << 20)
	_ = conn.SetWriteBuffer(4 << 20)
	e := &engine{conn: conn, mux: pion.NewICEUDPMux(nil, conn)}
	s := &e.settings
	s.SetLite(true)
	s.SetICEUDPMux(e.mux)
	if cfg.UDP.Addr().Is4() {
		s.SetNetworkTypes([]pion.NetworkType{pion.NetworkTypeUDP4})
	} else {
		s.SetNetworkTypes([]pion.NetworkType{pion.NetworkTypeUDP6})
	}
	s.SetIncludeLoopbackCandidate(cfg.UDP.Addr().IsLoopback())
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	// A browser checks consent every few seconds; with none for 4 s the
	// session counts as gone (the customer is held), 10 s closes ICE.
	s.SetICETimeouts(4*time.Second, 10*time.Second, 2*time.Second)
	if cfg.PublicIP.IsValid() {
		if err := s.SetICEAddressRewriteRules(pion.ICEAddressRewriteRule{
			External: []string{cfg.PublicIP.String()}, AsCandidateType: pion.ICECandidateTypeHost, Mode: pion.ICEAddressRewriteReplace,
		}); err != nil {
			_ = e.close()
			return nil, fmt.Errorf("webrtc: public address %s: %w: %w", cfg.PublicIP, err, errs.ErrInvalid)
		}
	}
	if e.cert, err = newCertificate(); err != nil {
		_ = e.close()
		return nil, err
	}
	return e, nil
}

// newCertificate is the process's DTLS identity: ECDSA P-256, which every
// browser accepts.
func newCertificate() (pion.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return pion.Certificate{}, fmt.Errorf("webrtc: certificate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return pion.Certificate{}, fmt.Errorf("webrtc: certificate serial: %w", err)
	}
	now := time.Now()
	c, err := pion.NewCertificate(key, x509.Certificate{
		SerialNumber: serial, Version: 2,
		Subject: pkix.Name{CommonName: "yimen"}, Issuer: pkix.Name{CommonName: "yimen"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(certLifetime),
	})
	if err != nil {
		return pion.Certificate{}, fmt.Errorf("webrtc: certificate: %w", err)
	}
	return *c, nil
}

// certificate is the one DTLS certificate, renewed near its end.
func (e *engine) certificate() (pion.Certificate, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if time.Until(e.cert.Expires()) < 24*time.Hour {
		c, err := newCertificate()
		if err != nil {
			return pion.Certificate{}, err
		}
		e.cert = c
	}
	return e.cert, nil
}

// newPeer is a peer connection that can carry codec c and nothing else
// (and VP8 video when the browser offered video): the browser's answer
// then offers it no other codec to send.
func (e *engine) newPeer(c g711, video bool) (*pion.PeerConnection, error) {
	cert, err := e.certificate()
	if err != nil {
		return nil, err
	}
	var me pion.MediaEngine
	if err := me.RegisterCodec(c.parameters(), pion.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("webrtc: codec %s: %w", c.name, err)
	}
	if video {
		if err := me.RegisterCodec(vp8, pion.RTPCodecTypeVideo); err != nil {
			return nil, fmt.Errorf("webrtc: codec VP8: %w", err)
		}
	}
	api := pion.NewAPI(pion.WithMediaEngine(&me), pion.WithSettingEngine(e.settings))
	pc, err := api.NewPeerConnection(pion.Configuration{
		Certificates:  []pion.Certificate{cert},
		BundlePolicy:  pion.BundlePolicyMaxBundle,
		RTCPMuxPolicy: pion.RTCPMuxPolicyRequire,
	})
	if err != nil {
		return nil, fmt.Errorf("webrtc: peer connection: %w", err)
	}
	return pc, nil
}

func (e *engine) close() error {
	if e.mux != nil {
		_ = e.mux.Close()
	}
	return e.conn.Close()
}
