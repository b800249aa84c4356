package sipstateless

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Handler answers a request with its final response (nil: no answer).
type Handler func(ctx context.Context, req *sip.Request) *sip.Response

// Config chooses what is answered and how long answers are kept.
type Config struct {
	Method sip.RequestMethod // the one method taken, e.g. sip.REGISTER
	// Workers answer concurrently; default GOMAXPROCS.
	Workers int
	// Keep is how long a final answer is resent to retransmissions; default
	// Timer J, 64*T1 (32 s), as long as a transaction would have absorbed
	// them (RFC 3261 §17.2.2).
	Keep time.Duration
	// MaxKept bounds the answers kept (each the bytes of one response, about
	// 700 bytes with its key), oldest forgotten first; default 1<<15, about
	// 23 MB. At 6000 registrations a second (12 000 answers) that keeps
	// 2.7 s of them, past a client's first two retransmissions (0.5 and
	// 1.5 s); a copy of a forgotten one is answered afresh.
	MaxKept int
}

// Stats counts what the fast path did.
type Stats struct {
	Answered   uint64 // requests given to the handler
	Resent     uint64 // retransmissions given the answer again from the cache
	InFlight   uint64 // retransmissions dropped while the first copy was being answered
	Malformed  uint64 // dropped or refused with 400 before the handler
	QueuedFull uint64 // answered on the reading goroutine because every worker was busy
}

// Conn is a net.PacketConn whose ReadFrom returns every datagram except
// requests of the configured method, which it answers itself. Writes pass
// through.
type Conn struct {
	net.PacketConn
	h       Handler
	cfg     Config
	prefix  []byte
	parser  *sip.Parser
	answers *answerCache
	log     *slog.Logger
	now     func() time.Time

	start sync.Once
	work  chan job
	wg    sync.WaitGroup
	bufs  sync.Pool
	out   sync.Pool

	answered, resent, inFlight, malformed, queuedFull atomic.Uint64
}

type job struct {
	buf  *[]byte
	n    int
	from net.Addr
}

// Wrap returns pc with requests of cfg.Method answered by h. Its workers
// start with the first read and stop when a read fails (the socket closed).
func Wrap(pc net.PacketConn, h Handler, cfg Config, log *slog.Logger) *Conn {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Keep <= 0 {
		cfg.Keep = 64 * sip.T1
	}
	if cfg.MaxKept <= 0 {
		cfg.MaxKept = 1 << 15
	}
	c := &Conn{
		PacketConn: pc, h: h, cfg: cfg,
		prefix:  []byte(string(cfg.Method) + " "),
		parser:  sip.NewParser(),
		answers: newAnswerCache(cfg.Keep, cfg.MaxKept),
		log:     log,
		now:     time.Now,
	}
	c.bufs.New = func() any { b := make([]byte, 0, 2048); return &b }
	c.out.New = func() any { return new(bytes.Buffer) }
	return c
}

// Stats returns the counters so far.
func (c *Conn) Stats() Stats {
	return Stats{Answered: c.answered.Load(), Resent: c.resent.Load(), InFlight: c.inFlight.Load(),
		Malformed: c.malformed.Load(), QueuedFull: c.queuedFull.Load()}
}

// ReadFrom returns the next datagram that is not a request of the
// configured method; those it hands to its workers.
func (c *Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	c.start.Do(c.startWorkers)
	for {
		n, from, err := c.PacketConn.ReadFrom(b)
		if err != nil {
			c.stop()
			return n, from, err
		}
		if !bytes.HasPrefix(b[:n], c.prefix) {
			return n, from, nil
		}
		buf := c.bufs.Get().(*[]byte)
		*buf = append((*buf)[:0], b[:n]...)
		j := job{buf: buf, n: n, from: from}
		select {
		case c.work <- j:
		default:
			// Every worker is busy and the queue full: answer here, which
			// also slows reading down to what the workers keep up with.
			c.queuedFull.Add(1)
			c.serve(j)
		}
	}
}

// startWorkers starts the workers with a queue no longer than their
// number: the guard decides on each datagram as it is read, and bans on
// what the handler finds (wrong passwords), so every request queued ahead
// of the handler is one a source about to be banned still gets answered.
// With the queue this short, reading runs at most a few requests ahead.
func (c *Conn) startWorkers() {
	c.work = make(chan job, c.cfg.Workers)
	for range c.cfg.Workers {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			for j := range c.work {
				c.serve(j)
			}
		}()
	}
}

// stop ends the workers once the socket is closed; only the reading
// goroutine sends on work, so closing it here cannot race a send.

func (c *Conn) stop() {
	if c.work == nil {
		return
	}
	close(c.work)
	c.wg.Wait()
	c.work = nil
}

// serve answers one datagram: from the cache when it is a retransmission,
// else through the handler.
func (c *Conn) serve(j job) {
	defer c.bufs.Put(j.buf)
	data := (*j.buf)[:j.n]
	msg, err := c.parser.ParseSIP(data)
	if err != nil {
		c.malformed.Add(1)
		c.log.Warn("sip: unparsable request dropped", "method", string(c.cfg.Method), "ip", hostOf(j.from), "err", err)
		return
	}
	req, ok := msg.(*sip.Request)
	if !ok {
		c.malformed.Add(1)
		return
	}
	src := j.from.String()
	req.SetTransport("UDP")
	req.SetSource(src)
	via, cseq := req.Via(), req.CSeq()
	if via == nil || cseq == nil {
		// What sipgo's transaction layer does for a request it cannot
		// make a transaction of: a stateless 400 to where it came from.
		c.malformed.Add(1)
		c.log.Warn("sip: malformed request refused", "method", string(req.Method), "ip", hostOf(j.from), "missing", missing(req))
		c.write(sip.NewResponseFromRequest(req, 400, "Bad Request", nil), j.from, nil)
		return
	}
	var kb [192]byte
	e, prev, seen := c.answers.begin(c.answers.keyOf(appendTransactionKey(kb[:0], src, req, via, cseq)), c.now())
	if seen {
		if prev == nil {
			c.inFlight.Add(1)
			return
		}
		c.resent.Add(1)
		if _, err := c.PacketConn.WriteTo(prev, j.from); err != nil {
			c.log.Debug("sip: resend answer failed", "err", err)
		}
		return
	}
	c.answered.Add(1)
	res := c.h(context.Background(), req)
	if res == nil {
		c.answers.finish(e, nil)
		return
	}
	c.write(res, j.from, e)
}

// write sends res to the request's source and, with e, keeps its bytes for
// retransmissions. Responses are not held to the MTU rule of RFC 3261
// §18.1.1, which is for requests: a REGISTER's 200 listing many contacts
// goes out fragmented rather than not at all.
func (c *Conn) write(res *sip.Response, to net.Addr, e *answer) {
	buf := c.out.Get().(*bytes.Buffer)
	buf.Reset()
	res.StringWrite(buf)
	b := bytes.Clone(buf.Bytes())
	c.out.Put(buf)
	if e != nil {
		c.answers.finish(e, b)
	}
	if _, err := c.PacketConn.WriteTo(b, to); err != nil {
		c.log.Debug("sip: stateless answer not sent", "err", err)
	}
}

// appendTransactionKey appends to dst what names the request's server
// transaction as RFC 3261 §17.2.3 matches it (branch and sent-by; the
// method is always the one taken), with the source address so another
// address cannot take over an answer; a branch without the RFC 3261 cookie
// falls back to the older rule's dialog and CSeq fields.
func appendTransactionKey(dst []byte, src string, req *sip.Request, via *sip.ViaHeader, cseq *sip.CSeqHeader) []byte {
	dst = append(append(dst, src...), ' ')
	branch, _ := via.Params.Get("branch")
	if strings.HasPrefix(branch, sip.RFC3261BranchMagicCookie) && len(branch) > len(sip.RFC3261BranchMagicCookie) {
		dst = append(append(append(dst, branch...), ' '), via.Host...)
		return strconv.AppendInt(append(dst, ':'), int64(via.Port), 10)
	}
	if id := req.CallID(); id != nil {
		dst = append(dst, id.Value()...)
	}
	dst = append(dst, ' ')
	if from := req.From(); from != nil {
		tag, _ := from.Params.Get("tag")
		dst = append(dst, tag...)
	}
	dst = strconv.AppendUint(append(dst, ' '), uint64(cseq.SeqNo), 10)
	dst = append(append(append(dst, ' '), via.Host...), ':')
	return strconv.AppendInt(dst, int64(via.Port), 10)
}

// missing names the first header a transaction needs that req lacks.
func missing(req *sip.Request) string {
	if req.Via() == nil {
		return "Via"
	}
	return "CSeq"
}

func hostOf(a net.Addr) string {
	if u, ok := a.(*net.UDPAddr); ok {
		return u.IP.String()
	}
	host, _, _ := net.SplitHostPort(a.String())
	return host
}
