package pbx

import (
	"crypto/tls"
	"fmt"
	"net"
)

// secureHTTP wraps the HTTP listener: with Security.Transport when one is
// given (TLCP, GB/T 38636, slots in there), else with TLS from http.tls_cert
// and http.tls_key, else not at all. On failure it closes ln.
func (s *Server) secureHTTP(ln net.Listener) (net.Listener, error) {
	if s.sec != nil && s.sec.Transport != nil {
		out, err := s.sec.Transport(ln)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("pbx: http transport: %w", err)
		}
		return out, nil
	}
	if s.cfg.HTTP.TLSCert == "" {
		return ln, nil
	}
	cert, err := tls.LoadX509KeyPair(s.cfg.HTTP.TLSCert, s.cfg.HTTP.TLSKey)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("pbx: http.tls_cert: %w", err)
	}
	return tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}), nil
}

// HTTPScheme is "https" when the HTTP API is served over TLS (or another
// secure transport), else "http".
func (s *Server) HTTPScheme() string {
	if (s.sec != nil && s.sec.Transport != nil) || s.cfg.HTTP.TLSCert != "" {
		return "https"
	}
	return "http"
}
