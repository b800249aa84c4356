package sipp

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

const (
	captureLiveWait = 10 * time.Second
	captureStopWait = 5 * time.Second
)

// Capture is a running dumpcap on the loopback interface.
type Capture struct {
	cmd    *exec.Cmd
	dir    string
	file   string
	done   chan struct{}
	stderr *lineLog
	once   sync.Once
	n      int
	err    error
}

// CaptureUDP starts dumpcap on lo with a BPF filter (for example
// "udp and dst port 6000") and returns once it is capturing. It needs
// root or CAP_NET_RAW, and fails with ErrUnavailable when dumpcap (the
// tshark package) is missing. The capture ends with Stop, or with ctx.
func CaptureUDP(ctx context.Context, filter string) (*Capture, error) {
	bin, err := exec.LookPath("dumpcap")
	if err != nil {
		return nil, fmt.Errorf("sipp: dumpcap not installed (apt-get install tshark): %w", errs.ErrUnavailable)
	}
	dir, err := os.MkdirTemp("", "sipp-capture-*")
	if err != nil {
		return nil, fmt.Errorf("sipp: capture dir: %v: %w", err, errs.ErrUnavailable)
	}
	c := &Capture{dir: dir, file: filepath.Join(dir, "lo.pcapng"), done: make(chan struct{}), stderr: newLineLog()}
	c.cmd = exec.Command(bin, "-i", "lo", "-f", filter, "-w", c.file, "-q")
	pipe, err := c.cmd.StderrPipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("sipp: dumpcap: %v: %w", err, errs.ErrUnavailable)
	}
	if err := c.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("sipp: dumpcap: %v: %w", err, errs.ErrUnavailable)
	}
	go func() {
		c.stderr.consume(pipe)
		c.cmd.Wait()
		close(c.done)
	}()
	// dumpcap names its output file once the interface is open and the
	// filter compiled: from then on packets are being kept.
	live := time.NewTimer(captureLiveWait)
	defer live.Stop()
	select {
	case <-c.stderr.seen:
	case <-c.done:
		os.RemoveAll(dir)
		return nil, fmt.Errorf("sipp: dumpcap -f %q exited: %s: %w", filter, c.stderr.String(), errs.ErrInvalid)
	case <-live.C:
		c.Stop()
		return nil, fmt.Errorf("sipp: dumpcap not capturing after %s: %s: %w", captureLiveWait, c.stderr.String(), errs.ErrUnavailable)
	case <-ctx.Done():
		c.Stop()
		return nil, ctx.Err()
	}
	go func() {
		select {
		case <-ctx.Done():
			c.Stop()
		case <-c.done:
		}
	}()
	return c, nil
}

// Stop ends the capture and returns how many packets matched the filter.
// It can be called more than once.
func (c *Capture) Stop() (packets int, err error) {
	c.once.Do(func() {
		defer os.RemoveAll(c.dir)
		c.cmd.Process.Signal(syscall.SIGINT) // dumpcap flushes and closes the file on SIGINT
		select {
		case <-c.done:
		case <-time.After(captureStopWait):
			c.cmd.Process.Kill()
			<-c.done
		}
		f, err := os.Open(c.file)
		if err != nil {
			c.err = fmt.Errorf("sipp: capture file: %v (%s): %w", err, c.stderr.String(), errs.ErrUnavailable)
			return
		}
		defer f.Close()
		c.n, c.err = countPackets(f)
	})
	return c.n, c.err
}

// lineLog keeps dumpcap's stderr and signals when the "File:" line shows.
type lineLog struct {
	mu    sync.Mutex
	lines []string
	seen  chan struct{}
}

func newLineLog() *lineLog { return &lineLog{seen: make(chan struct{})} }

func (l *lineLog) consume(r io.Reader) {
	sc := bufio.NewScanner(r)
	signalled := false
	for sc.Scan() {
		line := sc.Text()
		l.mu.Lock()
		if len(l.lines) < 50 {
			l.lines = append(l.lines, line)
		}
		l.mu.Unlock()
		if !signalled && strings.HasPrefix(line, "File:") {
			signalled = true
			close(l.seen)
		}
	}
}

func (l *lineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "; ")
}

var errTruncated = errors.New("truncated capture")

// countPackets counts the packets in a pcapng or classic pcap stream.
// A stream cut inside a block returns the packets before it and an error.
func countPackets(r io.Reader) (int, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(4)
	if err != nil {
		if len(magic) == 0 {
			return 0, fmt.Errorf("sipp: empty capture: %w", errs.ErrInvalid)
		}
		return 0, fmt.Errorf("sipp: %w: %w", errTruncated, errs.ErrInvalid)
	}
	switch binary.BigEndian.Uint32(magic) {
	case 0x0A0D0D0A:
		return countPcapng(br)
	case 0xA1B2C3D4, 0xA1B23C4D:
		return countPcap(br, binary.BigEndian)
	case 0xD4C3B2A1, 0x4D3CB2A1:
		return countPcap(br, binary.LittleEndian)
	}
	return 0, fmt.Errorf("sipp: not a pcap or pcapng file: %w", errs.ErrInvalid)
}

// skip discards n bytes, reporting whether all of them were there.
func skip(br *bufio.Reader, n int64) bool {
	for n > 0 {
		step := int(min(n, 1<<30))
		got, err := br.Discard(step)
		n -= int64(got)
		if err != nil {
			return n == 0
		}
	}
	return true
}

// countPcap reads a classic pcap file: a 24-byte global header, then a
// 16-byte header and the captured bytes for each packet.
func countPcap(br *bufio.Reader, order binary.ByteOrder) (int, error) {
	if !skip(br, 24) {
		return 0, fmt.Errorf("sipp: pcap header: %w: %w", errTruncated, errs.ErrInvalid)
	}
	n := 0
	var rec [16]byte
	for {
		if _, err := io.ReadFull(br, rec[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			return n, fmt.Errorf("sipp: pcap record %d: %w: %w", n+1, errTruncated, errs.ErrInvalid)
		}
		if !skip(br, int64(order.Uint32(rec[8:12]))) {
			return n, fmt.Errorf("sipp: pcap record %d: %w: %w", n+1, errTruncated, errs.ErrInvalid)
		}
		n++
	}
}

// countPcapng walks pcapng blocks, taking each section's byte order from
// its header block, and counts enhanced, simple and obsolete packet blocks.
func countPcapng(br *bufio.Reader) (int, error) {
	const (
		shb      = 0x0A0D0D0A
		pktOld   = 2
		pktSimpl = 3
		pktEnh   = 6
	)
	var order binary.ByteOrder = binary.LittleEndian
	n := 0
	var head [12]byte
	for {
		if _, err := io.ReadFull(br, head[:8]); err != nil {
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			return n, fmt.Errorf("sipp: pcapng block: %w: %w", errTruncated, errs.ErrInvalid)
		}
		typ := binary.LittleEndian.Uint32(head[:4]) // the SHB type reads the same both ways
		if typ == shb {
			if _, err := io.ReadFull(br, head[8:12]); err != nil {
				return n, fmt.Errorf("sipp: pcapng section: %w: %w", errTruncated, errs.ErrInvalid)
			}
			switch binary.LittleEndian.Uint32(head[8:12]) {
			case 0x1A2B3C4D:
				order = binary.LittleEndian
			case 0x4D3C2B1A:
				order = binary.BigEndian
			default:
				return n, fmt.Errorf("sipp: pcapng byte-order magic: %w", errs.ErrInvalid)
			}
		} else {
			typ = order.Uint32(head[:4])
		}
		length := int64(order.Uint32(head[4:8]))
		if length < 12 || length%4 != 0 || (typ == shb && length < 28) {
			return n, fmt.Errorf("sipp: pcapng block length %d: %w", length, errs.ErrInvalid)
		}
		rest := length - 8
		if typ == shb {
			rest -= 4
		}
		if !skip(br, rest) {
			return n, fmt.Errorf("sipp: pcapng block: %w: %w", errTruncated, errs.ErrInvalid)
		}
		switch typ {
		case pktOld, pktSimpl, pktEnh:
			n++
		}
	}
}
