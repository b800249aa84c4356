package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/yimen/yimen/internal/gm"
)

// Report is the result of Verify.
type Report struct {
	OK           bool
	Rows         int   // rows checked
	FirstRow     int64 // first row id checked (after the anchor)
	LastRow      int64
	Signatures   int   // head signatures checked
	LastSigned   int64 // newest row covered by a valid signature
	BrokenRow    int64 // first row at which the chain breaks; 0 when OK
	Reason       string
	AnchorID     int64 // last pruned row id, 0 if never pruned
	UnsignedTail int   // rows after LastSigned (truncation there is not detectable)
	LastSeq      int64 // number of the newest chained head signature
	NewestSigned int64 // unix ms of the newest signature
}

// Expect is what a verifier knows from outside the database. A log cut at
// its end, triggers dropped and sqlite_sequence mended, still chains; only
// something kept elsewhere shows it is shorter than it was.
type Expect struct {
	// Head is a head exported earlier (`yimen-audit head`, or the "audit
	// head signed" lines of the process log): the log must still hold it.
	Head *Head
	// MaxAge fails the check when the newest signature is older than this
	// at Now: a running PBX signs at least every SignInterval.
	MaxAge time.Duration
	Now    time.Time
}

var errStop = errors.New("stop")

// Verify walks the chain from the anchor (or the start) and checks every
// row's link and MAC, then every head signature and the anchor's signature.
// It reports the first row at which anything is wrong. Altering a row breaks
// that row's MAC; deleting rows breaks the link of the row after the gap;
// deleting the newest rows is caught when a signature names a missing row.
func (l *Log) Verify(ctx context.Context) (Report, error) {
	return l.VerifyExpecting(ctx, Expect{})
}

// VerifyExpecting is Verify that also checks what the verifier knows from
// outside the database (Expect): head signatures are numbered and chained,
// so the log must still hold an exported head exactly, and its newest
// signature must be recent.
func (l *Log) VerifyExpecting(ctx context.Context, want Expect) (Report, error) {
	var rep Report
	a, err := l.st.anchor(ctx)
	if err != nil {
		return rep, err
	}
	prev, after := genesis(), int64(0)
	if a != nil {
		rep.AnchorID = a.lastID
		if l.verifier != nil && !gm.Verify(l.verifier, []byte(signerUID), anchorMessage(a.lastID, a.lastMAC, a.prunedAt), a.signature) {
			rep.BrokenRow, rep.Reason = a.lastID+1, "anchor signature invalid"
			return rep, nil
		}
		prev, after = a.lastMAC, a.lastID
	}
	expectID := after + 1
	err = l.st.scan(ctx, after, func(r row) error {
		if rep.Rows == 0 {
			rep.FirstRow = r.ID
		}
		rep.Rows++
		rep.LastRow = r.ID
		switch {
		case !bytes.Equal(r.prevMAC, prev):
			rep.BrokenRow, rep.Reason = r.ID, "link to the previous row broken (a row before it was removed or altered)"
		case !gm.HMACSM3Equal(r.mac, l.rowMAC(prev, r)):
			rep.BrokenRow, rep.Reason = r.ID, "MAC mismatch (row altered)"
		case r.ID != expectID:
			rep.BrokenRow, rep.Reason = r.ID, fmt.Sprintf("row ids jump from %d to %d", expectID-1, r.ID)
		}
		if rep.BrokenRow != 0 {
			return errStop
		}
		prev, expectID = r.mac, r.ID+1
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return rep, err
	}
	if rep.BrokenRow != 0 {
		return rep, nil
	}
	// AUTOINCREMENT remembers the highest id ever used: rows cut from the
	// end leave it above the newest row.
	next, err := l.st.nextID(ctx)
	if err != nil {
		return rep, err
	}
	if last := max(rep.LastRow, after); next-1 > last {
		rep.BrokenRow, rep.Reason = last+1, fmt.Sprintf("rows %d..%d were removed from the end", last+1, next-1)
		return rep, nil
	}
	sigs, err := l.st.signatures(ctx)
	if err != nil {
		return rep, err
	}
	var witnessed bool
	for i, s := range sigs {
		if i > 0 {
			if reason := chainBreak(sigs[i-1], s); reason != "" {
				rep.BrokenRow, rep.Reason = s.rowID, reason
				return rep, nil
			}
		}
		if s.seq > 0 {
			rep.LastSeq = s.seq
		}
		rep.NewestSigned = max(rep.NewestSigned, s.signedAt)
		if want.Head != nil && s.seq == want.Head.Seq {
			if s.rowID != want.Head.Row || !bytes.Equal(s.mac, want.Head.MAC) || !bytes.Equal(s.signature, want.Head.Sig) {
				rep.BrokenRow, rep.Reason = s.rowID, fmt.Sprintf("head %d differs from the exported one (row %d)", s.seq, want.Head.Row)
				return rep, nil
			}
			witnessed = true
		}
		if s.rowID <= after {
			continue
		}
		rep.Signatures++
		msg := headMessage(s.rowID, s.mac)
		if s.seq > 0 {
			msg = chainedHeadMessage(s)
		}
		if l.verifier != nil && !gm.Verify(l.verifier, []byte(signerUID), msg, s.signature) {
			rep.BrokenRow, rep.Reason = s.rowID, fmt.Sprintf("head signature %d invalid", s.id)
			return rep, nil
		}
		mac, err := l.st.macAt(ctx, s.rowID)
		if err != nil {
			return rep, err
		}
		if mac == nil {
			rep.BrokenRow, rep.Reason = s.rowID, fmt.Sprintf("signed row %d missing (log truncated)", s.rowID)
			return rep, nil
		}
		if !bytes.Equal(mac, s.mac) {
			rep.BrokenRow, rep.Reason = s.rowID, fmt.Sprintf("signed head %d does not match the row", s.rowID)
			return rep, nil
		}
		rep.LastSigned = max(rep.LastSigned, s.rowID)
	}
	if rep.LastRow > rep.LastSigned {
		rep.UnsignedTail = int(rep.LastRow - max(rep.LastSigned, after))
	}
	if h := want.Head; h != nil && !witnessed {
		switch {
		case l.verifier != nil && !gm.Verify(l.verifier, []byte(signerUID), chainedHeadMessage(h.row()), h.Sig):
			rep.Reason = fmt.Sprintf("the exported head %d is not signed by the audit key", h.Seq)
		case h.Seq > rep.LastSeq:
			rep.Reason = fmt.Sprintf("exported head %d (row %d) is missing: the log ends at head %d (cut from the end)", h.Seq, h.Row, rep.LastSeq)
		default:
			rep.Reason = fmt.Sprintf("exported head %d (row %d) is missing (pruned or removed)", h.Seq, h.Row)
		}
		rep.BrokenRow = h.Row
		return rep, nil
	}
	if want.MaxAge > 0 {
		if age := want.Now.Sub(time.UnixMilli(rep.NewestSigned)); rep.NewestSigned == 0 || age > want.MaxAge {
			rep.BrokenRow = max(rep.LastRow, after) + 1
			rep.Reason = fmt.Sprintf("the newest head signature is %s old, more than %s: the end of the log may have been cut", age.Round(time.Second), want.MaxAge)
			return rep, nil
		}
	}
	rep.OK = true
	return rep, nil
}

// chainBreak says what is wrong between two consecutive head signatures,
// or "" when next follows prev: chained heads count up by one and carry the
// SM3 of the signature before them.
func chainBreak(prev, next sigRow) string {
	if next.seq == 0 {
		if prev.seq > 0 {
			return fmt.Sprintf("unnumbered head signature %d after numbered ones", next.id)
		}
		return ""
	}
	if prev.seq > 0 && next.seq != prev.seq+1 {
		return fmt.Sprintf("head signatures jump from %d to %d (signatures removed)", prev.seq, next.seq)
	}
	if !bytes.Equal(next.prevSig, sigDigest(prev.signature)) {
		return fmt.Sprintf("head signature %d does not chain to the one before it", next.seq)
	}
	return ""
}
