// Command yimen-audit checks and exports yimen's audit log: verify walks the
// HMAC-SM3 chain and the SM2 head signatures and names the first broken row;
// export writes entries as CSV; keygen makes the SM2 key pair that signs
// chain heads.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/gm"
	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/internal/store"
	"github.com/yimen/yimen/internal/version"
)

const usage = `usage:
  yimen-audit verify -db DB -pub SIGNER.pub [-key-file MASTER] [-head FILE] [-max-age DURATION]
        check every row and signature; exit 3 and name the first broken row if any.
        -head: a head kept earlier (yimen-audit head, or an "audit head signed" log
        line) that the log must still hold; -max-age: the newest signature must be
        at most this old (a running PBX signs every security.audit_sign_interval)
  yimen-audit head -db DB -pub SIGNER.pub [-key-file MASTER] [-out FILE]
        print the newest signed head, to keep away from the database
  yimen-audit export -db DB [-key-file MASTER] [-out FILE] [-from RFC3339] [-to RFC3339]
                     [-tenant T] [-actor A] [-action A]
        write entries as CSV
  yimen-audit keygen -out FILE
        write an SM2 signing key (mode 0600) and its public key FILE.pub
The master key comes from -key-file or $YIMEN_MASTER_KEY.
`

func main() {
	if version.Asked(os.Args[1:]) {
		fmt.Println("yimen-audit", version.Get())
		return
	}
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", "", "yimen SQLite database")
	keyFile := fs.String("key-file", "", "master key file (default $"+keys.EnvMasterKey+")")
	pubFile := fs.String("pub", "", "trusted SM2 public key of the audit signer (PEM)")
	out := fs.String("out", "", "output file")
	from := fs.String("from", "", "first time (RFC 3339)")
	to := fs.String("to", "", "end time, exclusive (RFC 3339)")
	tenant := fs.String("tenant", "", "tenant")
	actor := fs.String("actor", "", "actor")
	action := fs.String("action", "", "action or action prefix, e.g. auth")
	headFile := fs.String("head", "", "a head kept earlier that the log must still hold (file with one head line)")
	maxAge := fs.Duration("max-age", 0, "fail when the newest head signature is older than this")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	var err error
	code := 0
	switch args[0] {
	case "keygen":
		err = keygen(*out, stdout)
	case "verify":
		if *pubFile == "" {
			err = errors.New("verify needs -pub: signatures must be checked against a key you trust, not one stored beside the log")
			break
		}
		want := audit.Expect{MaxAge: *maxAge, Now: time.Now()}
		if *headFile != "" {
			b, rerr := os.ReadFile(*headFile)
			if rerr != nil {
				err = rerr
				break
			}
			h, perr := audit.ParseHead(lastHeadLine(string(b)))
			if perr != nil {
				err = fmt.Errorf("-head %s: %w", *headFile, perr)
				break
			}
			want.Head = &h
		}
		err = withLog(ctx, *dbPath, *keyFile, *pubFile, getenv, func(l *audit.Log) error {
			rep, err := l.VerifyExpecting(ctx, want)
			if err != nil {
				return err
			}
			if !rep.OK {
				fmt.Fprintf(stdout, "BROKEN at row %d: %s\n", rep.BrokenRow, rep.Reason)
				code = 3
				return nil
			}
			fmt.Fprintf(stdout, "OK: %d rows (%d..%d), %d signatures (newest head %d), signed through row %d, %d unsigned rows at the end, anchor %d\n",
				rep.Rows, rep.FirstRow, rep.LastRow, rep.Signatures, rep.LastSeq, rep.LastSigned, rep.UnsignedTail, rep.AnchorID)
			return nil
		})
	case "head":
		if *pubFile == "" {
			err = errors.New("head needs -pub: the head is checked before it is handed out")
			break
		}
		err = withLog(ctx, *dbPath, *keyFile, *pubFile, getenv, func(l *audit.Log) error {
			rep, err := l.Verify(ctx)
			if err != nil {
				return err
			}
			if !rep.OK {
				code = 3
				fmt.Fprintf(stdout, "BROKEN at row %d: %s\n", rep.BrokenRow, rep.Reason)
				return nil
			}
			h, err := l.Head(ctx)
			if err != nil {
				return err
			}
			if *out == "" {
				fmt.Fprintln(stdout, h.String())
				return nil
			}
			return os.WriteFile(*out, []byte(h.String()+"\n"), 0o600)
		})
	case "export":
		var f audit.Filter
		f, err = filter(*from, *to, *tenant, *actor, *action)
		if err != nil {
			break
		}
		err = withLog(ctx, *dbPath, *keyFile, *pubFile, getenv, func(l *audit.Log) error {
			w := stdout
			if *out != "" {
				file, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
				if err != nil {
					return err
				}
				defer file.Close()
				w = file
			}
			n, err := l.ExportCSV(ctx, w, f)
			if err == nil && *out != "" {
				fmt.Fprintf(stderr, "exported %d rows to %s\n", n, *out)
			}
			return err
		})
	default:
		fmt.Fprint(stderr, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "yimen-audit:", err)
		return 1
	}
	return code
}

// lastHeadLine picks the newest head in a file of heads or log lines.
func lastHeadLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], "yimen-audit-head-v2 ") {
			return lines[i]
		}
	}
	return s
}

func filter(from, to, tenant, actor, action string) (audit.Filter, error) {
	f := audit.Filter{Tenant: tenant, Actor: actor, Action: action}
	var err error
	if from != "" {
		if f.From, err = time.Parse(time.RFC3339, from); err != nil {
			return f, fmt.Errorf("-from: %w", err)
		}
	}
	if to != "" {
		if f.To, err = time.Parse(time.RFC3339, to); err != nil {
			return f, fmt.Errorf("-to: %w", err)
		}
	}
	return f, nil
}

func withLog(ctx context.Context, dbPath, keyFile, pubFile string, getenv func(string) string, fn func(*audit.Log) error) error {
	if dbPath == "" {
		return errors.New("-db is required")
	}
	if _, err := os.Stat(dbPath); err != nil {
		return err
	}
	master, err := keys.LoadMasterKey(keyFile, getenv)
	if err != nil {
		return err
	}
	var pub *gm.PublicKey
	if pubFile != "" {
		b, err := os.ReadFile(pubFile)
		if err != nil {
			return err
		}
		if pub, err = gm.DecodePublicKeyPEM(b); err != nil {
			return err
		}
	}
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	km, err := keys.Open(ctx, db, master, nil)
	if err != nil {
		return err
	}
	ring, err := km.Keyring(ctx, "audit")
	if err != nil {
		return err
	}
	l, err := audit.New(ctx, audit.Config{}, audit.Deps{DB: db, Keys: ring, Verifier: pub})
	if err != nil {
		return err
	}
	return fn(l)
}

func keygen(path string, stdout io.Writer) error {
	if path == "" {
		return errors.New("keygen needs -out FILE")
	}
	k, err := gm.GenerateKey()
	if err != nil {
		return err
	}
	priv, err := gm.EncodePrivateKeyPEM(k)
	if err != nil {
		return err
	}
	pub, err := gm.EncodePublicKeyPEM(&k.PublicKey)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(priv); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(path+".pub", pub, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s and %s.pub\n", path, path)
	return nil
}
