package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"time"

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
	if err := k.flows.Put(key, v); err != nil {
		return fmt.Errorf("media: kernel path: add flow: %w", err)
	}
	return nil
}

func (k *bpfKernel) read(key flowKey) (flowValue, bool) {
	var v flowValue
	return v, k.flows.Lookup(key, &v) == nil
}

func (k *bpfKernel) take(key flowKey) (flowValue, bool) {
	var v flowValue
	if err := k.flows.LookupAndDelete(key, &v); err != nil {
		if !errors.Is(err, ebpf.ErrKeyNotExist) {
			_ = k.flows.Delete(key) // a kernel without lookup-and-delete on hashes
		}
		return v, false
	}
	return v, true
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
