// Command yimen-backup takes a consistent online snapshot of yimen's
// databases and the recordings the index lists, verifies one, and restores
// one onto a stopped PBX. The snapshot holds data as stored: sealed fields
// and recordings stay encrypted under the data keys, which are wrapped by
// the master key; the master key is never in a backup and is kept apart.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/yimen/yimen/internal/version"
)

const usage = `usage:
  yimen-backup snapshot -config CFG -out DIR [-db EXTRA.db ...]
        copy the PBX's database (and each -db, e.g. the OA's) with VACUUM INTO while
        they are in use, then the finished recordings the copied index lists; DIR must
        not exist; a manifest.json with each file's SM3 is written last
  yimen-backup verify DIR
        check every file against the manifest and each database's integrity
  yimen-backup restore -from DIR -config CFG [-db EXTRA.db ...] [-force]
        verify DIR, then put its databases and recordings in place; refused while a
        PBX owns the database; an existing database is refused, or with -force moved
        aside as NAME.before-restore-TIME
`

func main() {
	if version.Asked(os.Args[1:]) {
		fmt.Println("yimen-backup", version.Get())
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "snapshot":
		err = snapshotCmd(ctx, args[1:], stdout, stderr)
	case "verify":
		if len(args) != 2 {
			fmt.Fprint(stderr, usage)
			return 2
		}
		var m *manifest
		m, err = verify(ctx, args[1])
		if err == nil {
			fmt.Fprintf(stdout, "ok: %d databases, %d recordings, taken %s by %s\n", len(m.Databases), len(m.Recordings), m.Created, m.Version)
		}
	case "restore":
		err = restoreCmd(ctx, args[1:], stdout, stderr)
	default:
		fmt.Fprint(stderr, usage)
		return 2
	}
	if err == errUsage {
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "yimen-backup:", err)
		return 1
	}
	return 0
}
