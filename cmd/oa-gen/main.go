// Command oa-gen fills an OA database with synthetic customers, tickets
// and contact records (1 M / 10 M / 2 M by default) and measures the
// screen-pop lookup and the common queries on it (docs/BENCHMARKS.md):
//
//	go run ./cmd/oa-gen -dir /tmp/oa-bench
//	go run ./cmd/oa-gen -dir /tmp/oa-bench -customers 0 -tickets 0 -contacts 0   # measure again
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/yimen/yimen/cmd/oa/oaboot"
	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/version"
	"github.com/yimen/yimen/oa"
)

func main() {
	if version.Asked(os.Args[1:]) {
		fmt.Println("oa-gen", version.Get())
		return
	}
	dir := flag.String("dir", "data/oa-bench", "data directory (database, master key)")
	customers := flag.Int("customers", 1_000_000, "customers to add")
	tickets := flag.Int("tickets", 10_000_000, "tickets to add")
	contacts := flag.Int("contacts", 2_000_000, "contact records to add")
	lookups := flag.Int("lookups", 2000, "screen-pop lookups to time")
	calendars := flag.String("calendars", "configs/calendars", "holiday calendars")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *dir, *calendars, *customers, *tickets, *contacts, *lookups); err != nil {
		fmt.Fprintln(os.Stderr, "oa-gen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dir, calendars string, customers, tickets, contacts, lookups int) error {
	cfg := config.OADefaults()
	cfg.DataDir, cfg.Store.Path = dir, filepath.Join(dir, "oa.db")
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Tenants, cfg.Demo.Enabled = []string{"demo"}, true
	cfg.Security = config.Security{MasterKeyFile: filepath.Join(dir, "master.key"), GenerateMasterKey: true}
	cfg.CTI = config.OACTI{}
	cfg.Business.Calendars = calendars
	cfg.Log.Format = "text"
	o, err := oaboot.Build(ctx, cfg, os.Environ(), io.Discard)
	if err != nil {
		return err
	}
	defer o.DB.Close()
	defer o.HTTP.Close()
	began := time.Now()
	last := time.Now()
	err = o.Service.Generate(ctx, "demo", oa.GenerateOptions{Customers: customers, Tickets: tickets, Contacts: contacts, Seed: uint64(time.Now().UnixNano()),
		Progress: func(table string, done, total int) {
			if time.Since(last) > 10*time.Second || done == total || os.Getenv("OAGEN_VERBOSE") != "" {
				last = time.Now()
				fmt.Printf("%-9s %9d / %d  (%s)\n", table, done, total, time.Since(began).Round(time.Second))
			}
		}})
	if err != nil {
		return err
	}
	fmt.Printf("generated in %s\n", time.Since(began).Round(time.Second))
	var nCust, nTick, nCont int
	db := o.DB.SQL()
	db.QueryRowContext(ctx, `SELECT COUNT(*) FROM oa_customers`).Scan(&nCust)
	db.QueryRowContext(ctx, `SELECT COUNT(*) FROM oa_tickets`).Scan(&nTick)
	db.QueryRowContext(ctx, `SELECT COUNT(*) FROM oa_contacts`).Scan(&nCont)
	if fi, err := os.Stat(cfg.Store.Path); err == nil {
		fmt.Printf("database: %d customers, %d tickets, %d contact records, %.1f GB\n", nCust, nTick, nCont, float64(fi.Size())/1e9)
	}
	if nCust == 0 {
		return nil
	}
	// The screen pop's lookup: known numbers (some of them busy customers
	// with many tickets), and unknown ones.
	rng := rand.New(rand.NewPCG(1, 2))
	var known, unknown []time.Duration
	at := time.Now()
	for i := 0; i < lookups; i++ {
		c := 1 + rng.IntN(nCust)
		if i%4 == 0 {
			c = 1 + rng.IntN(min(nCust, 10000))
		}
		number := oa.GeneratedPhone(c)
		isKnown := i%5 != 0
		if !isKnown {
			number = fmt.Sprintf("159%08d", rng.IntN(100000000))
		}
		t0 := time.Now()
		card, err := o.Service.BuildCard(ctx, "demo", protocol.CallRinging{Call: "bench", Agent: "a1001", Caller: "+86" + number}, at)
		d := time.Since(t0)
		if err != nil {
			return err
		}
		if isKnown {
			if !card.Known {
				return fmt.Errorf("customer %d (%s) not found", c, number)
			}
			known = append(known, d)
		} else {
			unknown = append(unknown, d)
		}
	}
	report("screen pop, known caller", known)
	report("screen pop, unknown caller", unknown)
	me := oa.Actor{UserID: "u-gen-7", Department: 1}
	for _, q := range []struct {
		name string
		fn   func() error
	}{
		{"我的工单 counts", func() error { _, err := o.Service.CountMine(ctx, "demo", me); return err }},
		{"我的工单 mine, first page", func() error {
			_, _, err := o.Service.FindTickets(ctx, "demo", me, oa.TicketQuery{View: oa.ViewMine, Paging: oa.Paging{Limit: 20}})
			return err
		}},
		{"department's open tickets, first page", func() error {
			t := true
			_, _, err := o.Service.FindTickets(ctx, "demo", me, oa.TicketQuery{View: oa.ViewDepartment, Open: &t, Paging: oa.Paging{Limit: 20}})
			return err
		}},
		{"tickets of an outlet", func() error {
			_, _, err := o.Service.FindTickets(ctx, "demo", me, oa.TicketQuery{OutletNo: fmt.Sprintf("1101%04d", rng.IntN(5000)), Paging: oa.Paging{Limit: 20}})
			return err
		}},
		{"breached open tickets, first page", func() error {
			_, _, err := o.Service.FindTickets(ctx, "demo", me, oa.TicketQuery{SLAState: oa.SLABreached, Paging: oa.Paging{Limit: 20}})
			return err
		}},
		{"all tickets of the last week, first page", func() error {
			_, _, err := o.Service.FindTickets(ctx, "demo", me, oa.TicketQuery{From: time.Now().AddDate(0, 0, -7).UnixMilli(), Paging: oa.Paging{Limit: 20}})
			return err
		}},
		{"contact records of a number", func() error {
			_, _, err := o.Service.FindContacts(ctx, "demo", oa.ContactQuery{Phone: oa.GeneratedPhone(1 + rng.IntN(nCust)), Paging: oa.Paging{Limit: 20}})
			return err
		}},
		{"customers by name prefix", func() error {
			_, _, err := o.Service.FindCustomers(ctx, "demo", oa.CustomerQuery{Name: fmt.Sprintf("客户%d", 1+rng.IntN(9)), Paging: oa.Paging{Limit: 20}})
			return err
		}},
		{"SLA check (a steady state: 1 M open tickets)", func() error { _, err := o.Service.CheckSLA(ctx, time.Now()); return err }},
	} {
		var ds []time.Duration
		for i := 0; i < 20; i++ {
			t0 := time.Now()
			if err := q.fn(); err != nil {
				return fmt.Errorf("%s: %w", q.name, err)
			}
			ds = append(ds, time.Since(t0))
		}
		report(q.name, ds)
	}
	return nil
}

func report(name string, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	q := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	fmt.Printf("%-42s n=%-5d p50 %-10s p95 %-10s p99 %-10s max %s\n", name, len(ds), q(0.5).Round(time.Microsecond), q(0.95).Round(time.Microsecond),
		q(0.99).Round(time.Microsecond), ds[len(ds)-1].Round(time.Microsecond))
}
