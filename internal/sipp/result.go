package sipp

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// SIPp's exit codes (SIPp 3.6 defines.h).
const (
	ExitOK          = 0   // every call succeeded
	ExitFailed      = 1   // at least one call failed
	ExitTimeoutNone = 97  // the global timeout hit before any call succeeded
	ExitNoCalls     = 99  // normal exit without processing a call
	ExitFatal       = 255 // fatal error while running (a bad argument or scenario exits 1, before any stat row)
	ExitBind        = 254 // could not bind a socket
)

// Result is what one SIPp process did.
type Result struct {
	Successful      int  // SuccessfulCall(C) of the last -trace_stat row
	Failed          int  // FailedCall(C)
	Retransmissions int  // Retransmissions(C)
	Calls           int  // TotalCallCreated: calls placed plus calls received
	Current         int  // CurrentCall when SIPp stopped; non-zero means calls were cut off
	ExitCode        int  // SIPp's exit status; -1 when it had to be killed
	TimedOut        bool // Options.Timeout passed or the context's deadline stopped SIPp
	// Counters is the last -trace_stat row by column name, e.g.
	// Counters["FailedUnexpectedMessage(C)"].
	Counters  map[string]string
	Stats     string // SIPp's final screen (-trace_screen), or the stat CSV's tail
	Errors    string // tail of the error log (-trace_err): unexpected messages, warnings
	Messages  string // tail of the SIP message trace when Options.TraceMsg
	Stderr    string // tail of SIPp's standard error
	Dir       string // where SIPp's files are kept for debugging
	Port      int
	MediaPort int
	Args      []string // the command line after "sipp", to rerun by hand
	Duration  time.Duration
}

// Check returns nil when SIPp exited 0 having completed exactly calls
// successful calls and none failed; otherwise an error that names what
// went wrong and quotes the end of SIPp's error log. It is an assertion
// for tests, so the error carries no error kind.
func (r *Result) Check(calls int) error {
	var bad []string
	if r.ExitCode != ExitOK {
		bad = append(bad, fmt.Sprintf("exit code %d", r.ExitCode))
	}
	if r.Successful != calls {
		bad = append(bad, fmt.Sprintf("%d of %d calls successful", r.Successful, calls))
	}
	if r.Failed != 0 {
		bad = append(bad, fmt.Sprintf("%d failed", r.Failed))
	}
	if r.TimedOut {
		bad = append(bad, "timed out")
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("sipp: %s (files in %s)\n%s", strings.Join(bad, ", "), r.Dir,
		lastLines(firstNonEmpty(r.Errors, r.Stderr), 12))
}

// fill reads SIPp's output files into r.
func (r *Result) fill(f outFiles, traceMsg bool) {
	if b, err := os.ReadFile(f.stats); err == nil {
		r.Counters = parseStats(b)
		r.Successful = atoi(r.Counters["SuccessfulCall(C)"])
		r.Failed = atoi(r.Counters["FailedCall(C)"])
		r.Retransmissions = atoi(r.Counters["Retransmissions(C)"])
		r.Calls = atoi(r.Counters["TotalCallCreated"])
		r.Current = atoi(r.Counters["CurrentCall"])
		r.Stats = lastLines(string(b), 3)
	}
	if b, err := os.ReadFile(f.screen); err == nil && len(b) > 0 {
		r.Stats = string(b)
	}
	r.Errors = tailFile(f.errors, 16<<10)
	r.Stderr = tailFile(f.stderr, 8<<10)
	if traceMsg {
		r.Messages = tailFile(f.messages, 64<<10)
	}
}

// parseStats turns the last data row of a -trace_stat CSV (";"-separated,
// one header row) into a column -> value map. A short row gives the
// columns it has; an empty or header-only file gives an empty map. Only
// the first and last lines are read: an hour-long run writes thousands.
func parseStats(csv []byte) map[string]string {
	out := map[string]string{}
	csv = bytes.TrimRight(csv, "\r\n")
	first := bytes.IndexByte(csv, '\n')
	if first < 0 {
		return out
	}
	last := bytes.LastIndexByte(csv, '\n')
	header := strings.Split(strings.TrimRight(string(csv[:first]), "\r;"), ";")
	row := strings.Split(strings.TrimRight(string(csv[last+1:]), "\r"), ";")
	for i, name := range header {
		if i >= len(row) {
			break
		}
		if name != "" {
			out[name] = row[i]
		}
	}
	return out
}

func atoi(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0
	}
	return n
}

// tailFile returns up to the last max bytes of a file, "" if unreadable.
func tailFile(path string, limit int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	off := max(st.Size()-limit, 0)
	b, err := io.ReadAll(io.NewSectionReader(f, off, st.Size()-off))
	if err != nil {
		return ""
	}
	return string(b)
}

// lastLines returns the last n non-empty lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	var keep []string
	for i := len(lines) - 1; i >= 0 && len(keep) < n; i-- {
		if strings.TrimSpace(lines[i]) != "" {
			keep = append(keep, lines[i])
		}
	}
	for i, j := 0, len(keep)-1; i < j; i, j = i+1, j-1 {
		keep[i], keep[j] = keep[j], keep[i]
	}
	return strings.Join(keep, "\n")
}

// Received counts the messages named msg (a response code such as "401",
// or a request method) that the scenario received, summed over every
// <recv> of it, from the last Scenario Screen SIPp wrote (-trace_screen).
// It lets a test require what a scenario only allows, such as the digest
// challenge a scenario marks optional so that it also runs against a peer
// that does not challenge. It returns -1 when SIPp wrote no Scenario
// Screen (it was killed, or stopped by -timeout before writing one).
func (r *Result) Received(msg string) int {
	screen := r.Stats
	i := strings.LastIndex(screen, "Scenario Screen")
	if i < 0 {
		return -1
	}
	screen = screen[i:]
	if i := strings.Index(screen, "Statistics Screen"); i >= 0 {
		screen = screen[:i]
	}
	n := 0
	for _, line := range strings.Split(screen, "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != msg || !strings.HasPrefix(f[1], "<-") {
			continue
		}
		for _, v := range f[2:] { // the count, after an optional E-RTD1 mark
			if c, err := strconv.Atoi(v); err == nil {
				n += c
				break
			}
		}
	}
	return n
}
