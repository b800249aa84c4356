package audit

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
)

// How rows leave the log. Triggers on audit_log refuse every UPDATE, and
// every DELETE unless the row is older than a cutoff written in
// audit_prune_gate; a trigger on that table refuses a cutoff younger than
// 180 days by the database's own clock. Prune is the only code that writes
// the gate: in one transaction it inserts the cutoff, deletes the rows and
// their signatures, writes the anchor (the id and MAC of the last pruned row,
// SM2-signed) and removes the gate row, so no other connection ever sees the
// gate open. There is no API to alter or delete a row otherwise, whoever asks.
// Verify then starts the chain at the anchor.

// Prune deletes rows older than before, which must be at least Retention in
// the past, and returns how many went. The pruning itself is audited.
func (l *Log) Prune(ctx context.Context, before time.Time) (int64, error) {
	if l.signer == nil {
		return 0, fmt.Errorf("audit: pruning needs the signing key to sign the anchor: %w", errs.ErrUnavailable)
	}
	now := l.cfg.Now()
	if before.After(now.Add(-Retention)) {
		return 0, fmt.Errorf("audit: cannot prune rows younger than %v: %w", Retention, errs.ErrInvalid)
	}
	var n int64
	err := l.st.db.InTx(ctx, func(ctx context.Context) error {
		lastID, lastMAC, err := l.st.lastRowBefore(ctx, before.UnixMilli())
		if err != nil || lastID == 0 {
			return err
		}
		at := now.UnixMilli()
		sig, err := gm.Sign(l.signer, []byte(signerUID), anchorMessage(lastID, lastMAC, at))
		if err != nil {
			return err
		}
		n, err = l.st.prune(ctx, before.UnixMilli(), lastID, anchorRow{lastID: lastID, lastMAC: lastMAC, prunedAt: at, signature: sig})
		if err != nil {
			return err
		}
		_, err = l.Append(ctx, Entry{Actor: "system", Action: "audit.prune", Target: "audit_log", Outcome: OutcomeOK,
			Detail: "pruned " + strconv.FormatInt(n, 10) + " rows up to id " + strconv.FormatInt(lastID, 10)})
		return err
	})
	if err != nil {
		return 0, err
	}
	l.log.InfoContext(ctx, "audit log pruned", "rows", n, "before", before)
	return n, nil
}
