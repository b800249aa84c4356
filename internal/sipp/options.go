package sipp

import (
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

// DefaultTimeout bounds a run when Options.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Options describes one SIPp process. Zero values pick sensible defaults.
type Options struct {
	Scenario     string            // path of the XML scenario (see Scenario and Render)
	Remote       string            // "127.0.0.1:5060"; empty for a pure UAS
	LocalIP      string            // -i; default 127.0.0.1 (any 127/8 address works on lo)
	LocalPort    int               // -p; 0 picks a free port (see Result.Port, Proc.Port)
	MediaPort    int               // -mp; 0 picks a free even port with the next three free
	Transport    string            // -t: "u1" (default, one UDP socket) or "t1"
	User         string            // -au, and -s when Service is empty
	Password     string            // -ap
	Service      string            // -s: the user to call or register
	Calls        int               // -m; 0 means 1 with a Remote, unlimited without
	Rate         float64           // -r calls per RatePeriodMS; 0 keeps SIPp's default (10/s)
	RatePeriodMS int               // -rp in milliseconds; 0 keeps 1000
	Limit        int               // -l: most calls open at once; 0 keeps SIPp's default
	Vars         map[string]string // -set name value, read in the scenario as [$name]
	Timeout      time.Duration     // -timeout, and the deadline after which SIPp is stopped; default 30 s
	RTPEcho      bool              // -rtp_echo: echo RTP arriving on the media port
	Lenient      bool              // -default_behaviors all,-abortunexp: log unexpected messages, don't fail the call
	TraceMsg     bool              // -trace_msg: keep every SIP message (Result.Messages)
	Dir          string            // parent of the per-process output directory; default os.TempDir()
	Extra        []string          // appended to the command line as they are
	Log          *slog.Logger      // optional; nil discards
}

// settings is Options after defaults and port choice: what one launch uses.
type settings struct {
	Options
	remoteHost, remotePort string
	autoPorts              bool
}

func (o Options) withDefaults() (settings, error) {
	s := settings{Options: o}
	if s.Scenario == "" {
		return s, fmt.Errorf("sipp: no scenario: %w", errs.ErrInvalid)
	}
	if _, err := os.Stat(s.Scenario); err != nil {
		return s, fmt.Errorf("sipp: scenario %s: %w", s.Scenario, errs.ErrInvalid)
	}
	// SIPp runs in its own output directory, so a relative path would no
	// longer name the file.
	if abs, err := filepath.Abs(s.Scenario); err == nil {
		s.Scenario = abs
	}
	if s.LocalIP == "" {
		s.LocalIP = "127.0.0.1"
	}
	if ip := net.ParseIP(s.LocalIP); ip == nil || ip.To4() == nil {
		return s, fmt.Errorf("sipp: local IP %q is not IPv4: %w", s.LocalIP, errs.ErrInvalid)
	}
	switch s.Transport {
	case "":
		s.Transport = "u1"
	case "u1", "un", "t1", "tn":
	default:
		return s, fmt.Errorf("sipp: transport %q (want u1, un, t1 or tn): %w", s.Transport, errs.ErrInvalid)
	}
	if s.Remote != "" {
		host, port, err := net.SplitHostPort(s.Remote)
		if err != nil {
			host, port = s.Remote, "5060"
		}
		s.remoteHost, s.remotePort = host, port
	}
	if s.Service == "" {
		s.Service = s.User
	}
	if s.Calls == 0 && s.Remote != "" {
		s.Calls = 1
	}
	if s.Calls < 0 || s.Limit < 0 || s.Rate < 0 || s.RatePeriodMS < 0 || s.LocalPort < 0 || s.MediaPort < 0 {
		return s, fmt.Errorf("sipp: negative count, rate or port: %w", errs.ErrInvalid)
	}
	if s.Timeout <= 0 {
		s.Timeout = DefaultTimeout
	}
	if s.Dir == "" {
		s.Dir = os.TempDir()
	}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	s.autoPorts = s.LocalPort == 0 || s.MediaPort == 0
	return s, nil
}

// outFiles names SIPp's output files inside one process's directory.
type outFiles struct {
	dir                                     string
	stats, screen, errors, messages, stderr string
}

func newOutFiles(dir string) outFiles {
	return outFiles{
		dir:      dir,
		stats:    filepath.Join(dir, "stats.csv"),
		screen:   filepath.Join(dir, "screen.log"),
		errors:   filepath.Join(dir, "errors.log"),
		messages: filepath.Join(dir, "messages.log"),
		stderr:   filepath.Join(dir, "stderr.log"),
	}
}

// args builds SIPp's command line. -sf comes before -set because SIPp
// only accepts -set for globals the already-loaded scenario declares.
func (s settings) args(sets [][2]string, f outFiles) []string {
	var a []string
	if s.Remote != "" {
		a = append(a, net.JoinHostPort(s.remoteHost, s.remotePort))
	}
	a = append(a,
		"-sf", s.Scenario,
		"-i", s.LocalIP,
		"-p", strconv.Itoa(s.LocalPort),
		"-mp", strconv.Itoa(s.MediaPort),
		"-t", s.Transport,
		"-nostdin",
		// The control socket otherwise binds 0.0.0.0:8888 and up, shared
		// with every other SIPp on the machine.
		"-ci", s.LocalIP,
		"-timeout", timeoutArg(s.Timeout),
		"-trace_stat", "-stf", f.stats, "-fd", "1",
		"-trace_screen", "-screen_file", f.screen,
		"-trace_err", "-error_file", f.errors,
	)
	if s.TraceMsg {
		a = append(a, "-trace_msg", "-message_file", f.messages)
	}
	if s.Service != "" {
		a = append(a, "-s", s.Service)
	}
	if s.User != "" {
		a = append(a, "-au", s.User)
		// SIPp's digest uri is remote_ip:remote_port unless told; the PBX
		// wants it to name the Request-URI's user, as phones do. A call's
		// Request-URI names the service; a REGISTER's (service defaulted to
		// the user) names no user, as SIPp's default does.
		if s.Service != "" && s.Service != s.User && s.Remote != "" {
			a = append(a, "-auth_uri", s.Service+"@"+net.JoinHostPort(s.remoteHost, s.remotePort))
		}
	}
	if s.Password != "" {
		a = append(a, "-ap", s.Password)
	}
	if s.Calls > 0 {
		a = append(a, "-m", strconv.Itoa(s.Calls))
	}
	if s.Rate > 0 {
		a = append(a, "-r", strconv.FormatFloat(s.Rate, 'f', -1, 64))
	}
	if s.RatePeriodMS > 0 {
		a = append(a, "-rp", strconv.Itoa(s.RatePeriodMS)+"ms")
	}
	if s.Limit > 0 {
		a = append(a, "-l", strconv.Itoa(s.Limit))
	}
	if s.RTPEcho {
		a = append(a, "-rtp_echo")
	}
	if s.Lenient {
		a = append(a, "-default_behaviors", "all,-abortunexp")
	}
	for _, kv := range sets {
		a = append(a, "-set", kv[0], kv[1])
	}
	return append(a, s.Extra...)
}

// timeoutArg rounds up to whole seconds: SIPp arms alarm(2) with seconds,
// so anything under one second would never fire.
func timeoutArg(d time.Duration) string {
	return strconv.Itoa(int(math.Ceil(d.Seconds()))) + "s"
}

// resolveVars merges the scenario's declared variables (with defaults) and
// the caller's Vars into -set pairs, in a stable order.
func (s settings) resolveVars(specs []varSpec) ([][2]string, error) {
	tokens := strings.NewReplacer(
		"[local_ip]", s.LocalIP,
		"[local_port]", strconv.Itoa(s.LocalPort),
		"[media_ip]", s.LocalIP,
		"[media_port]", strconv.Itoa(s.MediaPort),
		"[remote_ip]", firstNonEmpty(s.remoteHost, s.LocalIP),
		"[remote_port]", firstNonEmpty(s.remotePort, "5060"),
		"[user]", firstNonEmpty(s.User, "sipp"),
		"[service]", firstNonEmpty(s.Service, "service"),
	)
	var out [][2]string
	seen := make(map[string]bool, len(specs))
	for _, v := range specs {
		seen[v.name] = true
		if val, ok := s.Vars[v.name]; ok {
			out = append(out, [2]string{v.name, val})
			continue
		}
		if v.required {
			return nil, fmt.Errorf("sipp: %s needs variable %s: %w", filepath.Base(s.Scenario), v.name, errs.ErrInvalid)
		}
		out = append(out, [2]string{v.name, tokens.Replace(v.def)})
	}
	extra := make([]string, 0, len(s.Vars))
	for name := range s.Vars {
		if !seen[name] {
			extra = append(extra, name)
		}
	}
	slices.Sort(extra)
	for _, name := range extra {
		out = append(out, [2]string{name, s.Vars[name]})
	}
	return out, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
