package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/yimen/yimen/cti/protocol"
)

// Options configure Dial.
type Options struct {
	Token string
	// AuthMessage sends the token in an auth message after the upgrade, as
	// a browser must, instead of the Authorization header.
	AuthMessage bool
	// EventBuffer is how many events wait for the reader of Events (1024).
	// When it is full the client stops reading the socket, and a hub that
	// finds the client too slow cuts it off.
	EventBuffer int
	Header      http.Header
	Dialer      *websocket.Dialer
}

// ErrClosed is returned by commands sent after the connection ended.
var ErrClosed = errors.New("cti client: connection closed")

// Client is one CTI connection.
type Client struct {
	ws      *websocket.Conn
	hello   protocol.Hello
	events  chan protocol.Envelope
	wmu     sync.Mutex // one writer at a time
	mu      sync.Mutex // guards pending and err
	pending map[string]chan protocol.Envelope
	err     error
	nextID  atomic.Uint64
	lastSeq atomic.Uint64
	closing chan struct{}
	once    sync.Once
	done    chan struct{}
}

// Dial connects to the hub at url (ws:// or wss://), authenticates and
// reads the hello.
func Dial(ctx context.Context, url string, opts Options) (*Client, error) {
	d := opts.Dialer
	if d == nil {
		d = &websocket.Dialer{HandshakeTimeout: 10 * time.Second, Proxy: http.ProxyFromEnvironment}
	}
	h := http.Header{}
	for k, v := range opts.Header {
		h[k] = v
	}
	if opts.Token != "" && !opts.AuthMessage {
		h.Set("Authorization", "Bearer "+opts.Token)
	}
	ws, resp, err := d.DialContext(ctx, url, h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("cti client: dial %s: %s: %w", url, resp.Status, err)
		}
		return nil, fmt.Errorf("cti client: dial %s: %w", url, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = ws.SetReadDeadline(dl)
	}
	if opts.AuthMessage {
		if err := writeJSON(ws, protocol.Envelope{V: protocol.Version, Type: protocol.CmdAuth, ID: "auth"}, protocol.Auth{Token: opts.Token}); err != nil {
			ws.Close()
			return nil, err
		}
		env, err := readEnvelope(ws)
		if err != nil {
			ws.Close()
			return nil, err
		}
		if env.Type == protocol.TypeError {
			ws.Close()
			return nil, replyError(env)
		}
	}
	env, err := readEnvelope(ws)
	if err != nil {
		ws.Close()
		return nil, err
	}
	if env.Type != protocol.TypeHello {
		ws.Close()
		if env.Type == protocol.TypeError {
			return nil, replyError(env)
		}
		return nil, fmt.Errorf("cti client: expected hello, got %s", env.Type)
	}
	c := &Client{ws: ws, pending: map[string]chan protocol.Envelope{}, closing: make(chan struct{}), done: make(chan struct{})}
	if err := env.Decode(&c.hello); err != nil {
		ws.Close()
		return nil, err
	}
	_ = ws.SetReadDeadline(time.Time{})
	n := opts.EventBuffer
	if n <= 0 {
		n = 1024
	}
	c.events = make(chan protocol.Envelope, n)
	go c.readLoop()
	return c, nil
}

func readEnvelope(ws *websocket.Conn) (protocol.Envelope, error) {
	_, raw, err := ws.ReadMessage()
	if err != nil {
		return protocol.Envelope{}, fmt.Errorf("cti client: %w", err)
	}
	return protocol.DecodeMessage(raw)
}

func writeJSON(ws *websocket.Conn, env protocol.Envelope, data any) error {
	if data != nil {
		raw, err := json.Marshal(data)
		if err != nil {
			return fmt.Errorf("cti client: encode %s: %w", env.Type, err)
		}
		env.Data = raw
	}
	raw, err := json.Marshal(env)
	if err != nil {
		return fmt.Errorf("cti client: encode %s: %w", env.Type, err)
	}
	if err := ws.WriteMessage(websocket.TextMessage, raw); err != nil {
		return fmt.Errorf("cti client: send %s: %w", env.Type, err)
	}
	return nil
}

func replyError(env protocol.Envelope) error {
	var e protocol.Error
	if err := env.Decode(&e); err != nil || e.Code == "" {
		return &protocol.Error{Code: protocol.CodeInternal, Message: "malformed error reply"}
	}
	return &e
}

// Hello is what the hub said when the connection opened.
func (c *Client) Hello() protocol.Hello { return c.hello }

// Events delivers events in the order the hub sent them (and error replies
// that answer no request); it is closed when the connection ends.
func (c *Client) Events() <-chan protocol.Envelope { return c.events }

// Done is closed when the connection has ended; Err then says why.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is why the connection ended: a *websocket.CloseError carries the
// hub's close code and reason (e.g. protocol.CloseSlowConsumer).
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// LastSeq is the seq of the last event put on Events (read or not); a
// consumer that resumes after handling only some of them should remember
// the seq of the last one it handled instead.
func (c *Client) LastSeq() uint64 { return c.lastSeq.Load() }

// Close ends the connection politely.
func (c *Client) Close() error {
	c.once.Do(func() { close(c.closing) })
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.wmu.Unlock()
	select {
	case <-c.done:
	case <-time.After(2 * time.Second):
	}
	return c.ws.Close()
}

func (c *Client) readLoop() {
	defer close(c.done)
	defer close(c.events)
	for {
		_, raw, err := c.ws.ReadMessage()
		if err != nil {
			c.fail(err)
			return
		}
		env, err := protocol.DecodeMessage(raw)
		if err != nil {
			continue // not ours to understand; the hub never sends it
		}
		if env.Type == protocol.TypeOK || env.Type == protocol.TypeError {
			c.mu.Lock()
			ch := c.pending[env.ID]
			delete(c.pending, env.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- env
				continue
			}
		}
		// LastSeq moves before the hand-over, so a consumer that has an
		// event never sees an older LastSeq; it moves back if the event is
		// never handed over.
		prev := c.lastSeq.Load()
		if env.Seq > 0 {
			c.lastSeq.Store(env.Seq)
		}
		select {
		case c.events <- env:
		case <-c.closing:
			c.lastSeq.Store(prev)
			c.fail(ErrClosed)
			return
		}
	}
}

func (c *Client) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
	}
	for id, ch := range c.pending {
		close(ch)
		delete(c.pending, id)
	}
}

// Do sends a command and waits for its reply; the ok data is decoded into
// out (if not nil). An error reply is returned as a *protocol.Error.
func (c *Client) Do(ctx context.Context, typ string, data, out any) error {
	id := "r" + strconv.FormatUint(c.nextID.Add(1), 10)
	ch := make(chan protocol.Envelope, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return fmt.Errorf("%w: %v", ErrClosed, err)
	}
	c.pending[id] = ch
	c.mu.Unlock()
	c.wmu.Lock()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.ws.SetWriteDeadline(dl)
	} else {
		_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	}
	err := writeJSON(c.ws, protocol.Envelope{V: protocol.Version, Type: typ, ID: id}, data)
	c.wmu.Unlock()
	if err != nil {
		c.forget(id)
		return err
	}
	select {
	case env, ok := <-ch:
		if !ok {
			return fmt.Errorf("%w: %v", ErrClosed, c.Err())
		}
		if env.Type == protocol.TypeError {
			return replyError(env)
		}
		if out != nil {
			return env.Decode(out)
		}
		return nil
	case <-ctx.Done():
		c.forget(id)
		return ctx.Err()
	}
}

func (c *Client) forget(id string) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

// Subscribe follows topics from now on.
func (c *Client) Subscribe(ctx context.Context, topics ...string) (protocol.Subscribed, error) {
	var out protocol.Subscribed
	err := c.Do(ctx, protocol.CmdSubscribe, protocol.Subscribe{Topics: topics}, &out)
	return out, err
}

// Resume follows topics and first receives the events after since that it
// missed (a connection's first subscribe only). epoch, if not empty, must
// match the hub's; a protocol.CodeReplayGap error means the events are
// gone and the caller should reload state and Subscribe.
func (c *Client) Resume(ctx context.Context, since uint64, epoch string, topics ...string) (protocol.Subscribed, error) {
	var out protocol.Subscribed
	err := c.Do(ctx, protocol.CmdSubscribe, protocol.Subscribe{Topics: topics, Since: &since, Epoch: epoch}, &out)
	return out, err
}

// Unsubscribe stops following topics.
func (c *Client) Unsubscribe(ctx context.Context, topics ...string) (protocol.Subscribed, error) {
	var out protocol.Subscribed
	err := c.Do(ctx, protocol.CmdUnsubscribe, protocol.Subscribe{Topics: topics}, &out)
	return out, err
}
