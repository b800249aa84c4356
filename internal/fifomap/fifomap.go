package fifomap

// Map is a map whose entries are kept in the order they were added, so the
// oldest can be looked at and dropped first. It is not safe for concurrent
// use; its owner locks.
type Map[K comparable, V any] struct {
	byKey map[K]*Entry[K, V]
	order []*Entry[K, V] // order[head:] are kept, oldest first
	head  int
}

// Entry is one key and its value; the value may be changed in place.
type Entry[K comparable, V any] struct {
	Key   K
	Value V
}

// New returns an empty map with room for about hint entries.
func New[K comparable, V any](hint int) *Map[K, V] {
	return &Map[K, V]{byKey: make(map[K]*Entry[K, V], hint)}
}

// Get returns k's entry.
func (m *Map[K, V]) Get(k K) (*Entry[K, V], bool) {
	e, ok := m.byKey[k]
	return e, ok
}

// Add adds k as the newest entry and returns it; a key already there is
// replaced in the map, and its older entry goes when it is the oldest.
func (m *Map[K, V]) Add(k K, v V) *Entry[K, V] {
	e := &Entry[K, V]{Key: k, Value: v}
	m.byKey[k] = e
	m.order = append(m.order, e)
	return e
}

// Oldest returns the entry added first of those kept.
func (m *Map[K, V]) Oldest() (*Entry[K, V], bool) {
	if m.head == len(m.order) {
		return nil, false
	}
	return m.order[m.head], true
}

// DropOldest forgets the oldest entry, if any.
func (m *Map[K, V]) DropOldest() {
	if m.head == len(m.order) {
		return
	}
	e := m.order[m.head]
	if m.byKey[e.Key] == e {
		delete(m.byKey, e.Key)
	}
	m.order[m.head] = nil
	m.head++
	// Once half the slice is dropped entries, move the kept ones down, so
	// the slice's length follows what is kept, not what was ever added.
	if m.head > 1024 && m.head > len(m.order)/2 {
		n := copy(m.order, m.order[m.head:])
		clear(m.order[n:])
		m.order, m.head = m.order[:n], 0
	}
}

// Len is the number of keys kept.
func (m *Map[K, V]) Len() int { return len(m.byKey) }
