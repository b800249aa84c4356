package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// ErrInUse is returned when another process owns the database: a second
// PBX on the same data directory, or a restore while the PBX runs.
var ErrInUse = errors.New("store: database in use by another process")

// LockOwner takes the owner's lock of the database at path (an exclusive
// flock on path+".lock", holding the owner's pid for the operator). The
// kernel drops it when the process dies, so a kill -9 leaves no stale lock.
func LockOwner(path string) (release func() error, err error) {
	f, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: owner lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		pid, _ := os.ReadFile(path + ".lock")
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s (pid %s)", ErrInUse, path, string(pid))
		}
		return nil, fmt.Errorf("store: owner lock: %w", err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())), 0)
	return f.Close, nil
}

// OpenOwned is Open for the process that owns the database (the PBX, the
// OA): it fails with ErrInUse while another process owns it, and Close
// gives the ownership up. Tools that read or repair a live database (audit
// verification, backups) use Open.
func OpenOwned(ctx context.Context, path string) (*DB, error) {
	if path == ":memory:" {
		return Open(ctx, path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: create %s: %w", dir, err)
		}
	}
	release, err := LockOwner(path)
	if err != nil {
		return nil, err
	}
	db, err := Open(ctx, path)
	if err != nil {
		release()
		return nil, err
	}
	db.release = release
	return db, nil
}
