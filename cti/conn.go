package cti

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/errs"
)

// closeGrace is how long the hub waits for a client to answer its close
// frame before dropping the TCP connection.
const closeGrace = 2 * time.Second

// conn is one client connection: a reader goroutine that runs commands and
// a writer goroutine that alone writes frames. Between them and the hub
// sits an outbox that never blocks the publisher.
type conn struct {
	hub     *Hub
	id      uint64 // unique in the hub: the owner of the browser sessions it opens
	ws      *websocket.Conn
	remote  string
	limiter *rate.Limiter

	p     Principal
	token string     // the credential p came from, authenticated again every Recheck
	t     *tenantHub // set once authenticated

	// Guarded by t.mu.
	subs       subscription
	subscribed bool

	mu    sync.Mutex // guards queue and dead, and p while it is being set
	queue [][]byte   // websocket frames, written by the writer in batches
	dead  bool
	wake  chan struct{}

	once       sync.Once
	done       chan struct{}
	closeCode  int    // 0: send no close frame
	closeText  string // why the hub ended the connection
	drain      bool   // write what is queued before closing
	readerDone chan struct{}
}

type subscription struct {
	all    bool
	agents map[string]bool
	queues map[string]bool
}

func (s *subscription) match(f frame) bool {
	if s.all {
		return true
	}
	for _, a := range f.agents {
		if s.agents[a] {
			return true
		}
	}
	for _, q := range f.queues {
		if s.queues[q] {
			return true
		}
	}
	return false
}

func (s *subscription) topics() []string {
	var out []string
	if s.all {
		out = append(out, string(protocol.TopicTenant))
	}
	for a := range s.agents {
		out = append(out, protocol.AgentTopic(a))
	}
	for q := range s.queues {
		out = append(out, protocol.QueueTopic(q))
	}
	sortStrings(out)
	return out
}

// ServeHTTP upgrades the request to a CTI websocket. A token may come in
// the Authorization header ("Bearer …"); browsers, which cannot set it,
// send an auth message first instead.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var p *Principal
	tok, hasTok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if hasTok {
		pr, err := h.authenticate(r.Context(), tok)
		if err != nil {
			h.log.Info("cti: connection refused", "remote", remoteIP(r), "err", err)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		p = &pr
	}
	ws, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	c := &conn{hub: h, id: h.connIDs.Add(1), ws: ws, remote: remoteIP(r), token: tok, wake: make(chan struct{}, 1), done: make(chan struct{}),
		readerDone: make(chan struct{}), limiter: rate.NewLimiter(rate.Limit(h.cfg.RatePerSecond), h.cfg.RateBurst)}
	if !h.admit(c) {
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"),
			time.Now().Add(time.Second))
		ws.Close()
		return
	}
	go c.run(p)
}

func (h *Hub) authenticate(ctx context.Context, token string) (Principal, error) {
	p, err := h.deps.Auth.Authenticate(ctx, token)
	if err == nil {
		err = validPrincipal(p)
	}
	return p, err
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (c *conn) run(p *Principal) {
	defer c.hub.forget(c)
	if b := c.hub.deps.Browser; b != nil {
		// A page reload or a network change ends the connection first: the
		// agent's call waits on hold for the next webrtc.open.
		defer b.Detach(c.id)
	}
	c.ws.SetReadLimit(c.hub.cfg.MaxMessageBytes)
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.writeLoop()
	}()
	defer func() {
		close(c.readerDone)
		<-writerDone
	}()
	if p == nil {
		if p = c.awaitAuth(); p == nil {
			return
		}
	}
	c.setPrincipal(*p, c.token)
	c.t = c.hub.tenant(p.Tenant)
	c.t.mu.Lock()
	c.t.clients[c] = struct{}{}
	hello := protocol.Hello{Epoch: c.hub.cfg.Epoch, Tenant: p.Tenant, Agent: p.Agent, Roles: p.Roles, Seq: c.t.seq,
		ReplayWindow: c.hub.cfg.ReplayWindow, MaxMessageBytes: c.hub.cfg.MaxMessageBytes, RatePerSecond: c.hub.cfg.RatePerSecond}
	if hello.Roles == nil {
		hello.Roles = []string{}
	}
	c.reply(protocol.TypeHello, "", hello)
	c.t.mu.Unlock()
	defer func() {
		c.t.mu.Lock()
		delete(c.t.clients, c)
		c.t.mu.Unlock()
	}()
	c.readLoop()
}

// setPrincipal records who the connection is; cut may read it from the
// hub's goroutines meanwhile.
func (c *conn) setPrincipal(p Principal, token string) {
	c.mu.Lock()
	c.p, c.token = p, token
	c.mu.Unlock()
}

// awaitAuth reads the auth message that must come first when the upgrade
// carried no token.
func (c *conn) awaitAuth() *Principal {
	_ = c.ws.SetReadDeadline(time.Now().Add(c.hub.cfg.AuthTimeout))
	_, raw, err := c.ws.ReadMessage()
	if err != nil {
		c.cut(protocol.CloseUnauthorized, "authenticate first", false)
		return nil
	}
	env, v, perr := protocol.ParseCommand(raw)
	if perr == nil && env.Type != protocol.CmdAuth {
		perr = &protocol.Error{Code: protocol.CodeUnauthorized, Message: "authenticate first: send auth with a token"}
	}
	if perr != nil {
		c.replyError(env.ID, perr)
		c.cut(protocol.CloseUnauthorized, "authenticate first", true)
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.hub.cfg.CommandTimeout)
	defer cancel()
	p, err := c.hub.authenticate(ctx, v.(*protocol.Auth).Token)
	if err != nil {
		c.hub.log.Info("cti: authentication failed", "remote", c.remote, "err", err)
		c.replyError(env.ID, &protocol.Error{Code: protocol.CodeUnauthorized, Message: "unknown or expired token"})
		c.cut(protocol.CloseUnauthorized, "unauthorized", true)
		return nil
	}
	c.setPrincipal(p, v.(*protocol.Auth).Token)
	c.reply(protocol.TypeOK, env.ID, nil)
	return &p
}

func (c *conn) readLoop() {
	idle := 2 * c.hub.cfg.PingInterval
	_ = c.ws.SetReadDeadline(time.Now().Add(idle))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(idle)) })
	for {
		_, raw, err := c.ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			switch {
			case errors.As(err, &ce):
				c.cut(0, fmt.Sprintf("closed by client (%d)", ce.Code), false)
			case errors.Is(err, websocket.ErrReadLimit):
				// gorilla has sent 1009 already.
				c.cut(0, "message too large", false)
			default:
				c.cut(0, "read: "+err.Error(), false)
			}
			return
		}
		_ = c.ws.SetReadDeadline(time.Now().Add(idle))
		c.handle(raw)
	}
}

// handle runs one client message and replies to it.
func (c *conn) handle(raw []byte) {
	env, v, perr := protocol.ParseCommand(raw)
	if !c.limiter.Allow() {
		c.replyError(env.ID, &protocol.Error{Code: protocol.CodeRateLimited,
			Message: fmt.Sprintf("more than %g messages a second; this one was dropped", c.hub.cfg.RatePerSecond)})
		return
	}
	if perr != nil {
		c.replyError(env.ID, perr)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.hub.cfg.CommandTimeout)
	defer cancel()
	data, err := c.exec(ctx, env, v)
	var cut *cutAfterReply
	switch {
	case errors.As(err, &cut):
		c.replyError(env.ID, cut.reply)
		c.cut(protocol.CloseUnauthorized, cut.reason, true)
	case errors.Is(err, errReplied):
	case err != nil:
		c.replyError(env.ID, c.toProtocolError(env.Type, err))
	default:
		c.reply(protocol.TypeOK, env.ID, data)
	}
}

// reply queues a reply (never dropped for being over the queue limit
// unless the client is genuinely not reading).
func (c *conn) reply(typ, id string, data any) {
	env := protocol.Envelope{V: protocol.Version, Type: typ, ID: id, TS: protocol.Timestamp(c.hub.deps.Now()), Tenant: c.p.Tenant}
	if data != nil {
		raw, err := json.Marshal(data)
		if err != nil {
			c.hub.log.Error("cti: encode reply", "type", typ, "err", err)
			return
		}
		env.Data = raw
	}
	raw, err := json.Marshal(env)
	if err != nil {
		c.hub.log.Error("cti: encode reply", "type", typ, "err", err)
		return
	}
	c.push(textFrame(raw), true)
}

func (c *conn) replyError(id string, e *protocol.Error) { c.reply(protocol.TypeError, id, e) }

// push queues a frame for the writer. A live frame (an event or a reply)
// finding the queue full cuts the connection off: it is not keeping up and
// the hub will not wait for it. Replayed frames are bounded by the replay
// window, so they are let past the limit.
func (c *conn) push(wire []byte, live bool) bool {
	c.mu.Lock()
	if c.dead {
		c.mu.Unlock()
		return false
	}
	if live && len(c.queue) >= c.hub.cfg.SendQueue {
		c.mu.Unlock()
		c.cut(protocol.CloseSlowConsumer, fmt.Sprintf("slow consumer: %d messages not read", c.hub.cfg.SendQueue), false)
		return false
	}
	c.queue = append(c.queue, wire)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return true
}

// take hands the writer everything queued, recycling its previous batch.
func (c *conn) take(spare [][]byte) [][]byte {
	clear(spare)
	c.mu.Lock()
	out := c.queue
	c.queue = spare[:0]
	c.mu.Unlock()
	return out
}

// cut ends the connection once: code 0 sends no close frame (the peer is
// gone or has closed), drain writes what is queued first (an error reply
// explaining the close).
func (c *conn) cut(code int, reason string, drain bool) {
	c.once.Do(func() {
		c.mu.Lock()
		c.dead = true
		p := c.p
		c.mu.Unlock()
		c.closeCode, c.closeText, c.drain = code, reason, drain
		switch code {
		case protocol.CloseSlowConsumer, protocol.CloseUnauthorized:
			c.hub.cuts.Add(1)
			c.hub.log.Warn("cti: connection cut", "remote", c.remote, "tenant", p.Tenant, "agent", p.Agent, "reason", reason)
		}
		close(c.done)
	})
}

// recheck authenticates the connection's credential again: revoked,
// expired, or now naming someone else (roles, agent, tenant changed), the
// connection is cut. A lookup that fails for another reason (the database
// is busy) leaves it be until the next check.
func (c *conn) recheck() {
	ctx, cancel := context.WithTimeout(context.Background(), c.hub.cfg.CommandTimeout)
	defer cancel()
	c.mu.Lock()
	was, tok := c.p, c.token
	c.mu.Unlock()
	if was.Tenant == "" {
		return // not authenticated yet
	}
	p, err := c.hub.authenticate(ctx, tok)
	switch {
	case errors.Is(err, errs.ErrForbidden):
		c.cut(protocol.CloseUnauthorized, "credential revoked or expired", false)
	case err != nil:
		c.hub.log.Warn("cti: credential recheck failed", "remote", c.remote, "tenant", was.Tenant, "err", err)
	case !p.sameRights(was):
		c.cut(protocol.CloseUnauthorized, "credential's rights changed: connect again", false)
	}
}

func (c *conn) writeLoop() {
	ping := time.NewTicker(c.hub.cfg.PingInterval)
	defer ping.Stop()
	recheck := time.NewTicker(c.hub.cfg.Recheck)
	defer recheck.Stop()
	var batch [][]byte
	var bufs net.Buffers
	for {
		select {
		case <-c.done:
			c.finish(nil)
			return
		case <-recheck.C:
			go c.recheck()
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.hub.cfg.WriteTimeout)); err != nil {
				c.cut(0, "ping: "+err.Error(), false)
			}
		case <-c.wake:
			batch = c.take(batch)
			select {
			case <-c.done:
				c.finish(batch)
				return
			default:
			}
			bufs = c.write(bufs, batch)
		}
	}
}

// write sends frames in one writev: under a burst of events the frames
// queued meanwhile go out together, one system call for all of them.
// Frames bypass gorilla's writer (whose every message is a write of its
// own); a control frame gorilla sends from the reader (pong, close reply)
// is one write of its own as well, and the kernel never interleaves two
// writes on a socket, so the stream stays well-formed.
func (c *conn) write(bufs net.Buffers, frames [][]byte) net.Buffers {
	if len(frames) == 0 {
		return bufs
	}
	bufs = append(bufs[:0], frames...)
	nc := c.ws.NetConn()
	_ = nc.SetWriteDeadline(time.Now().Add(c.hub.cfg.WriteTimeout))
	all := bufs
	if _, err := all.WriteTo(nc); err != nil {
		c.cut(0, "write: "+err.Error(), false)
	}
	clear(bufs[:cap(bufs)])
	return bufs[:0]
}

// finish sends the close frame with the reason, waits a moment for the
// client to answer it, and drops the connection. With drain, what was
// queued (unsent is the rest of the writer's batch) is written first.
func (c *conn) finish(unsent [][]byte) {
	if c.drain {
		c.mu.Lock()
		rest := append(unsent, c.queue...)
		c.queue = nil
		c.mu.Unlock()
		c.write(nil, rest)
	}
	if c.closeCode != 0 {
		_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(c.closeCode, c.closeText),
			time.Now().Add(time.Second))
		select {
		case <-c.readerDone:
		case <-time.After(closeGrace):
		}
	}
	c.ws.Close()
}
