package system_test

import (
	"encoding/binary"
	"github.com/yimen/yimen/internal/dtmf"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/pbx/mix"
	"github.com/yimen/yimen/tests/testpbx"
	"github.com/zaf/g711"
)

// rtpEndpoint is a test phone's media: it sends a tone and keeps what it hears.
type rtpEndpoint struct {
	keys *dtmf.Detector // RFC 4733 keys that arrived
	conn *net.UDPConn
	mu   sync.Mutex
	got  []int16
	stop chan struct{}
}

func newEndpoint(t *testing.T, ip string) *rtpEndpoint {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
	if err != nil {
		t.Fatal(err)
	}
	e := &rtpEndpoint{conn: c, stop: make(chan struct{}), keys: dtmf.NewDetector(0, 101)}
	t.Cleanup(func() { close(e.stop); c.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			e.keys.OnRTP(0, buf[:n])
			if n < 12+160 || buf[1]&0x7f != 8 {
				continue
			}
			e.mu.Lock()
			for _, v := range buf[12:n] {
				e.got = append(e.got, g711.DecodeAlawFrame(v))
			}
			e.mu.Unlock()
		}
	}()
	return e
}

func (e *rtpEndpoint) port() int { return e.conn.LocalAddr().(*net.UDPAddr).Port }

// send streams a PCMA tone to addr every 20 ms until stop is called or the test ends.
func (e *rtpEndpoint) send(addr string, freq float64) (stop func()) {
	to, _ := net.ResolveUDPAddr("udp", addr)
	quit := make(chan struct{})
	var once sync.Once
	go func() {
		pkt := make([]byte, 12+160)
		pkt[0], pkt[1] = 0x80, 8
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for i := 0; ; i++ {
			binary.BigEndian.PutUint16(pkt[2:], uint16(i))
			binary.BigEndian.PutUint32(pkt[4:], uint32(i*160))
			binary.BigEndian.PutUint32(pkt[8:], 0x1234+uint32(freq))
			for j := 0; j < 160; j++ {
				pkt[12+j] = g711.EncodeAlawFrame(int16(5000 * math.Sin(2*math.Pi*freq*float64(i*160+j)/8000)))
			}
			e.conn.WriteToUDP(pkt, to)
			select {
			case <-e.stop:
				return
			case <-quit:
				return
			case <-t.C:
			}
		}
	}()
	return func() { once.Do(func() { close(quit) }) }
}

// heard returns each tone's relative power in what arrived since the last call.
func (e *rtpEndpoint) heard(freqs ...float64) []float64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]float64, len(freqs))
	for i, f := range freqs {
		out[i] = mix.Power(e.got, f)
	}
	e.got = e.got[:0]
	return out
}

func (e *rtpEndpoint) reset() { e.heard() }

func mediaScenario(t *testing.T, name, ip string, port int) string {
	t.Helper()
	path, err := sipp.Render(t.TempDir(), name, struct {
		RTPIP   string
		RTPPort int
	}{ip, port})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// mediaCall is a call from 1001 to 1002 between two Go RTP endpoints,
// answered: the caller's SIP runs on callerIP with sdpIP in its SDP, the
// callee's SIPp on calleeIP.
type mediaCall struct {
	cust, agent          *rtpEndpoint
	callerRTP, calleeRTP string // the relay's addresses facing each
	done                 chan *sipp.Result
}

func startMediaCall(t *testing.T, p *testpbx.PBX, callerIP, sdpIP, calleeIP string, talkMs int) mediaCall {
	t.Helper()
	mc := mediaCall{cust: newEndpoint(t, callerIP), agent: newEndpoint(t, calleeIP), done: make(chan *sipp.Result, 1)}
	uasProc, err := sipp.Start(t.Context(), sipp.Options{Scenario: mediaScenario(t, "uas_media.tmpl", calleeIP, mc.agent.port()),
		LocalIP: calleeIP, Dir: t.TempDir(), Timeout: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { uasProc.Stop() })
	p.Register(t, "1002", calleeIP, uasProc.Port())
	go func() {
		mc.done <- p.Call(t, "1001", callerIP, mediaScenario(t, "uac_media.tmpl", sdpIP, mc.cust.port()), "1002", map[string]string{"talk_ms": strconv.Itoa(talkMs)})
	}()
	for deadline := time.Now().Add(8 * time.Second); mc.callerRTP == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, c := range p.Server.Calls() {
			if c.State == "answered" {
				mc.callerRTP, mc.calleeRTP = c.CallerRTP, c.CalleeRTP
			}
		}
	}
	if mc.callerRTP == "" {
		t.Fatal("call not answered")
	}
	return mc
}

// A supervisor (1009) joins an agent's call with *1, *2 and *3 + the agent's
// extension. A tone the supervisor sends reaches nobody in listen, the agent
// only in whisper, and both parties in barge; the supervisor hears both.
func TestSupervisorListenWhisperBarge(t *testing.T) {
	t.Parallel()
	p := testpbx.Start(t, func(c *cfgT) { c.Tenants[0].Supervisors = []string{"1009"} })
	sup := newEndpoint(t, "127.0.26.9")
	mc := startMediaCall(t, p, "127.0.26.1", "127.0.26.1", "127.0.26.2", 16000)
	cust, agent, callerRTP, calleeRTP, done := mc.cust, mc.agent, mc.callerRTP, mc.calleeRTP, mc.done
	cust.send(callerRTP, 500)
	agent.send(calleeRTP, 800)

	// Not a supervisor: refused.
	if res := p.Call(t, "1003", "127.0.26.3", expectScenario(t, 403, ""), "*21002", nil); res.Check(1) != nil {
		t.Errorf("a non-supervisor could monitor: %v", res.Check(1))
	}

	for _, mode := range []struct {
		code                  string
		agentHears, custHears bool
	}{{"*1", false, false}, {"*2", true, false}, {"*3", true, true}} {
		t.Run(strings.TrimPrefix(mode.code, "*"), func(t *testing.T) {
			supDone := make(chan *sipp.Result, 1)
			go func() {
				supDone <- p.Call(t, "1009", "127.0.26.9", mediaScenario(t, "uac_media.tmpl", "127.0.26.9", sup.port()), mode.code+"1002", map[string]string{"talk_ms": "3000"})
			}()
			var supRTP string
			for deadline := time.Now().Add(5 * time.Second); supRTP == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				for _, c := range p.Server.Calls() {
					if c.Callee == mode.code+"1002" && c.State == "answered" {
						supRTP = c.CallerRTP
					}
				}
			}
			if supRTP == "" {
				t.Fatal("supervisor call not answered")
			}
			stopTone := sup.send(supRTP, 1200)
			defer stopTone()
			time.Sleep(300 * time.Millisecond)
			cust.reset()
			agent.reset()
			sup.reset()
			time.Sleep(2 * time.Second)
			a, c, ss := agent.heard(1200)[0], cust.heard(1200)[0], sup.heard(500, 800)
			s5, s8 := ss[0], ss[1]
			t.Logf("%s: agent hears supervisor %.3f, customer hears supervisor %.3f, supervisor hears customer %.3f agent %.3f", mode.code, a, c, s5, s8)
			if (a > 0.05) != mode.agentHears || (c > 0.05) != mode.custHears {
				t.Errorf("agent hears=%v (%.3f) customer hears=%v (%.3f), want %v %v", a > 0.05, a, c > 0.05, c, mode.agentHears, mode.custHears)
			}
			if s5 < 0.05 || s8 < 0.05 {
				t.Errorf("supervisor does not hear both parties: %.3f %.3f", s5, s8)
			}
			if err := (<-supDone).Check(1); err != nil {
				t.Error(err)
			}
		})
	}
	if err := (<-done).Check(1); err != nil {
		t.Fatal(err)
	}
}
