//go:build !linux

package media

import (
	"fmt"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

// openKernel: in-kernel forwarding is Linux's (tc and eBPF).
func openKernel(int) (kernelFlows, error) {
	return nil, fmt.Errorf("media: kernel path: needs Linux: %w", errs.ErrUnavailable)
}

// monotonicToWall is never reached without the kernel path.
func monotonicToWall(uint64) int64 { return time.Now().UnixNano() }
