package trunk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// newCarrierRequest builds an out-of-dialog request to t's carrier, with
// our carrier-facing address in Via, so its answers come back where the
// guard lets the carrier in.
func (m *Manager) newCarrierRequest(t *Trunk, method sip.RequestMethod, ruri sip.Uri, from, to sip.Uri, callID string, seq uint32) *sip.Request {
	req := sip.NewRequest(method, ruri)
	transport := strings.ToUpper(t.transport())
	via := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: transport, Host: m.local.Host, Port: m.local.Port, Params: sip.NewParams()}
	via.Params.Add("branch", sip.GenerateBranchN(16))
	via.Params.Add("rport", "")
	req.AppendHeader(via)
	fh := &sip.FromHeader{Address: from, Params: sip.NewParams()}
	fh.Params.Add("tag", randomHex(6))
	req.AppendHeader(fh)
	req.AppendHeader(&sip.ToHeader{Address: to, Params: sip.NewParams()})
	cid := sip.CallIDHeader(callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: method})
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	if m.ua != "" {
		req.AppendHeader(sip.NewHeader("User-Agent", m.ua))
	}
	req.SetTransport(transport)
	req.SetDestination(t.proxy.String())
	if m.local.Bind.IP != nil && transport == "UDP" {
		req.Laddr = m.local.Bind
	}
	return req
}

func (t *Trunk) transport() string {
	if t.cfg.Transport == "" {
		return "udp"
	}
	return t.cfg.Transport
}

// keepVia sends req with the Via it already has.
func keepVia(*sipgo.Client, *sip.Request) error { return nil }

// final sends req and waits for its final response, within limit.
func (m *Manager) final(ctx context.Context, req *sip.Request, limit time.Duration) (*sip.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	tx, err := m.client.TransactionRequest(ctx, req, keepVia)
	if err != nil {
		return nil, err
	}
	defer tx.Terminate()
	for {
		select {
		case res := <-tx.Responses():
			if res != nil && res.StatusCode >= 200 {
				return res, nil
			}
		case <-tx.Done():
			if err := tx.Err(); err != nil {
				return nil, err
			}
			return nil, context.DeadlineExceeded
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func itoa(n int) string { return strconv.Itoa(n) }
