package httpx

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ListenConfig says where and how a server's HTTP API listens.
type ListenConfig struct {
	Addr            string
	TLSCert, TLSKey string // PEM files; empty: plain HTTP
	// Transport, when set, secures the listener instead of TLSCert: the
	// seam for a TLCP (GB/T 38636) implementation.
	Transport func(net.Listener) (net.Listener, error)
	// ReadHeaderTimeout, ReadTimeout and IdleTimeout bound slow clients;
	// zero takes the Default… constants.
	ReadHeaderTimeout, ReadTimeout, IdleTimeout time.Duration
}

// The listener's timeouts when ListenConfig leaves them zero.
const (
	DefaultReadHeaderTimeout = 10 * time.Second // request line and headers
	DefaultReadTimeout       = 30 * time.Second // the whole request with its body
	DefaultIdleTimeout       = 2 * time.Minute  // a kept-alive connection between requests
)

// ClearReadDeadline lifts the server's ReadTimeout from a request whose
// body has been read and whose answer may take longer (a recording
// download): once the deadline passed, net/http's watch for the client
// going away would fail and cancel the request's context.
func ClearReadDeadline(w http.ResponseWriter) {
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
}

// Server is one process's HTTP listener and its lifecycle.
type Server struct {
	ln     net.Listener
	http   *http.Server
	secure bool
}

// Listen binds cfg.Addr and secures it (Transport, else TLS, else nothing);
// Serve serves h on it.
func Listen(cfg ListenConfig, h http.Handler, log *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("http listen %s: %w", cfg.Addr, err)
	}
	// No WriteTimeout: it would cut the CTI websocket (which sets its own
	// deadlines once upgraded) and long recording downloads. ReadTimeout's
	// deadline outlives the request only for handlers that clear it
	// (ClearReadDeadline) when they stream.
	or := func(d, def time.Duration) time.Duration {
		if d > 0 {
			return d
		}
		return def
	}
	s := &Server{http: &http.Server{Handler: h, MaxHeaderBytes: 64 << 10,
		ReadHeaderTimeout: or(cfg.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		ReadTimeout:       or(cfg.ReadTimeout, DefaultReadTimeout),
		IdleTimeout:       or(cfg.IdleTimeout, DefaultIdleTimeout),
		ErrorLog:          slog.NewLogLogger(log.With("component", "http").Handler(), slog.LevelWarn)}}
	switch {
	case cfg.Transport != nil:
		if s.ln, err = cfg.Transport(ln); err != nil {
			ln.Close()
			return nil, fmt.Errorf("http transport: %w", err)
		}
		s.secure = true
	case cfg.TLSCert != "":
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("http.tls_cert: %w", err)
		}
		s.ln, s.secure = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}), true
	default:
		s.ln = ln
	}
	return s, nil
}

// Addr is the bound address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Scheme is "https" when the listener is secured, else "http".
func (s *Server) Scheme() string {
	if s.secure {
		return "https"
	}
	return "http"
}

// Serve serves until Shutdown or Close; it returns nil after either.
func (s *Server) Serve() error {
	if err := s.http.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting and waits up to 5 s for requests in flight.
func (s *Server) Shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.http.Shutdown(ctx)
}

// Close releases the listener of a server that was never served.
func (s *Server) Close() error { return s.ln.Close() }
