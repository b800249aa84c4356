package audit

import (
	"context"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
	"github.com/yimen/yimen/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Retention is the minimum age of a row before Prune may remove it; the
// database trigger enforces the same floor.
const Retention = 180 * 24 * time.Hour

// KeySource derives the chain key; the *keys.Keyring for "audit" implements it.
type KeySource interface {
	DeriveKey(label string) []byte
}

// Config tunes head signing.
type Config struct {
	SignEvery    int           // sign the head after this many rows (default 100)
	SignInterval time.Duration // or when the last signature is this old (default 5 min)
	Now          func() time.Time
}

// Deps are the Log's collaborators.
type Deps struct {
	DB       *store.DB
	Keys     KeySource
	Signer   *gm.PrivateKey // signs chain heads; nil makes a read-only Log (verify, search, export)
	Verifier *gm.PublicKey  // checks signatures; defaults to Signer's public key
	Log      *slog.Logger
}

// Log is the tamper-evident audit log.
type Log struct {
	st       sqlStore
	key      []byte
	signer   *gm.PrivateKey
	verifier *gm.PublicKey
	keyID    string
	cfg      Config
	log      *slog.Logger
}

// signerUID is the SM2 signer ID for chain heads and anchors.
const signerUID = "yimen-audit"

// New migrates the audit tables and returns a Log.
func New(ctx context.Context, cfg Config, d Deps) (*Log, error) {
	if d.DB == nil || d.Keys == nil {
		return nil, fmt.Errorf("audit: DB and Keys are required: %w", errs.ErrInvalid)
	}
	key := d.Keys.DeriveKey("audit chain")
	if len(key) < 16 {
		return nil, fmt.Errorf("audit: chain key unavailable: %w", errs.ErrUnavailable)
	}
	if cfg.SignEvery <= 0 {
		cfg.SignEvery = 100
	}
	if cfg.SignInterval <= 0 {
		cfg.SignInterval = 5 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Verifier == nil && d.Signer != nil {
		d.Verifier = &d.Signer.PublicKey
	}
	if err := d.DB.Migrate(ctx, "audit", migrationFiles); err != nil {
		return nil, err
	}
	l := &Log{st: sqlStore{d.DB}, key: key, signer: d.Signer, verifier: d.Verifier, cfg: cfg, log: d.Log}
	if d.Verifier != nil {
		h := gm.SM3(gm.MarshalPublicKey(d.Verifier))
		l.keyID = hex.EncodeToString(h[:8])
	}
	return l, nil
}

// canonical encodes a row for its MAC: every field length-prefixed, so no
// two different rows share an encoding.
func canonical(r row) []byte {
	b := make([]byte, 0, 160)
	b = binary.AppendUvarint(b, uint64(r.ID))
	b = binary.AppendVarint(b, r.ts)
	for _, f := range []string{r.Tenant, r.Actor, r.Action, r.Target, r.Outcome, r.Source, r.Detail} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

func (l *Log) rowMAC(prev []byte, r row) []byte {
	h := gm.NewHMACSM3(l.key)
	h.Write(prev)
	h.Write(canonical(r))
	return h.Sum(nil)
}

// genesis is the prev_mac of the first row ever written.
func genesis() []byte { return make([]byte, gm.SM3Size) }

// Append adds e to the chain and returns its id. e.Time is ignored: the log
// stamps rows with its own clock so ids and times advance together. Called
// inside a store transaction, the entry commits or rolls back with the
// change it records.
func (l *Log) Append(ctx context.Context, e Entry) (int64, error) {
	if e.Action == "" {
		return 0, fmt.Errorf("audit: entry without action: %w", errs.ErrInvalid)
	}
	var id int64
	err := l.st.db.InTx(ctx, func(ctx context.Context) error {
		_, prev, err := l.st.head(ctx)
		if err != nil {
			return err
		}
		if prev == nil {
			prev = genesis()
		}
		next, err := l.st.nextID(ctx)
		if err != nil {
			return err
		}
		now := l.cfg.Now()
		r := row{Entry: e, ts: now.UnixMilli(), prevMAC: prev}
		r.ID = next
		r.mac = l.rowMAC(prev, r)
		if id, err = l.st.insert(ctx, r); err != nil {
			return err
		}
		return l.maybeSign(ctx, id, r.mac, now)
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

func (l *Log) maybeSign(ctx context.Context, id int64, mac []byte, now time.Time) error {
	if l.signer == nil {
		return nil
	}
	last, err := l.st.lastSignature(ctx)
	if err != nil {
		return err
	}
	if id-last.rowID < int64(l.cfg.SignEvery) && now.UnixMilli()-last.signedAt < l.cfg.SignInterval.Milliseconds() {
		return nil
	}
	return l.signHead(ctx, last, id, mac, now)
}

// headMessage is what a signature made before heads were chained signs.
func headMessage(id int64, mac []byte) []byte {
	return []byte("yimen-audit-head|" + strconv.FormatInt(id, 10) + "|" + hex.EncodeToString(mac))
}

// chainedHeadMessage is what a head signature signs: its number, the row
// and MAC of the head, when it was made, and the SM3 of the signature
// before it.
func chainedHeadMessage(s sigRow) []byte {
	return []byte("yimen-audit-head-v2|" + strconv.FormatInt(s.seq, 10) + "|" + strconv.FormatInt(s.rowID, 10) + "|" +
		hex.EncodeToString(s.mac) + "|" + strconv.FormatInt(s.signedAt, 10) + "|" + hex.EncodeToString(s.prevSig))
}

// sigDigest links a signature to the one after it.
func sigDigest(sig []byte) []byte {
	h := gm.SM3(sig)
	return h[:]
}

func anchorMessage(id int64, mac []byte, at int64) []byte {
	return []byte("yimen-audit-anchor|" + strconv.FormatInt(id, 10) + "|" + hex.EncodeToString(mac) + "|" + strconv.FormatInt(at, 10))
}

// signHead signs the head (id, mac) as the signature after last, and
// writes the signed head to the process log: kept apart from the database,
// those lines witness how far the log reached (see Head and Verify).
func (l *Log) signHead(ctx context.Context, last sigRow, id int64, mac []byte, now time.Time) error {
	s := sigRow{seq: last.seq + 1, rowID: id, mac: mac, signedAt: now.UnixMilli(), keyID: l.keyID}
	if len(last.signature) > 0 {
		s.prevSig = sigDigest(last.signature)
	}
	sig, err := gm.Sign(l.signer, []byte(signerUID), chainedHeadMessage(s))
	if err != nil {
		return err
	}
	s.signature = sig
	if err := l.st.insertSignature(ctx, s); err != nil {
		return err
	}
	l.log.LogAttrs(ctx, slog.LevelInfo, "audit head signed", slog.String("head", headOf(s).String()))
	return nil
}

// SignHead signs the current head if rows were added since the last
// signature or the last signature is SignInterval old: call it from a
// ticker every SignInterval, so a quiet log's tail is signed and the newest
// signature is never older than that while the PBX runs (Verify's MaxAge).
func (l *Log) SignHead(ctx context.Context) error {
	if l.signer == nil {
		return fmt.Errorf("audit: no signing key: %w", errs.ErrUnavailable)
	}
	return l.st.db.InTx(ctx, func(ctx context.Context) error {
		id, mac, err := l.st.head(ctx)
		if err != nil || mac == nil {
			return err
		}
		last, err := l.st.lastSignature(ctx)
		if err != nil {
			return err
		}
		now := l.cfg.Now()
		if last.rowID >= id && now.UnixMilli()-last.signedAt < l.cfg.SignInterval.Milliseconds() {
			return nil
		}
		return l.signHead(ctx, last, id, mac, now)
	})
}
