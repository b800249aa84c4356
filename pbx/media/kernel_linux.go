package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/yimen/yimen/internal/errs"
)

// bpfKernel is the kernel path on Linux: the flow map and the program of
// kernel_prog_linux.go, attached with tcx to the ingress of every interface
// that is up and speaks Ethernet (loopback included). tcx links belong to
// the process: they go when it exits, however it exits, so a killed PBX
// leaves no program behind; other tcx programs on the same interface keep
// running in turn.
type bpfKernel struct {
	flows *ebpf.Map
	prog  *ebpf.Program
	links []link.Link

	// The map's calls go through key and val, so that a sweep, a scrape
	// and a CDR's Stats, which read every flow, allocate nothing:
	// cilium/ebpf copies a key or value given as a Go value into a new
	// buffer, and one given as an unsafe.Pointer not at all.
	mu  sync.Mutex
	key flowKey
	val flowValue
}

// openKernel loads the program and attaches it. It fails, wrapping
// ErrUnavailable, where the kernel or the process's privileges do not allow
// it (no CAP_BPF and CAP_NET_ADMIN, a kernel before 6.6 without tcx).
func openKernel(maxFlows int) (kernelFlows, error) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		// The program compares the wire's bytes as little-endian words.
		return nil, fmt.Errorf("media: kernel path: needs a little-endian host: %w", errs.ErrUnavailable)
	}
	flows, err := ebpf.NewMap(&ebpf.MapSpec{
		Name:       "yimen_flows",
		Type:       ebpf.Hash,
		KeySize:    flowKeySize,
		ValueSize:  flowValueSize,
		MaxEntries: uint32(max(1, maxFlows)),
		// Entries are freed after an RCU grace period, so a packet being
		// forwarded while its flow is withdrawn never counts into a reused one.
		Flags: unix.BPF_F_NO_PREALLOC,
	})
	if err != nil {
		return nil, fmt.Errorf("media: kernel path: flow map: %w: %w", err, errs.ErrUnavailable)
	}
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Name:         "yimen_rtp_fwd",
		Type:         ebpf.SchedCLS,
		AttachType:   ebpf.AttachTCXIngress,
		Instructions: forwardProgram(flows.FD()),
		License:      "Dual MIT/GPL",
	})
	if err != nil {
		flows.Close()
		return nil, fmt.Errorf("media: kernel path: program: %w: %w", err, errs.ErrUnavailable)
	}
	k := &bpfKernel{flows: flows, prog: prog}
	ifs, err := net.Interfaces()
	if err != nil {
		k.close()
		return nil, fmt.Errorf("media: kernel path: interfaces: %w: %w", err, errs.ErrUnavailable)
	}
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || (ifc.Flags&net.FlagLoopback == 0 && len(ifc.HardwareAddr) != 6) {
			continue // down, or not Ethernet: the program reads an Ethernet header
		}
		l, err := link.AttachTCX(link.TCXOptions{Interface: ifc.Index, Program: prog, Attach: ebpf.AttachTCXIngress})
		if err != nil {
			k.close()
			return nil, fmt.Errorf("media: kernel path: attach to %s: %w: %w", ifc.Name, err, errs.ErrUnavailable)
		}
		k.links = append(k.links, l)
	}
	if len(k.links) == 0 {
		k.close()
		return nil, fmt.Errorf("media: kernel path: no interface to attach to: %w", errs.ErrUnavailable)
	}
	return k, nil
}

// monotonicToWall turns a CLOCK_MONOTONIC reading (bpf_ktime_get_ns) into
// unix nanoseconds.
func monotonicToWall(mono uint64) int64 {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) != nil {
		return time.Now().UnixNano()
	}
	return time.Now().UnixNano() - (ts.Nano() - int64(mono))
}

func (k *bpfKernel) put(key flowKey, v flowValue) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.key, k.val = key, v
	if err := k.flows.Put(unsafe.Pointer(&k.key), unsafe.Pointer(&k.val)); err != nil {
		return fmt.Errorf("media: kernel path: add flow: %w", err)
	}
	return nil
}

func (k *bpfKernel) read(key flowKey) (flowValue, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.key = key
	if k.flows.Lookup(unsafe.Pointer(&k.key), unsafe.Pointer(&k.val)) != nil {
		return flowValue{}, false
	}
	return k.val, true
}

func (k *bpfKernel) take(key flowKey) (flowValue, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.key = key
	if err := k.flows.LookupAndDelete(unsafe.Pointer(&k.key), unsafe.Pointer(&k.val)); err != nil {
		if !errors.Is(err, ebpf.ErrKeyNotExist) {
			_ = k.flows.Delete(unsafe.Pointer(&k.key)) // a kernel without lookup-and-delete on hashes
		}
		return flowValue{}, false
	}
	return k.val, true
}

func (k *bpfKernel) close() error {
	var errList []error
	for _, l := range k.links {
		errList = append(errList, l.Close())
	}
	if k.prog != nil {
		errList = append(errList, k.prog.Close())
	}
	errList = append(errList, k.flows.Close())
	return errors.Join(errList...)
}
