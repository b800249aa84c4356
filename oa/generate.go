package oa

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/yimen/yimen/internal/fieldcrypt"
)

// GenerateOptions size a generated data set (the benchmarks' 1 M
// customers and 10 M tickets).
type GenerateOptions struct {
	Customers, Tickets, Contacts int
	Seed                         uint64
	// Progress is told how far each table is, now and then.
	Progress func(table string, done, total int)
}

// GeneratedPhone is the first number of generated customer i (1-based):
// the benchmarks look customers up by it.
func GeneratedPhone(i int) string { return fmt.Sprintf("13%09d", i) }

const generateBatch = 20000

// Generate fills tenant with synthetic customers (numbers sealed and
// blind-indexed as CreateCustomer does), tickets spread over two years
// (a tenth of them open, in every state) and contact records, in batches
// of one transaction each. It expects the tenant's categories and
// departments to exist (the demo seeds them) and uses the first ones.
func (s *Service) Generate(ctx context.Context, tenant string, o GenerateOptions) error {
	rng := rand.New(rand.NewPCG(o.Seed, 42))
	if o.Progress == nil {
		o.Progress = func(string, int, int) {}
	}
	cats, deps, err := s.generateRefs(ctx, tenant)
	if err != nil {
		return err
	}
	// Sealing a table's first field creates its data key in a transaction
	// of its own: done here, not inside a batch's (SQLite has one writer).
	for _, table := range []string{phoneTable, "oa_contacts"} {
		if _, err := s.fields.Encrypt(ctx, table, "0", "warm", nil); err != nil {
			return err
		}
	}
	now := s.now()
	base, err := s.maxID(ctx, "oa_customers")
	if err != nil {
		return err
	}
	err = s.batches(ctx, o.Customers, func(tx *sql.Tx, from, to int) error {
		cust, err := tx.PrepareContext(ctx, `INSERT INTO oa_customers(id, tenant, name, type, vip, tags, fields, created_by, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)`)
		if err != nil {
			return err
		}
		defer cust.Close()
		ph, err := tx.PrepareContext(ctx, `INSERT INTO oa_customer_phones(customer_id, tenant, phone_enc, phone_bidx, masked, label) VALUES (?,?,?,?,?,?)`)
		if err != nil {
			return err
		}
		defer ph.Close()
		for i := from; i < to; i++ {
			id := base + int64(i) + 1
			typ, tags := "personal", "[]"
			if i%10 == 0 {
				typ, tags = "organisation", `["投注站"]`
			}
			at := ms(now.Add(-time.Duration(rng.Int64N(int64(730 * 24 * time.Hour)))))
			if _, err := cust.ExecContext(ctx, id, tenant, "客户"+strconv.Itoa(i+1), typ, i%100 == 0, tags, "{}", "generator", at, at); err != nil {
				return err
			}
			numbers := []string{GeneratedPhone(i + 1)}
			if i%5 == 0 {
				numbers = append(numbers, fmt.Sprintf("010%08d", 60000000+i%40000000))
			}
			row := strconv.FormatInt(id, 10)
			for _, n := range numbers {
				enc, err := s.fields.Encrypt(ctx, phoneTable, row, "phone", []byte(n))
				if err != nil {
					return err
				}
				if _, err := ph.ExecContext(ctx, id, tenant, enc, s.phoneIndex(n), fieldcrypt.Mask(n), ""); err != nil {
					return err
				}
			}
		}
		o.Progress("customers", to, o.Customers)
		return nil
	})
	if err != nil {
		return err
	}
	total := int64(o.Customers) + base
	if total == 0 {
		return fmt.Errorf("no customers to give tickets to")
	}
	// Customers are not equally busy: a few call and complain a lot.
	pick := func() int64 {
		if rng.IntN(4) == 0 {
			return 1 + rng.Int64N(min(total, 10000))
		}
		return 1 + rng.Int64N(total)
	}
	openStates := []string{StateAccepted, StateDispatched, StateSigned, StateHandling, StateResolved, StateVisited, StateReturned}
	// Millions of rows load faster into a bare table and are indexed after
	// (CREATE INDEX sorts); the indexes come back from their own DDL.
	restore, err := s.withoutIndexes(ctx, "oa_tickets", o.Tickets > 200000)
	if err != nil {
		return err
	}
	err = s.batches(ctx, o.Tickets, func(tx *sql.Tx, from, to int) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO oa_tickets(tenant, title, category_id, priority, state, open, customer_id, caller_masked, outlet_no,
			department_id, assignee, creator, sla_step, sla_due_at, sla_state, created_at, updated_at, closed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for i := from; i < to; i++ {
			created := now.Add(-time.Duration(rng.Int64N(int64(730 * 24 * time.Hour))))
			state, open, closed := StateArchived, 0, any(ms(created.Add(72*time.Hour)))
			var step, slaState string
			var due any
			if rng.IntN(10) == 0 {
				state, open, closed = openStates[rng.IntN(len(openStates))], 1, nil
				step, due = StepHandle, ms(created.Add(48*time.Hour))
				if created.Add(48 * time.Hour).Before(now) {
					slaState = SLABreached
				}
			}
			c := pick()
			if _, err := st.ExecContext(ctx, tenant, "工单 "+strconv.Itoa(i+1), cats[rng.IntN(len(cats))], "normal", state, open, c,
				fieldcrypt.Mask(GeneratedPhone(int(c))), fmt.Sprintf("1101%04d", rng.IntN(5000)), deps[rng.IntN(len(deps))],
				"u-gen-"+strconv.Itoa(rng.IntN(50)), "u-gen-"+strconv.Itoa(rng.IntN(50)), step, due, slaState, ms(created), ms(created), closed); err != nil {
				return err
			}
		}
		o.Progress("tickets", to, o.Tickets)
		return nil
	})
	if err := errors.Join(err, restore()); err != nil {
		return err
	}
	o.Progress("ticket indexes", 1, 1)
	cbase, err := s.maxID(ctx, "oa_contacts")
	if err != nil {
		return err
	}
	return s.batches(ctx, o.Contacts, func(tx *sql.Tx, from, to int) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO oa_contacts(id, tenant, call_id, cdr_id, direction, kind, customer_id, caller_enc, caller_bidx, caller_masked,
			agent, queue, started_at, answered_at, ended_at, talk_s) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for i := from; i < to; i++ {
			id := cbase + int64(i) + 1
			c := pick()
			n := GeneratedPhone(int(c))
			enc, err := s.fields.Encrypt(ctx, "oa_contacts", strconv.FormatInt(id, 10), "caller", []byte(n))
			if err != nil {
				return err
			}
			at := now.Add(-time.Duration(rng.Int64N(int64(730 * 24 * time.Hour))))
			call := fmt.Sprintf("gen-%d", id)
			if _, err := st.ExecContext(ctx, id, tenant, call, call, "inbound", ContactAnswered, c, enc, s.phoneIndex(n), fieldcrypt.Mask(n),
				"a100"+strconv.Itoa(1+rng.IntN(5)), "lottery", ms(at), ms(at.Add(10*time.Second)), ms(at.Add(3*time.Minute)), 170); err != nil {
				return err
			}
		}
		o.Progress("contacts", to, o.Contacts)
		return nil
	})
}

func (s *Service) generateRefs(ctx context.Context, tenant string) (cats, deps []int64, err error) {
	for _, q := range []struct {
		sql string
		out *[]int64
	}{{`SELECT id FROM oa_categories WHERE tenant=?`, &cats}, {`SELECT id FROM oa_departments WHERE tenant=?`, &deps}} {
		rows, err := s.db.SQL().QueryContext(ctx, q.sql, tenant)
		if err != nil {
			return nil, nil, err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, nil, err
			}
			*q.out = append(*q.out, id)
		}
		rows.Close()
	}
	if len(cats) == 0 || len(deps) == 0 {
		return nil, nil, fmt.Errorf("tenant %s has no categories or departments: seed them first", tenant)
	}
	return cats, deps, nil
}

// withoutIndexes drops table's indexes when on and returns what recreates
// them from the DDL SQLite kept.
func (s *Service) withoutIndexes(ctx context.Context, table string, on bool) (func() error, error) {
	if !on {
		return func() error { return nil }, nil
	}
	rows, err := s.db.SQL().QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name=? AND sql IS NOT NULL`, table)
	if err != nil {
		return nil, err
	}
	var names, ddl []string
	for rows.Next() {
		var n, q string
		if err := rows.Scan(&n, &q); err != nil {
			rows.Close()
			return nil, err
		}
		names, ddl = append(names, n), append(ddl, q)
	}
	rows.Close()
	for _, n := range names {
		if _, err := s.db.SQL().ExecContext(ctx, `DROP INDEX `+n); err != nil {
			return nil, err
		}
	}
	return func() error {
		if _, err := s.db.SQL().ExecContext(ctx, `PRAGMA cache_size=-1048576`); err != nil {
			return err
		}
		for _, q := range ddl {
			if _, err := s.db.SQL().ExecContext(context.WithoutCancel(ctx), q); err != nil {
				return fmt.Errorf("recreate %q: %w", q, err)
			}
		}
		return nil
	}, nil
}

func (s *Service) maxID(ctx context.Context, table string) (int64, error) {
	var id int64
	err := s.db.SQL().QueryRowContext(ctx, `SELECT IFNULL(MAX(id),0) FROM `+table).Scan(&id)
	return id, err
}

// batches runs fn over [0,n) in slices of generateBatch, one transaction each.
func (s *Service) batches(ctx context.Context, n int, fn func(tx *sql.Tx, from, to int) error) error {
	for from := 0; from < n; from += generateBatch {
		to := min(from+generateBatch, n)
		tx, err := s.db.SQL().BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		// Ten million rows land in random places of eight indexes: a page
		// cache of 1 GiB keeps them in memory between batches.
		if _, err := tx.ExecContext(ctx, `PRAGMA cache_size=-1048576`); err != nil {
			tx.Rollback()
			return err
		}
		if err := fn(tx, from, to); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}
