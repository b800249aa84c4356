// Command cti-tail prints a tenant's CTI events as JSON lines, one envelope
// per line, and reconnects when the connection drops, resuming from the
// last seq it printed so nothing is missed or printed twice.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/yimen/yimen/cti/client"
	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/version"
)

const usage = `usage: cti-tail [-url URL] [-token-file FILE] [-topics T1,T2] [-types a,b] [-since SEQ] [-once]
Prints CTI events as JSON lines. The token comes from -token-file or $YIMEN_CTI_TOKEN
(never from the command line, where other users could read it).
Topics: tenant, agent:<id>, queue:<id>.
`

func main() {
	if version.Asked(os.Args[1:]) {
		fmt.Println("cti-tail", version.Get())
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

type options struct {
	url    string
	token  string
	topics []string
	types  map[string]bool
	since  uint64
	resume bool
	once   bool
	pause  time.Duration // first pause before reconnecting
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("cti-tail", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	url := fs.String("url", "ws://127.0.0.1:8080/cti", "the hub's websocket URL")
	tokenFile := fs.String("token-file", "", "file holding the token (default $YIMEN_CTI_TOKEN)")
	topics := fs.String("topics", "tenant", "comma-separated topics")
	types := fs.String("types", "", "print only these event types (comma-separated)")
	since := fs.Int64("since", -1, "replay the events after this seq first")
	once := fs.Bool("once", false, "exit when the connection drops instead of reconnecting")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	o := options{url: *url, topics: splitList(*topics), once: *once, pause: time.Second}
	if *since >= 0 {
		o.since, o.resume = uint64(*since), true
	}
	if *types != "" {
		o.types = map[string]bool{}
		for _, t := range splitList(*types) {
			o.types[t] = true
		}
	}
	for _, t := range o.topics {
		if _, err := protocol.ParseTopic(t); err != nil {
			fmt.Fprintln(stderr, "cti-tail:", err)
			return 2
		}
	}
	tok, err := readToken(*tokenFile, getenv)
	if err != nil {
		fmt.Fprintln(stderr, "cti-tail:", err)
		return 2
	}
	o.token = tok
	if err := tail(ctx, o, stdout, log); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "cti-tail:", err)
		return 1
	}
	return 0
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func readToken(file string, getenv func(string) string) (string, error) {
	if file == "" {
		if t := getenv("YIMEN_CTI_TOKEN"); t != "" {
			return t, nil
		}
		return "", errors.New("no token: set -token-file or $YIMEN_CTI_TOKEN")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return "", fmt.Errorf("%s is empty", file)
	}
	return t, nil
}

// tail connects, resumes from the last seq printed, prints until the
// connection drops, and tries again with a growing pause.
func tail(ctx context.Context, o options, out io.Writer, log *slog.Logger) error {
	var epoch string
	pause := o.pause
	for {
		err := session(ctx, &o, &epoch, out, log)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if o.once {
			return err
		}
		log.Warn("cti-tail: connection lost; reconnecting", "err", err, "in", pause, "last_seq", o.since)
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return ctx.Err()
		}
		pause = min(2*pause, 30*time.Second)
	}
}

// session runs one connection.
func session(ctx context.Context, o *options, epoch *string, out io.Writer, log *slog.Logger) error {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	c, err := client.Dial(dctx, o.url, client.Options{Token: o.token})
	cancel()
	if err != nil {
		return err
	}
	defer c.Close()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if o.resume {
		_, err = c.Resume(sctx, o.since, *epoch, o.topics...)
		var pe *protocol.Error
		if errors.As(err, &pe) && pe.Code == protocol.CodeReplayGap {
			log.Warn("cti-tail: some events were missed", "reason", pe.Message)
			_, err = c.Subscribe(sctx, o.topics...)
		}
	} else {
		_, err = c.Subscribe(sctx, o.topics...)
	}
	if err != nil {
		return err
	}
	*epoch = c.Hello().Epoch
	log.Info("cti-tail: following", "tenant", c.Hello().Tenant, "topics", strings.Join(o.topics, ","), "seq", c.Hello().Seq)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-c.Events():
			if !ok {
				return c.Err()
			}
			if ev.Seq > 0 {
				o.since, o.resume = ev.Seq, true
			}
			if o.types != nil && !o.types[ev.Type] {
				continue
			}
			line, err := json.Marshal(ev)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(out, "%s\n", line); err != nil {
				return err
			}
		}
	}
}
