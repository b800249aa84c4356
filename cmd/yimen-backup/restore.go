package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/store"
)

// verify checks every file of the snapshot in dir against its manifest and
// each database's integrity.
func verify(ctx context.Context, dir string) (*manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("%s is not a finished snapshot: %w", dir, err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if len(m.Databases) == 0 {
		return nil, errors.New("manifest: no databases")
	}
	for _, want := range append(append([]fileEntry(nil), m.Databases...), m.Recordings...) {
		name := filepath.FromSlash(want.Name)
		if filepath.IsAbs(name) || strings.HasPrefix(filepath.Clean(name), "..") {
			return nil, fmt.Errorf("manifest: %q leaves the snapshot", want.Name)
		}
		got, err := entry(dir, name)
		if err != nil {
			return nil, err
		}
		if got.SM3 != want.SM3 || got.Size != want.Size {
			return nil, fmt.Errorf("%s: SM3 %s (%d bytes), manifest says %s (%d bytes): the snapshot was altered or damaged", want.Name, got.SM3, got.Size, want.SM3, want.Size)
		}
	}
	// The integrity check runs on a scratch copy, so the snapshot itself
	// is never opened for writing.
	tmp, err := os.MkdirTemp("", "yimen-verify-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	for _, d := range m.Databases {
		c := filepath.Join(tmp, filepath.Base(d.Name))
		if err := copyFile(filepath.Join(dir, filepath.FromSlash(d.Name)), c); err != nil {
			return nil, err
		}
		if err := checkIntegrity(ctx, c); err != nil {
			return nil, fmt.Errorf("%s: %w", d.Name, err)
		}
	}
	return &m, nil
}

func restoreCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "the snapshot directory")
	cfgPath := fs.String("config", "", "the PBX's configuration file")
	force := fs.Bool("force", false, "move existing databases aside instead of refusing")
	var extra multiFlag
	fs.Var(&extra, "db", "where another database of the snapshot goes (repeatable; matched by file name)")
	if err := fs.Parse(args); err != nil || *from == "" || *cfgPath == "" {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	p, err := pathsOf(*cfgPath)
	if err != nil {
		return err
	}
	m, err := restore(ctx, *from, p, extra, *force, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %d databases and %d recordings from the snapshot of %s\n", len(m.Databases), len(m.Recordings), m.Created.Format(time.RFC3339))
	return nil
}

func restore(ctx context.Context, from string, p paths, extra []string, force bool, now time.Time) (*manifest, error) {
	m, err := verify(ctx, from)
	if err != nil {
		return nil, err
	}
	// Where each database goes: the first is the PBX's; the others by name.
	targets := map[string]string{}
	for i, d := range m.Databases {
		name := filepath.Base(d.Name)
		if i == 0 {
			targets[d.Name] = p.db
			continue
		}
		for _, e := range extra {
			if filepath.Base(e) == name {
				targets[d.Name] = e
			}
		}
		if targets[d.Name] == "" {
			return nil, fmt.Errorf("the snapshot holds %s: say where it goes with -db PATH/%s", name, name)
		}
	}
	// Hold every owner's lock for the whole restore: no PBX or OA may
	// start on a half-restored database, and none may be running now.
	for _, d := range m.Databases {
		dst := targets[d.Name]
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return nil, err
		}
		release, err := store.LockOwner(dst)
		if err != nil {
			if errors.Is(err, store.ErrInUse) {
				return nil, fmt.Errorf("%w: stop the process that owns it before restoring", err)
			}
			return nil, err
		}
		defer release()
	}
	for _, d := range m.Databases {
		dst := targets[d.Name]
		if _, err := os.Stat(dst); err == nil {
			if !force {
				return nil, fmt.Errorf("%s exists: restore onto an empty data directory, or pass -force to move it aside", dst)
			}
			suffix := ".before-restore-" + now.UTC().Format("20060102T150405Z")
			for _, ext := range []string{"", "-wal", "-shm"} {
				if err := os.Rename(dst+ext, dst+suffix+ext); err != nil && !errors.Is(err, os.ErrNotExist) {
					return nil, err
				}
			}
		}
		tmp := dst + ".restoring"
		if err := copyFile(filepath.Join(from, filepath.FromSlash(d.Name)), tmp); err != nil {
			return nil, err
		}
		if err := os.Rename(tmp, dst); err != nil {
			return nil, err
		}
	}
	for _, r := range m.Recordings {
		rel := strings.TrimPrefix(r.Name, "recordings/")
		dst := filepath.Join(p.recordings, filepath.FromSlash(rel))
		if got, err := entry(p.recordings, filepath.FromSlash(rel)); err == nil && got.SM3 == r.SM3 {
			continue // already there, the same bytes
		}
		if err := copyFile(filepath.Join(from, filepath.FromSlash(r.Name)), dst); err != nil {
			return nil, err
		}
	}
	return m, nil
}
