package sipp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

const (
	// SIPp's first SIGUSR1 stops new calls and lets open ones finish
	// (a UAS's timewait included); the second aborts them; SIGKILL last.
	stopGrace  = 5 * time.Second
	abortGrace = 3 * time.Second
	// deadlineSlack is how long past Options.Timeout (SIPp's own soft
	// timeout, which waits for open calls) before the process is stopped.
	deadlineSlack = 5 * time.Second
	bindWait      = 10 * time.Second
	// Ports picked here can be taken by someone else before SIPp binds.
	launchAttempts = 3
)

// Proc is a SIPp process started by Start.
type Proc struct {
	s     settings
	files outFiles
	args  []string
	cmd   *exec.Cmd
	began time.Time

	done     chan struct{} // closed once res and err are set
	res      *Result
	err      error
	stopOnce sync.Once
	timedOut atomic.Bool
}

// Run runs SIPp to completion and reports what happened. The error is
// only for "could not run" (SIPp missing, bad options or scenario, no
// port): failed calls and non-zero exit codes are in the Result, which
// Result.Check turns into an assertion. On a fatal SIPp error both are
// returned, the Result for its files.
func Run(ctx context.Context, o Options) (*Result, error) {
	s, specs, err := prepare(o)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		p, err := launch(ctx, s, specs)
		if err != nil {
			return nil, err
		}
		res, err := p.Wait()
		if attempt < launchAttempts && bindFailed(res) {
			s.Log.Debug("sipp: port taken, retrying", "scenario", filepath.Base(s.Scenario), "attempt", attempt)
			continue
		}
		return res, err
	}
}

// Start runs SIPp in the background (typically a UAS) and returns once its
// SIP socket is bound, so a peer can be started right away. SIPp is
// stopped when ctx ends or Options.Timeout passes; call Stop (or Wait, for
// a process that ends by itself) to collect its Result.
func Start(ctx context.Context, o Options) (*Proc, error) {
	s, specs, err := prepare(o)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		p, err := launch(ctx, s, specs)
		if err != nil {
			return nil, err
		}
		if err := p.waitBound(ctx); err != nil {
			return nil, err
		}
		select {
		case <-p.done: // already gone: a fatal error, or a short UAC run
			if attempt < launchAttempts && bindFailed(p.res) {
				continue
			}
			if p.err != nil {
				return nil, p.err
			}
		default:
		}
		return p, nil
	}
}

// Port is SIPp's SIP port (-p).
func (p *Proc) Port() int { return p.s.LocalPort }

// MediaPort is SIPp's RTP port (-mp); its SDP offers or answers it.
func (p *Proc) MediaPort() int { return p.s.MediaPort }

// Addr is SIPp's SIP address, "ip:port", ready for another Options.Remote.
func (p *Proc) Addr() string {
	return net.JoinHostPort(p.s.LocalIP, strconv.Itoa(p.s.LocalPort))
}

// Wait blocks until SIPp exits by itself (its -m calls are done or its
// timeout passed) and returns the same as Run.
func (p *Proc) Wait() (*Result, error) {
	<-p.done
	return p.res, p.err
}

// Stop asks SIPp to finish (SIGUSR1: no new calls, open calls run to
// their end), aborts the calls still open after a grace period, kills it
// as a last resort, and returns the same as Run.
func (p *Proc) Stop() (*Result, error) {
	p.terminate()
	return p.Wait()
}

func prepare(o Options) (settings, []varSpec, error) {
	s, err := o.withDefaults()
	if err != nil {
		return s, nil, err
	}
	text, err := os.ReadFile(s.Scenario)
	if err != nil {
		return s, nil, fmt.Errorf("sipp: read scenario: %v: %w", err, errs.ErrInvalid)
	}
	return s, parseVarSpecs(text), nil
}

// launch picks the ports left at zero, starts SIPp and its reaper and
// supervisor goroutines.
func launch(ctx context.Context, s settings, specs []varSpec) (*Proc, error) {
	var err error
	if s.LocalPort == 0 {
		if s.LocalPort, err = pickPort(s.LocalIP, s.Transport[0] == 't'); err != nil {
			return nil, err
		}
	}
	if s.MediaPort == 0 {
		if s.MediaPort, err = pickMediaPort(s.LocalIP); err != nil {
			return nil, err
		}
	}
	sets, err := s.resolveVars(specs)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSuffix(filepath.Base(s.Scenario), filepath.Ext(s.Scenario))
	dir, err := os.MkdirTemp(s.Dir, "sipp-"+name+"-*")
	if err != nil {
		return nil, fmt.Errorf("sipp: output dir: %v: %w", err, errs.ErrUnavailable)
	}
	files := newOutFiles(dir)
	stderr, err := os.Create(files.stderr)
	if err != nil {
		return nil, fmt.Errorf("sipp: %v: %w", err, errs.ErrUnavailable)
	}
	p := &Proc{s: s, files: files, args: s.args(sets, files), done: make(chan struct{})}
	p.cmd = exec.Command("sipp", p.args...)
	// SIPp writes some files (counts, a busy UAS's <scenario>_<pid>_.csv)
	// into its working directory whatever the flags say: keep them in the
	// run's own directory, not the caller's (a package's source tree).
	p.cmd.Dir = dir
	p.cmd.Stderr = stderr // stdin and stdout stay /dev/null: -nostdin, and the screen goes to a file
	p.began = time.Now()
	if err := p.cmd.Start(); err != nil {
		stderr.Close()
		return nil, fmt.Errorf("sipp: start: %v: %w", err, errs.ErrUnavailable)
	}
	s.Log.Debug("sipp: started", "scenario", name, "ip", s.LocalIP, "port", s.LocalPort,
		"media_port", s.MediaPort, "pid", p.cmd.Process.Pid, "dir", dir)
	go p.reap(stderr)
	go p.supervise(ctx)
	return p, nil
}

// reap waits for the exit, then reads SIPp's files into the Result.
func (p *Proc) reap(stderr *os.File) {
	waitErr := p.cmd.Wait()
	stderr.Close()
	res := &Result{
		Dir:       p.files.dir,
		Port:      p.s.LocalPort,
		MediaPort: p.s.MediaPort,
		Args:      p.args,
		Duration:  time.Since(p.began),
		ExitCode:  p.cmd.ProcessState.ExitCode(),
		TimedOut:  p.timedOut.Load(),
	}
	// SIPp's own -timeout stops new calls without saying so in its exit code.
	if res.Duration >= p.s.Timeout {
		res.TimedOut = true
	}
	res.fill(p.files, p.s.TraceMsg)
	name := filepath.Base(p.s.Scenario)
	// SIPp reports an error in its arguments or scenario with exit code 1,
	// like a failed call; the tell is that it never wrote a stat row.
	started := len(res.Counters) > 0
	var exitErr *exec.ExitError
	switch {
	case waitErr != nil && !errors.As(waitErr, &exitErr):
		p.err = fmt.Errorf("sipp: %s: %v: %w", name, waitErr, errs.ErrUnavailable)
	case bindFailed(res):
		p.err = fmt.Errorf("sipp: %s could not bind (exit %d): %s: %w", name, res.ExitCode, lastLines(res.Stderr, 1), errs.ErrUnavailable)
	case res.ExitCode == ExitFatal, !started && res.ExitCode > 0:
		p.err = fmt.Errorf("sipp: %s fatal error (exit %d): %s: %w", name, res.ExitCode, lastLines(res.Stderr, 2), errs.ErrInvalid)
	}
	p.res = res
	p.s.Log.Debug("sipp: exited", "scenario", name, "code", res.ExitCode, "successful", res.Successful,
		"failed", res.Failed, "timed_out", res.TimedOut, "dir", res.Dir)
	close(p.done)
}

// bindFailed reports a fatal exit caused by a socket that was taken.
func bindFailed(r *Result) bool {
	if r == nil {
		return false
	}
	return r.ExitCode == ExitBind ||
		(r.ExitCode != ExitOK && strings.Contains(r.Stderr, "Unable to bind") && strings.Contains(r.Stderr, "in use"))
}

// supervise stops SIPp when ctx ends or the run overstays its timeout.
func (p *Proc) supervise(ctx context.Context) {
	deadline := time.NewTimer(p.s.Timeout + deadlineSlack)
	defer deadline.Stop()
	select {
	case <-p.done:
		return
	case <-deadline.C:
		p.timedOut.Store(true)
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			p.timedOut.Store(true)
		}
	}
	p.terminate()
}

// terminate escalates SIGUSR1 (finish), SIGUSR1 (abort calls), SIGKILL.
func (p *Proc) terminate() {
	p.stopOnce.Do(func() {
		steps := []struct {
			sig  os.Signal
			wait time.Duration
		}{{syscall.SIGUSR1, stopGrace}, {syscall.SIGUSR1, abortGrace}, {syscall.SIGKILL, 0}}
		for _, st := range steps {
			if err := p.cmd.Process.Signal(st.sig); err != nil {
				return // already exited
			}
			if st.wait == 0 {
				return
			}
			select {
			case <-p.done:
				return
			case <-time.After(st.wait):
			}
		}
	})
}

// waitBound polls until SIPp's SIP socket is bound or SIPp has exited.
func (p *Proc) waitBound(ctx context.Context) error {
	tcp := p.s.Transport[0] == 't'
	give := time.NewTimer(bindWait)
	defer give.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		bound, err := socketBound(p.s.LocalIP, p.s.LocalPort, tcp)
		if err != nil {
			p.Stop()
			return err
		}
		if bound {
			return nil
		}
		select {
		case <-p.done:
			return nil
		case <-ctx.Done():
			p.Stop()
			return fmt.Errorf("sipp: waiting for %s to bind: %w", p.Addr(), ctx.Err())
		case <-give.C:
			p.Stop()
			return fmt.Errorf("sipp: %s not bound after %s: %w", p.Addr(), bindWait, errs.ErrUnavailable)
		case <-tick.C:
		}
	}
}
