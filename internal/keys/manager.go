package keys

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"strconv"
	"sync"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
	"github.com/yimen/yimen/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Manager creates, unwraps, versions and re-wraps data keys.
type Manager struct {
	db  *store.DB
	log *slog.Logger

	mu     sync.Mutex
	master *MasterKey
	rings  map[string]*Keyring
}

// KeyInfo describes one stored data-key version, without the key.
type KeyInfo struct {
	Name      string
	Version   int
	MasterID  string
	CreatedAt string
}

// Open migrates the data_keys table and checks that every stored data key is
// wrapped by master, so a wrong master key fails at start-up, not at the
// first decryption.
func Open(ctx context.Context, db *store.DB, master *MasterKey, log *slog.Logger) (*Manager, error) {
	if master == nil {
		return nil, fmt.Errorf("keys: nil master key: %w", errs.ErrInvalid)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := db.Migrate(ctx, "keys", migrationFiles); err != nil {
		return nil, err
	}
	ids, err := selectMasterIDs(ctx, db.Q(ctx))
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if id != master.ID() {
			return nil, fmt.Errorf("keys: data keys are wrapped by master key %s but the loaded master key is %s: %w", id, master.ID(), errs.ErrForbidden)
		}
	}
	return &Manager{db: db, log: log, master: master, rings: map[string]*Keyring{}}, nil
}

// MasterID is the fingerprint of the master key in use.
func (m *Manager) MasterID() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.master.ID()
}

// validName keeps key names to a small alphabet so they can sit in AAD,
// file names and logs without escaping.
func validName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("keys: key name must be 1-64 characters: %w", errs.ErrInvalid)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("keys: key name %q: only a-z 0-9 . _ - allowed: %w", name, errs.ErrInvalid)
		}
	}
	return nil
}

func wrapAAD(name string, version uint32) []byte {
	return []byte("yimen data key|" + name + "|" + strconv.FormatUint(uint64(version), 10))
}

// Keyring returns the ring for name, creating version 1 on first use.
func (m *Manager) Keyring(ctx context.Context, name string) (*Keyring, error) {
	if err := validName(name); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.rings[name]; ok {
		return r, nil
	}
	ring := newKeyring(name)
	err := m.db.InTx(ctx, func(ctx context.Context) error {
		q := m.db.Q(ctx)
		rows, err := selectKeyVersions(ctx, q, name)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			r, raw, err := m.newVersionRow(name, 1)
			if err != nil {
				return err
			}
			if err := insertKeyVersion(ctx, q, r); err != nil {
				return err
			}
			m.log.InfoContext(ctx, "data key created", "key", name, "version", 1, "master", m.master.ID())
			return ring.add(1, raw)
		}
		for _, r := range rows {
			raw, err := m.unwrap(r)
			if err != nil {
				return err
			}
			if err := ring.add(r.version, raw); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	m.rings[name] = ring
	return ring, nil
}

// NewVersion adds a fresh version of name's data key; the ring seals with it
// from now on and still opens every older version. It returns the version.
func (m *Manager) NewVersion(ctx context.Context, name string) (int, error) {
	ring, err := m.Keyring(ctx, name)
	if err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var added uint32
	var raw []byte
	err = m.db.InTx(ctx, func(ctx context.Context) error {
		q := m.db.Q(ctx)
		maxV, err := maxKeyVersion(ctx, q, name)
		if err != nil {
			return err
		}
		var r wrappedRow
		r, raw, err = m.newVersionRow(name, maxV+1)
		if err != nil {
			return err
		}
		added = maxV + 1
		return insertKeyVersion(ctx, q, r)
	})
	if err != nil {
		return 0, err
	}
	if err := ring.add(added, raw); err != nil {
		return 0, err
	}
	m.log.InfoContext(ctx, "data key version added", "key", name, "version", added)
	return int(added), nil
}

// Rotate re-wraps every data key under next in one transaction and makes
// next the master key of this Manager. The data keys themselves, and thus
// all ciphertexts, are unchanged. It returns how many versions were re-wrapped.
func (m *Manager) Rotate(ctx context.Context, next *MasterKey) (int, error) {
	if next == nil {
		return 0, fmt.Errorf("keys: nil master key: %w", errs.ErrInvalid)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	err := m.db.InTx(ctx, func(ctx context.Context) error {
		q := m.db.Q(ctx)
		rows, err := selectAllKeys(ctx, q)
		if err != nil {
			return err
		}
		for _, r := range rows {
			raw, err := m.unwrap(r)
			if err != nil {
				return err
			}
			a, err := gm.NewAEAD(next.key)
			if err != nil {
				return err
			}
			r.wrapped, err = gm.SealAEAD(a, nil, raw, wrapAAD(r.name, r.version))
			clear(raw)
			if err != nil {
				return err
			}
			r.masterID = next.ID()
			if err := updateWrapped(ctx, q, r); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	m.log.InfoContext(ctx, "master key rotated", "from", m.master.ID(), "to", next.ID(), "rewrapped", n)
	m.master = next
	return n, nil
}

// List describes every stored data-key version.
func (m *Manager) List(ctx context.Context) ([]KeyInfo, error) {
	return selectKeyInfos(ctx, m.db.Q(ctx))
}

func (m *Manager) newVersionRow(name string, version uint32) (wrappedRow, []byte, error) {
	raw := gm.RandomBytes(gm.KeySize)
	a, err := gm.NewAEAD(m.master.key)
	if err != nil {
		return wrappedRow{}, nil, err
	}
	w, err := gm.SealAEAD(a, nil, raw, wrapAAD(name, version))
	if err != nil {
		return wrappedRow{}, nil, err
	}
	return wrappedRow{name: name, version: version, wrapped: w, masterID: m.master.ID()}, raw, nil
}

func (m *Manager) unwrap(r wrappedRow) ([]byte, error) {
	if r.masterID != m.master.ID() {
		return nil, fmt.Errorf("keys: %s v%d is wrapped by master key %s, not %s: %w", r.name, r.version, r.masterID, m.master.ID(), errs.ErrForbidden)
	}
	a, err := gm.NewAEAD(m.master.key)
	if err != nil {
		return nil, err
	}
	raw, err := gm.OpenAEAD(a, nil, r.wrapped, wrapAAD(r.name, r.version))
	if err != nil {
		// Integrity failure of the wrapped key: never say more than which row.
		return nil, fmt.Errorf("keys: unwrap %s v%d: %w", r.name, r.version, err)
	}
	return raw, nil
}
