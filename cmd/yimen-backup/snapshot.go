package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/gm"
	"github.com/yimen/yimen/internal/store"
	"github.com/yimen/yimen/internal/version"
)

var errUsage = errors.New("usage")

// manifest describes a snapshot; it is written last, so a directory
// without one is an interrupted snapshot.
type manifest struct {
	Version    string      `json:"version"`
	Created    time.Time   `json:"created"`
	Databases  []fileEntry `json:"databases"`
	Recordings []fileEntry `json:"recordings"`
	// Recordings the index lists that were not copied: still being
	// written when the snapshot was taken, or their file gone.
	InProgress int      `json:"in_progress"`
	Missing    []string `json:"missing,omitempty"`
}

type fileEntry struct {
	Name string `json:"name"` // relative to the snapshot (databases/, recordings/)
	Size int64  `json:"size"`
	SM3  string `json:"sm3"`
}

// paths are where a configuration keeps the PBX's database and recordings.
type paths struct {
	db, recordings string
}

func pathsOf(cfgPath string) (paths, error) {
	cfg, err := config.Load(cfgPath, os.Environ())
	if err != nil {
		return paths{}, err
	}
	p := paths{db: cfg.Store.Path, recordings: cfg.Recording.Dir}
	if p.db == "" {
		p.db = filepath.Join(cfg.DataDir, "yimen.db")
	}
	if p.recordings == "" {
		p.recordings = filepath.Join(cfg.DataDir, "recordings")
	}
	return p, nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func snapshotCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("snapshot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "the PBX's configuration file")
	out := fs.String("out", "", "directory to create for the snapshot")
	var extra multiFlag
	fs.Var(&extra, "db", "another database to include (repeatable), e.g. the OA's")
	if err := fs.Parse(args); err != nil || *cfgPath == "" || *out == "" {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	p, err := pathsOf(*cfgPath)
	if err != nil {
		return err
	}
	start := time.Now()
	m, err := snapshot(ctx, p, extra, *out)
	if err != nil {
		return err
	}
	var bytes int64
	for _, f := range append(m.Databases, m.Recordings...) {
		bytes += f.Size
	}
	fmt.Fprintf(stdout, "snapshot %s: %d databases, %d recordings (%d still being written, %d missing), %d bytes in %s\n",
		*out, len(m.Databases), len(m.Recordings), m.InProgress, len(m.Missing), bytes, time.Since(start).Round(time.Millisecond))
	return nil
}

func snapshot(ctx context.Context, p paths, extra []string, out string) (*manifest, error) {
	if _, err := os.Stat(out); err == nil {
		return nil, fmt.Errorf("%s exists: a snapshot goes into a new directory", out)
	}
	if err := os.MkdirAll(filepath.Join(out, "databases"), 0o700); err != nil {
		return nil, err
	}
	m := &manifest{Version: version.Get().String(), Created: time.Now().UTC()}
	names := map[string]bool{}
	for i, src := range append([]string{p.db}, extra...) {
		name := filepath.Base(src)
		if names[name] {
			return nil, fmt.Errorf("two databases named %s", name)
		}
		names[name] = true
		dst := filepath.Join(out, "databases", name)
		if err := vacuumInto(ctx, src, dst); err != nil {
			return nil, err
		}
		if i == 0 {
			// The recordings the copied index lists as finished: the
			// index and the files then agree, whatever was written since.
			if err := copyRecordings(ctx, dst, p.recordings, out, m); err != nil {
				return nil, err
			}
		}
		if err := checkIntegrity(ctx, dst); err != nil {
			return nil, err
		}
		// Hashed once nothing has it open any more.
		e, err := entry(out, filepath.Join("databases", name))
		if err != nil {
			return nil, err
		}
		m.Databases = append(m.Databases, e)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return m, writeFileSync(filepath.Join(out, "manifest.json"), b)
}

// vacuumInto writes a consistent copy of a live database: VACUUM INTO reads
// it in one transaction, so writers carry on and the copy is a single
// point in time.
func vacuumInto(ctx context.Context, src, dst string) error {
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("database %s: %w", src, err)
	}
	db, err := store.Open(ctx, src)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.SQL().ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return os.Chmod(dst, 0o600)
}

func copyRecordings(ctx context.Context, snapDB, dir, out string, m *manifest) error {
	sdb, err := store.Open(ctx, snapDB)
	if err != nil {
		return err
	}
	defer sdb.Close()
	db := sdb.SQL()
	var exists int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='recordings'`).Scan(&exists); err != nil {
		return fmt.Errorf("read the copied index: %w", err)
	}
	if exists == 0 {
		return nil
	}
	rows, err := db.QueryContext(ctx, `SELECT path, state FROM recordings ORDER BY path`)
	if err != nil {
		return fmt.Errorf("read the copied index: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var rel, state string
		if err := rows.Scan(&rel, &state); err != nil {
			return err
		}
		if state != "complete" && state != "recovered" {
			m.InProgress++
			continue
		}
		clean := filepath.Clean(rel)
		if filepath.IsAbs(clean) || strings.HasPrefix(clean, "..") {
			return fmt.Errorf("recording path %q leaves the recordings directory", rel)
		}
		name := filepath.Join("recordings", clean)
		if err := copyFile(filepath.Join(dir, clean), filepath.Join(out, name)); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				m.Missing = append(m.Missing, clean)
				continue
			}
			return err
		}
		e, err := entry(out, name)
		if err != nil {
			return err
		}
		m.Recordings = append(m.Recordings, e)
	}
	return rows.Err()
}

func entry(root, name string) (fileEntry, error) {
	f, err := os.Open(filepath.Join(root, name))
	if err != nil {
		return fileEntry{}, err
	}
	defer f.Close()
	h := gm.NewSM3()
	n, err := io.Copy(h, f)
	if err != nil {
		return fileEntry{}, err
	}
	return fileEntry{Name: filepath.ToSlash(name), Size: n, SM3: hex.EncodeToString(h.Sum(nil))}, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func writeFileSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// checkIntegrity runs SQLite's integrity check on a copy.
func checkIntegrity(ctx context.Context, path string) error {
	db, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	var res string
	if err := db.SQL().QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return fmt.Errorf("%s: integrity check: %w", path, err)
	}
	if res != "ok" {
		return fmt.Errorf("%s: integrity check: %s", path, res)
	}
	return nil
}
