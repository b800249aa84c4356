package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"

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
}

var errStop = errors.New("stop")

// Verify walks the chain from the anchor (or the start) and checks every
// row's link and MAC, then every head signature and the anchor's signature.
// It reports the first row at which anything is wrong. Altering a row breaks
// that row's MAC; deleting rows breaks the link of the row after the gap;
// deleting the newest rows is caught when a signature names a missing row.
func (l *Log) Verify(ctx context.Context) (Report, error) {
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
	for _, s := range sigs {
		if s.rowID <= after {
			continue
		}
		rep.Signatures++
		if l.verifier != nil && !gm.Verify(l.verifier, []byte(signerUID), headMessage(s.rowID, s.mac), s.signature) {
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
	rep.OK = true
	return rep, nil
}
