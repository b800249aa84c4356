package recorder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/yimen/yimen/internal/errs"
)

// Storage keeps recording files at rest. Names are slash-separated paths
// relative to the storage root. A plain directory and an SM4-sealed one
// implement it, so encryption never touches the recording code.
type Storage interface {
	// Create makes a new file; it fails with ErrConflict if name exists.
	Create(ctx context.Context, name string) (Sink, error)
	// Open reads a finished file's plaintext.
	Open(ctx context.Context, name string) (Blob, error)
	// Repair opens a file a crash interrupted for editing, after dropping
	// any torn tail, so its header can be fixed.
	Repair(ctx context.Context, name string) (Editor, error)
	// Remove deletes a file; a missing file is not an error.
	Remove(name string) error
	// Rename moves a file within the storage (deletion goes through a
	// rename so the file and its index row disappear together).
	Rename(from, to string) error
	// Root is the directory the names are relative to.
	Root() string
}

// Sink receives a recording as it is written.
type Sink interface {
	io.Writer
	// Patch rewrites bytes already written, e.g. the WAV header's sizes.
	Patch(off int64, p []byte) error
	// Close makes everything written durable and releases the file.
	Close() error
}

// Blob is a stored file's plaintext, readable at any offset (for Range).
type Blob interface {
	io.ReaderAt
	Size() int64
	Close() error
}

// Editor is a Blob that can also be patched, for recovery.
type Editor interface {
	Blob
	Patch(off int64, p []byte) error
	// Truncate shortens the plaintext to n bytes.
	Truncate(n int64) error
}

// plainStorage stores files as they are.
type plainStorage struct{ root string }

// NewPlainStorage stores recordings unencrypted under root.
func NewPlainStorage(root string) Storage { return &plainStorage{root: root} }

func (s *plainStorage) Root() string { return s.root }

func (s *plainStorage) path(name string) (string, error) {
	if name == "" || !filepath.IsLocal(filepath.FromSlash(name)) {
		return "", fmt.Errorf("recorder: file name %q: %w", name, errs.ErrInvalid)
	}
	return filepath.Join(s.root, filepath.FromSlash(name)), nil
}

// createFile makes the directories and the file (mode 0600, exclusive).
func createFile(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("recorder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("recorder: %s exists: %w", filepath.Base(path), errs.ErrConflict)
	}
	if err != nil {
		return nil, fmt.Errorf("recorder: %w", err)
	}
	return f, nil
}

func openFile(path string, flag int) (*os.File, int64, error) {
	f, err := os.OpenFile(path, flag, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, fmt.Errorf("recorder: %s: %w", filepath.Base(path), errs.ErrNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("recorder: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("recorder: %w", err)
	}
	return f, st.Size(), nil
}

func (s *plainStorage) Create(_ context.Context, name string) (Sink, error) {
	p, err := s.path(name)
	if err != nil {
		return nil, err
	}
	f, err := createFile(p)
	if err != nil {
		return nil, err
	}
	return &plainFile{f: f, writable: true}, nil
}

func (s *plainStorage) Open(_ context.Context, name string) (Blob, error) {
	p, err := s.path(name)
	if err != nil {
		return nil, err
	}
	f, size, err := openFile(p, os.O_RDONLY)
	if err != nil {
		return nil, err
	}
	return &plainFile{f: f, size: size}, nil
}

func (s *plainStorage) Repair(_ context.Context, name string) (Editor, error) {
	p, err := s.path(name)
	if err != nil {
		return nil, err
	}
	f, size, err := openFile(p, os.O_RDWR)
	if err != nil {
		return nil, err
	}
	return &plainFile{f: f, size: size, writable: true}, nil
}

func (s *plainStorage) Remove(name string) error {
	p, err := s.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("recorder: %w", err)
	}
	return nil
}

func (s *plainStorage) Rename(from, to string) error { return renameIn(s.path, from, to) }

func renameIn(path func(string) (string, error), from, to string) error {
	a, err := path(from)
	if err != nil {
		return err
	}
	b, err := path(to)
	if err != nil {
		return err
	}
	if err := os.Rename(a, b); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("recorder: %s: %w", from, errs.ErrNotFound)
		}
		return fmt.Errorf("recorder: %w", err)
	}
	return nil
}

// plainFile is a Sink, Blob and Editor over one *os.File.
type plainFile struct {
	f        *os.File
	size     int64
	writable bool
}

func (p *plainFile) Write(b []byte) (int, error) {
	n, err := p.f.Write(b)
	p.size += int64(n)
	return n, err
}

func (p *plainFile) Patch(off int64, b []byte) error {
	if off < 0 || off+int64(len(b)) > p.size {
		return fmt.Errorf("recorder: patch outside the file: %w", errs.ErrInvalid)
	}
	_, err := p.f.WriteAt(b, off)
	return err
}

func (p *plainFile) Truncate(n int64) error {
	if err := p.f.Truncate(n); err != nil {
		return err
	}
	p.size = n
	return nil
}

func (p *plainFile) ReadAt(b []byte, off int64) (int, error) { return p.f.ReadAt(b, off) }

func (p *plainFile) Size() int64 { return p.size }

// Close syncs a file that was written, so a finished recording survives
// a power cut and not just a crash of the process.
func (p *plainFile) Close() error {
	var serr error
	if p.writable {
		serr = p.f.Sync()
	}
	return errors.Join(serr, p.f.Close())
}
