package audit

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/yimen/yimen/internal/errs"
)

// Head is one signed chain head as it leaves the database: printed by
// `yimen-audit head`, written to the process log at every signature, and
// kept by an auditor elsewhere. Verify given a Head fails when the log no
// longer holds it, which is how cutting rows and signatures from the end
// of the log, triggers dropped, is noticed.
type Head struct {
	Seq, Row, SignedAt int64
	MAC, PrevSig, Sig  []byte
}

func headOf(s sigRow) Head {
	return Head{Seq: s.seq, Row: s.rowID, SignedAt: s.signedAt, MAC: s.mac, PrevSig: s.prevSig, Sig: s.signature}
}

func (h Head) row() sigRow {
	return sigRow{seq: h.Seq, rowID: h.Row, signedAt: h.SignedAt, mac: h.MAC, prevSig: h.PrevSig, signature: h.Sig}
}

// String is the head's one-line form, which ParseHead reads.
func (h Head) String() string {
	return fmt.Sprintf("yimen-audit-head-v2 seq=%d row=%d at=%d mac=%s prev=%s sig=%s",
		h.Seq, h.Row, h.SignedAt, hex.EncodeToString(h.MAC), hex.EncodeToString(h.PrevSig), base64.StdEncoding.EncodeToString(h.Sig))
}

// ParseHead reads a head written by Head.String, alone or inside a log
// line (the `head=` attribute of "audit head signed").
func ParseHead(s string) (Head, error) {
	var h Head
	i := strings.Index(s, "yimen-audit-head-v2 ")
	if i < 0 {
		return h, fmt.Errorf("audit: no yimen-audit-head-v2 in %q: %w", s, errs.ErrInvalid)
	}
	seen := map[string]bool{}
	for _, f := range strings.Fields(strings.Trim(s[i+len("yimen-audit-head-v2 "):], `"`)) {
		k, v, ok := strings.Cut(strings.Trim(f, `"`), "=")
		if !ok {
			continue
		}
		var err error
		switch k {
		case "seq":
			h.Seq, err = strconv.ParseInt(v, 10, 64)
		case "row":
			h.Row, err = strconv.ParseInt(v, 10, 64)
		case "at":
			h.SignedAt, err = strconv.ParseInt(v, 10, 64)
		case "mac":
			h.MAC, err = hex.DecodeString(v)
		case "prev":
			h.PrevSig, err = hex.DecodeString(v)
		case "sig":
			h.Sig, err = base64.StdEncoding.DecodeString(v)
		default:
			continue
		}
		if err != nil {
			return Head{}, fmt.Errorf("audit: head field %s: %w", k, errs.ErrInvalid)
		}
		seen[k] = true
	}
	for _, k := range []string{"seq", "row", "at", "mac", "prev", "sig"} {
		if !seen[k] {
			return Head{}, fmt.Errorf("audit: head lacks %s: %w", k, errs.ErrInvalid)
		}
	}
	if h.Seq < 1 || len(h.MAC) == 0 || len(h.Sig) == 0 {
		return Head{}, fmt.Errorf("audit: head is incomplete: %w", errs.ErrInvalid)
	}
	return h, nil
}

// Head returns the newest chained head, for an auditor to keep.
func (l *Log) Head(ctx context.Context) (Head, error) {
	s, err := l.st.lastSignature(ctx)
	if err != nil {
		return Head{}, err
	}
	if s.seq == 0 {
		return Head{}, fmt.Errorf("audit: no chained head signed yet: %w", errs.ErrNotFound)
	}
	return headOf(s), nil
}
