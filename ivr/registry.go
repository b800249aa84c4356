package ivr

import (
	"io/fs"
	"sync"
	"sync/atomic"
)

// Registry holds the live Set of flows. Reload loads a new version and swaps
// it in atomically only if every flow is good; a call takes Current once at
// its start and keeps that Set to its end, so a reload never changes a flow
// under a caller.
type Registry struct {
	loader Loader
	mu     sync.Mutex // one reload at a time, so generations stay ordered
	gen    uint64
	cur    atomic.Pointer[Set]
}

// NewRegistry returns an empty Registry that loads with l.
func NewRegistry(l Loader) *Registry { return &Registry{loader: l} }

// Current is the live Set, or nil before the first successful Reload.
func (r *Registry) Current() *Set { return r.cur.Load() }

// Reload loads the flows in fsys. On success the new Set becomes Current and
// is returned (see its Warnings); on failure Current is unchanged and the
// error lists every problem.
func (r *Registry) Reload(fsys fs.FS) (*Set, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, err := r.loader.Load(fsys)
	if err != nil {
		return nil, err
	}
	r.gen++
	s.gen = r.gen
	r.cur.Store(s)
	return s, nil
}
