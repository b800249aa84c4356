package pbxstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/store"
	"github.com/yimen/yimen/pbx/guard"
	"github.com/yimen/yimen/pbx/registrar"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// FieldSealer encrypts personal fields with associated data and computes
// blind indexes for equality search. internal/fieldcrypt implements it.
type FieldSealer interface {
	Encrypt(ctx context.Context, table, rowID, column string, plaintext []byte) ([]byte, error)
	Decrypt(ctx context.Context, table, rowID, column string, sealed []byte) ([]byte, error)
	BlindIndex(column string, value []byte) []byte
}

// Store is the PBX's persistence.
type Store struct {
	db     *store.DB
	sealer FieldSealer
}

// Open migrates the PBX tables and returns the store.
func Open(ctx context.Context, db *store.DB, sealer FieldSealer) (*Store, error) {
	if err := db.Migrate(ctx, "pbx", migrationFiles); err != nil {
		return nil, err
	}
	return &Store{db: db, sealer: sealer}, nil
}

// DB returns the underlying database.
func (s *Store) DB() *store.DB { return s.db }

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v) }

// --- SIP accounts ---

// Account is an extension with its clear secret (in memory only).
type Account struct {
	Tenant, Ext, Secret string
}

// PutAccount stores (or replaces) an extension's secret, sealed.
func (s *Store) PutAccount(ctx context.Context, a Account, now time.Time) error {
	row := a.Tenant + "/" + a.Ext
	enc, err := s.sealer.Encrypt(ctx, "sip_accounts", row, "secret", []byte(a.Secret))
	if err != nil {
		return fmt.Errorf("pbxstore: seal secret: %w", err)
	}
	ts := now.UTC().Format(time.RFC3339)
	_, err = s.db.Q(ctx).ExecContext(ctx, `INSERT INTO sip_accounts(tenant, ext, secret_enc, created_at, rotated_at) VALUES (?,?,?,?,?)
		ON CONFLICT(tenant, ext) DO UPDATE SET secret_enc=excluded.secret_enc, rotated_at=excluded.rotated_at`,
		a.Tenant, a.Ext, enc, ts, ts)
	if err != nil {
		return fmt.Errorf("pbxstore: put account: %w", err)
	}
	return nil
}

// Accounts returns every account with its secret opened.
func (s *Store) Accounts(ctx context.Context) ([]Account, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT tenant, ext, secret_enc FROM sip_accounts ORDER BY tenant, ext`)
	if err != nil {
		return nil, fmt.Errorf("pbxstore: accounts: %w", err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		var a Account
		var enc []byte
		if err := rows.Scan(&a.Tenant, &a.Ext, &enc); err != nil {
			return nil, err
		}
		pt, err := s.sealer.Decrypt(ctx, "sip_accounts", a.Tenant+"/"+a.Ext, "secret", enc)
		if err != nil {
			return nil, fmt.Errorf("pbxstore: open secret of %s/%s: %w", a.Tenant, a.Ext, err)
		}
		a.Secret = string(pt)
		out = append(out, a)
	}
	return out, rows.Err()
}

// DeleteAccount removes an extension's account.
func (s *Store) DeleteAccount(ctx context.Context, tenant, ext string) error {
	res, err := s.db.Q(ctx).ExecContext(ctx, `DELETE FROM sip_accounts WHERE tenant=? AND ext=?`, tenant, ext)
	if err != nil {
		return fmt.Errorf("pbxstore: delete account: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("account %s/%s: %w", tenant, ext, errs.ErrNotFound)
	}
	return nil
}

// --- bindings (registrar.BindingStore) ---

var _ registrar.BindingStore = (*Store)(nil)

// LoadBindings returns every persisted binding.
func (s *Store) LoadBindings(ctx context.Context) ([]registrar.Binding, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT tenant, aor, contact, received, transport, call_id, cseq, expires_at, user_agent, updated_at FROM sip_bindings`)
	if err != nil {
		return nil, fmt.Errorf("pbxstore: bindings: %w", err)
	}
	defer rows.Close()
	var out []registrar.Binding
	for rows.Next() {
		var b registrar.Binding
		var recv string
		var exp, upd int64
		if err := rows.Scan(&b.Tenant, &b.AOR, &b.Contact, &recv, &b.Transport, &b.CallID, &b.CSeq, &exp, &b.UserAgent, &upd); err != nil {
			return nil, err
		}
		b.Received, _ = netip.ParseAddrPort(recv)
		b.Expires, b.Updated = fromMS(exp), fromMS(upd)
		out = append(out, b)
	}
	return out, rows.Err()
}

// SaveBindings applies a batch of binding changes in one transaction.
func (s *Store) SaveBindings(ctx context.Context, upsert, remove []registrar.Binding) error {
	return s.db.InTx(ctx, func(ctx context.Context) error {
		q := s.db.Q(ctx)
		// Many rows per statement: a registrar flush carries hundreds, and
		// compiling one statement per row cost more than writing them.
		removes := make([][]any, len(remove))
		for i, b := range remove {
			removes[i] = []any{b.Tenant, b.AOR, b.Contact}
		}
		if err := execRows(ctx, q, `DELETE FROM sip_bindings WHERE (tenant, aor, contact) IN (VALUES `, `)`, removes); err != nil {
			return fmt.Errorf("pbxstore: delete bindings: %w", err)
		}
		upserts := make([][]any, len(upsert))
		for i, b := range upsert {
			upserts[i] = []any{b.Tenant, b.AOR, b.Contact, b.Received.String(), b.Transport, b.CallID, b.CSeq, ms(b.Expires), b.UserAgent, ms(b.Updated)}
		}
		if err := execRows(ctx, q, `INSERT INTO sip_bindings(tenant, aor, contact, received, transport, call_id, cseq, expires_at, user_agent, updated_at) VALUES `,
			` ON CONFLICT(tenant, aor, contact) DO UPDATE SET received=excluded.received, transport=excluded.transport,
			call_id=excluded.call_id, cseq=excluded.cseq, expires_at=excluded.expires_at, user_agent=excluded.user_agent, updated_at=excluded.updated_at`,
			upserts); err != nil {
			return fmt.Errorf("pbxstore: save bindings: %w", err)
		}
		return nil
	})
}

// --- bans (guard.BanStore) ---

var _ guard.BanStore = (*Store)(nil)

// LoadBans returns the persisted bans.
func (s *Store) LoadBans(ctx context.Context) ([]guard.Ban, error) {
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT ip, reason, created_at, until FROM sip_bans`)
	if err != nil {
		return nil, fmt.Errorf("pbxstore: bans: %w", err)
	}
	defer rows.Close()
	var out []guard.Ban
	for rows.Next() {
		var ip, reason string
		var created, until int64
		if err := rows.Scan(&ip, &reason, &created, &until); err != nil {
			return nil, err
		}
		a, err := netip.ParseAddr(ip)
		if err != nil {
			continue
		}
		out = append(out, guard.Ban{IP: a, Reason: reason, Created: fromMS(created), Until: fromMS(until)})
	}
	return out, rows.Err()
}

// SaveBan stores or refreshes a ban.
func (s *Store) SaveBan(ctx context.Context, b guard.Ban) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `INSERT INTO sip_bans(ip, reason, created_at, until) VALUES (?,?,?,?)
		ON CONFLICT(ip) DO UPDATE SET reason=excluded.reason, until=excluded.until`, b.IP.String(), b.Reason, ms(b.Created), ms(b.Until))
	if err != nil {
		return fmt.Errorf("pbxstore: save ban: %w", err)
	}
	return nil
}

// DeleteBan removes a ban.
func (s *Store) DeleteBan(ctx context.Context, ip netip.Addr) error {
	_, err := s.db.Q(ctx).ExecContext(ctx, `DELETE FROM sip_bans WHERE ip=?`, ip.String())
	if err != nil {
		return fmt.Errorf("pbxstore: delete ban: %w", err)
	}
	return nil
}

// --- CDRs ---

// LegStats are one leg's media counters.
type LegStats struct {
	PacketsIn, PacketsOut, BytesIn, BytesOut uint64
}

// CDR is one call's record.
type CDR struct {
	ID, Tenant       string
	Caller, Callee   string
	ACallID, BCallID string
	Start, End       time.Time
	Answer           time.Time // zero when never answered
	Ring, Talk, Hold time.Duration
	Disposition      string // a b2bua.Disposition's name, or DispositionInterrupted; docs/cdr.md lists them
	HangupSide       string // caller, callee, system
	HangupCause      string // a b2bua.Cause's name, or HangupCrash; docs/cdr.md lists them
	SIPCode          int
	A, B             LegStats
	DroppedForeign   uint64
	// Trunk is the carrier trunk the call came in or went out on; RawCaller
	// the caller's number as that carrier sent it (Caller is normalised).
	Trunk     string
	RawCaller string
	// Survey is the post-call satisfaction answer, when one was asked (filled by CDRs).
	Survey *Survey
}

// InsertCDR writes a CDR with the numbers sealed.
func (s *Store) InsertCDR(ctx context.Context, c CDR) error {
	n, err := s.sealCDR(ctx, c)
	if err != nil {
		return err
	}
	return s.insertCDRRows(ctx, []CDR{c}, []sealedNumbers{n})
}

// sealedNumbers are a call's caller and callee as the cdrs table keeps
// them: sealed with the CDR's row id, plus their blind indexes.
type sealedNumbers struct {
	callerEnc, callerIdx, calleeEnc, calleeIdx []byte
	rawEnc                                     []byte // nil when there is no raw caller
}

// sealCDR seals a finished call's numbers, with the caller's raw form.
func (s *Store) sealCDR(ctx context.Context, c CDR) (sealedNumbers, error) {
	n, err := s.sealNumbers(ctx, c.ID, c.Caller, c.Callee)
	if err != nil || c.RawCaller == "" {
		return n, err
	}
	if n.rawEnc, err = s.sealer.Encrypt(ctx, "cdrs", c.ID, "raw_caller", []byte(c.RawCaller)); err != nil {
		return n, fmt.Errorf("pbxstore: seal raw caller: %w", err)
	}
	return n, nil
}

func (s *Store) sealNumbers(ctx context.Context, id, caller, callee string) (sealedNumbers, error) {
	callerEnc, err := s.sealer.Encrypt(ctx, "cdrs", id, "caller", []byte(caller))
	if err != nil {
		return sealedNumbers{}, fmt.Errorf("pbxstore: seal caller: %w", err)
	}
	calleeEnc, err := s.sealer.Encrypt(ctx, "cdrs", id, "callee", []byte(callee))
	if err != nil {
		return sealedNumbers{}, fmt.Errorf("pbxstore: seal callee: %w", err)
	}
	return sealedNumbers{callerEnc: callerEnc, callerIdx: s.sealer.BlindIndex("number", []byte(caller)),
		calleeEnc: calleeEnc, calleeIdx: s.sealer.BlindIndex("number", []byte(callee))}, nil
}

// insertCDRRows writes CDRs with their sealed numbers (n[i] for cs[i]).
func (s *Store) insertCDRRows(ctx context.Context, cs []CDR, n []sealedNumbers) error {
	rows := make([][]any, len(cs))
	for i, c := range cs {
		rows[i] = []any{c.ID, c.Tenant, n[i].callerEnc, n[i].callerIdx, n[i].calleeEnc, n[i].calleeIdx,
			c.ACallID, c.BCallID, ms(c.Start), nullMS(c.Answer), ms(c.End), c.Ring.Milliseconds(), c.Talk.Milliseconds(), c.Hold.Milliseconds(),
			c.Disposition, c.HangupSide, c.HangupCause, c.SIPCode,
			c.A.PacketsIn, c.A.PacketsOut, c.A.BytesIn, c.A.BytesOut, c.B.PacketsIn, c.B.PacketsOut, c.B.BytesIn, c.B.BytesOut, c.DroppedForeign, c.Trunk, n[i].rawEnc}
	}
	err := execRows(ctx, s.db.Q(ctx), `INSERT INTO cdrs(id, tenant, caller_enc, caller_idx, callee_enc, callee_idx, a_call_id, b_call_id,
		start_at, answer_at, end_at, ring_ms, talk_ms, hold_ms, disposition, hangup_side, hangup_cause, sip_code,
		a_packets_in, a_packets_out, a_bytes_in, a_bytes_out, b_packets_in, b_packets_out, b_bytes_in, b_bytes_out, dropped_foreign, trunk, raw_caller_enc)
		VALUES `, "", rows)
	if err != nil {
		return fmt.Errorf("pbxstore: insert cdr: %w", err)
	}
	return nil
}

// CDRFilter selects CDRs.
type CDRFilter struct {
	Tenant   string
	Number   string // caller or callee, exact (via the blind index)
	From, To time.Time
	Limit    int
	// IDs, when set, keeps only these calls (a queue's calls, from the ACD's log).
	IDs []string
}

// CDRs lists CDRs newest first.
func (s *Store) CDRs(ctx context.Context, f CDRFilter) ([]CDR, error) {
	q := `SELECT id, cdrs.tenant, caller_enc, callee_enc, a_call_id, b_call_id, start_at, answer_at, end_at, ring_ms, talk_ms, hold_ms,
		disposition, hangup_side, hangup_cause, sip_code, a_packets_in, a_packets_out, a_bytes_in, a_bytes_out,
		b_packets_in, b_packets_out, b_bytes_in, b_bytes_out, dropped_foreign, trunk, raw_caller_enc, s.flow, s.score, s.created_at
		FROM cdrs LEFT JOIN call_surveys s ON s.call_id = cdrs.id WHERE cdrs.tenant=?`
	args := []any{f.Tenant}
	if f.Number != "" {
		idx := s.sealer.BlindIndex("number", []byte(f.Number))
		q += ` AND (caller_idx=? OR callee_idx=?)`
		args = append(args, idx, idx)
	}
	if len(f.IDs) > 0 {
		q += ` AND cdrs.id IN (?` + strings.Repeat(",?", len(f.IDs)-1) + `)`
		for _, id := range f.IDs {
			args = append(args, id)
		}
	}
	if !f.From.IsZero() {
		q += ` AND start_at >= ?`
		args = append(args, ms(f.From))
	}
	if !f.To.IsZero() {
		q += ` AND start_at < ?`
		args = append(args, ms(f.To))
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	q += ` ORDER BY start_at DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.db.Q(ctx).QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("pbxstore: cdrs: %w", err)
	}
	defer rows.Close()
	var out []CDR
	for rows.Next() {
		var c CDR
		var callerEnc, calleeEnc, rawEnc []byte
		var start, end, ring, talk, hold int64
		var answer, score, surveyAt sql.NullInt64
		var surveyFlow sql.NullString
		if err := rows.Scan(&c.ID, &c.Tenant, &callerEnc, &calleeEnc, &c.ACallID, &c.BCallID, &start, &answer, &end, &ring, &talk, &hold,
			&c.Disposition, &c.HangupSide, &c.HangupCause, &c.SIPCode, &c.A.PacketsIn, &c.A.PacketsOut, &c.A.BytesIn, &c.A.BytesOut,
			&c.B.PacketsIn, &c.B.PacketsOut, &c.B.BytesIn, &c.B.BytesOut, &c.DroppedForeign, &c.Trunk, &rawEnc, &surveyFlow, &score, &surveyAt); err != nil {
			return nil, err
		}
		if surveyFlow.Valid {
			c.Survey = &Survey{CallID: c.ID, Tenant: c.Tenant, Flow: surveyFlow.String, At: fromMS(surveyAt.Int64)}
			if score.Valid {
				n := int(score.Int64)
				c.Survey.Score = &n
			}
		}
		caller, err1 := s.sealer.Decrypt(ctx, "cdrs", c.ID, "caller", callerEnc)
		callee, err2 := s.sealer.Decrypt(ctx, "cdrs", c.ID, "callee", calleeEnc)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("pbxstore: open cdr %s: %w", c.ID, err)
		}
		c.Caller, c.Callee = string(caller), string(callee)
		if rawEnc != nil {
			raw, err := s.sealer.Decrypt(ctx, "cdrs", c.ID, "raw_caller", rawEnc)
			if err != nil {
				return nil, fmt.Errorf("pbxstore: open cdr %s: %w", c.ID, err)
			}
			c.RawCaller = string(raw)
		}
		c.Start, c.End = fromMS(start), fromMS(end)
		if answer.Valid {
			c.Answer = fromMS(answer.Int64)
		}
		c.Ring, c.Talk, c.Hold = time.Duration(ring)*time.Millisecond, time.Duration(talk)*time.Millisecond, time.Duration(hold)*time.Millisecond
		out = append(out, c)
	}
	return out, rows.Err()
}
