//go:build !linux

package media

import (
	"fmt"

	"github.com/yimen/yimen/internal/errs"
)

// openKernel: in-kernel forwarding is Linux's (tc and eBPF).
func openKernel(int) (kernelFlows, error) {
	return nil, fmt.Errorf("media: kernel path: needs Linux: %w", errs.ErrUnavailable)
}
