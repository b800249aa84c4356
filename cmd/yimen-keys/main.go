// Command yimen-keys manages yimen's master key and data keys: it generates a
// master key file, re-wraps every data key under a new master key, adds data
// key versions and lists what is stored (fingerprints only, never keys).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/internal/store"
	"github.com/yimen/yimen/internal/version"
)

const usage = `usage:
  yimen-keys gen-master -out FILE          write a new master key (mode 0600; never overwrites)
  yimen-keys rotate -db DB [-key-file OLD] -new-key-file NEW
                                           re-wrap every data key under NEW (OLD defaults to $YIMEN_MASTER_KEY)
  yimen-keys new-version -db DB [-key-file K] NAME
                                           add a data key version; new data is sealed with it
  yimen-keys list -db DB [-key-file K]     list data keys and the master key fingerprint
`

func main() {
	if version.Asked(os.Args[1:]) {
		fmt.Println("yimen-keys", version.Get())
		return
	}
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "file to write the new master key to")
	dbPath := fs.String("db", "", "path of the yimen SQLite database")
	keyFile := fs.String("key-file", "", "current master key file (default: $"+keys.EnvMasterKey+")")
	newKeyFile := fs.String("new-key-file", "", "new master key file")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	var err error
	switch args[0] {
	case "gen-master":
		err = genMaster(*out, stdout)
	case "rotate", "list", "new-version":
		err = withManager(ctx, *dbPath, *keyFile, getenv, log, func(m *keys.Manager) error {
			switch args[0] {
			case "rotate":
				return rotate(ctx, m, *newKeyFile, stdout)
			case "new-version":
				if fs.NArg() != 1 {
					return errors.New("new-version takes one key name")
				}
				v, err := m.NewVersion(ctx, fs.Arg(0))
				if err == nil {
					fmt.Fprintf(stdout, "%s now at version %d\n", fs.Arg(0), v)
				}
				return err
			default:
				return list(ctx, m, stdout)
			}
		})
	default:
		fmt.Fprint(stderr, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "yimen-keys:", err)
		return 1
	}
	return 0
}

func genMaster(path string, stdout io.Writer) error {
	if path == "" {
		return errors.New("gen-master needs -out FILE (keys are not printed to the terminal)")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, keys.GenerateMasterKey()+"\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	k, err := keys.LoadMasterKeyFile(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (fingerprint %s)\n", path, k.ID())
	return nil
}

func withManager(ctx context.Context, dbPath, keyFile string, getenv func(string) string, log *slog.Logger, fn func(*keys.Manager) error) error {
	if dbPath == "" {
		return errors.New("-db is required")
	}
	master, err := keys.LoadMasterKey(keyFile, getenv)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := keys.Open(ctx, db, master, log)
	if err != nil {
		return err
	}
	return fn(m)
}

func rotate(ctx context.Context, m *keys.Manager, newKeyFile string, stdout io.Writer) error {
	if newKeyFile == "" {
		return errors.New("rotate needs -new-key-file")
	}
	next, err := keys.LoadMasterKeyFile(newKeyFile)
	if err != nil {
		return err
	}
	from := m.MasterID()
	if next.ID() == from {
		return errors.New("the new master key is the current one")
	}
	n, err := m.Rotate(ctx, next)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "re-wrapped %d data key versions: master %s -> %s; restart services with the new key\n", n, from, next.ID())
	return nil
}

func list(ctx context.Context, m *keys.Manager, stdout io.Writer) error {
	infos, err := m.List(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "master %s\n", m.MasterID())
	for _, k := range infos {
		fmt.Fprintf(stdout, "%-24s v%-3d master=%s created=%s\n", k.Name, k.Version, k.MasterID, k.CreatedAt)
	}
	return nil
}
