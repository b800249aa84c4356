// Command flood sends the traffic a SIP server on the internet gets from
// attackers, at a fixed rate, from several loopback source addresses: garbage
// datagrams, scanner OPTIONS (User-Agent friendly-scanner, sipvicious) and
// password guessing (REGISTER, then on the 401 a REGISTER with a digest made
// from a wrong password, as svcrack does). It is a load generator for
// bench/flood.sh and refuses any address outside 127.0.0.0/8 and ::1.
//
// usage:
//
//	flood -target 127.0.0.10:5060 -sources 127.0.0.50-127.0.0.59 -rate 20000 -duration 30s
//
// It stops after -duration or -count messages, whichever comes first, and
// prints a JSON summary (messages sent by kind, answers received by status)
// on stdout.
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
	"syscall"
	"time"
)

// Hard ceilings: the tool floods loopback for a benchmark, nothing more.
const (
	maxRate     = 100_000
	maxDuration = 10 * time.Minute
	maxSources  = 64
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		log.Error("flood", "err", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, out io.Writer) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	f, err := newFlooder(cfg)
	if err != nil {
		return err
	}
	sum := f.run(ctx)
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(sum)
}

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("flood", flag.ContinueOnError)
	target := fs.String("target", "127.0.0.10:5060", "SIP server, UDP host:port on loopback")
	sources := fs.String("sources", "127.0.0.50-127.0.0.59", "source addresses: a range A-B or a comma list, loopback only")
	rate := fs.Int("rate", 20000, "messages per second, all sources together")
	dur := fs.Duration("duration", 30*time.Second, "how long to send")
	count := fs.Int("count", 0, "stop after this many messages (0: rate × duration)")
	mix := fs.String("mix", "garbage=40,scanner=30,register=30", "share of each kind, in percent")
	users := fs.String("users", "1000-1899", "extensions the password guesser tries")
	if err := fs.Parse(args); err != nil {
		return config{}, fmt.Errorf("%w: %w", errUsage, err)
	}
	return newConfig(*target, *sources, *rate, *dur, *count, *mix, *users)
}
