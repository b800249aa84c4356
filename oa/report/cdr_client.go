package report

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/yimen/yimen/internal/errs"
)

// CDR is a call record as the PBX's CDR API serves it (docs/cdr.md).
type CDR struct {
	ID          string  `json:"id"`
	Caller      string  `json:"caller"`
	Callee      string  `json:"callee"`
	Start       string  `json:"start"`
	Answer      *string `json:"answer,omitempty"`
	End         string  `json:"end"`
	RingMS      int64   `json:"ring_ms"`
	TalkMS      int64   `json:"talk_ms"`
	HoldMS      int64   `json:"hold_ms"`
	Disposition string  `json:"disposition"`
	HangupSide  string  `json:"hangup_side"`
	HangupCause string  `json:"hangup_cause"`
	Survey      *struct {
		Score *int `json:"score"`
	} `json:"survey,omitempty"`
	Queue *struct {
		Name    string `json:"name"`
		Agent   string `json:"agent,omitempty"`
		Outcome string `json:"outcome"`
		WaitMS  int64  `json:"wait_ms"`
		ACWMS   *int64 `json:"acw_ms"`
	} `json:"queue,omitempty"`
}

// call reads a CDR as the facts a call.ended would have given, with the
// ACD's own outcome, wait and after-call work.
func (c CDR) call() Call {
	start := parseTime(c.Start, time.Time{})
	out := Call{ID: c.ID, Caller: c.Caller, Callee: c.Callee, Start: start, End: parseTime(c.End, start), RingS: roundS(c.RingMS),
		TalkS: roundS(c.TalkMS), HoldS: roundS(c.HoldMS), ACWS: -1, Disposition: c.Disposition, HangupSide: c.HangupSide,
		HangupCause: c.HangupCause, Source: "cdr"}
	if c.Answer != nil {
		out.Answer = parseTime(*c.Answer, time.Time{})
	}
	if c.Survey != nil {
		out.Survey = c.Survey.Score
	}
	if q := c.Queue; q != nil {
		out.Queue, out.Agent, out.WaitS = q.Name, q.Agent, roundS(q.WaitMS)
		switch q.Outcome {
		case "answered", "callback_answered":
			out.Answered = true
		case "abandoned":
			out.Abandoned = true
		case "overflow":
			out.Overflowed = true
		}
		if q.ACWMS != nil {
			out.ACWS = roundS(*q.ACWMS)
		}
	} else {
		out.Answered = c.Answer != nil
	}
	out.Direction = direction(out.Queue, c.Caller, c.Callee)
	return out
}

// roundS rounds milliseconds to seconds as the CTI's call.ended does, so
// the same call read both ways agrees.
func roundS(ms int64) int { return int(math.Round(float64(ms) / 1000)) }

// PBXCDRs reads the PBX's CDR API with each tenant's API token (its role
// holds cdr.read).
type PBXCDRs struct {
	BaseURL string // http://127.0.0.1:8080
	Token   func(tenant string) string
	Client  *http.Client
}

// CDRs returns the records of the calls that started in [from, to); a
// window with more than one page is halved until each half fits.
func (p PBXCDRs) CDRs(ctx context.Context, tenant string, from, to time.Time) ([]CDR, error) {
	const page = 1000
	list, err := p.page(ctx, tenant, from, to, page)
	if err != nil || len(list) < page || to.Sub(from) <= time.Second {
		return list, err
	}
	mid := from.Add(to.Sub(from) / 2).Truncate(time.Millisecond)
	a, err := p.CDRs(ctx, tenant, from, mid)
	if err != nil {
		return nil, err
	}
	b, err := p.CDRs(ctx, tenant, mid, to)
	return append(a, b...), err
}

func (p PBXCDRs) page(ctx context.Context, tenant string, from, to time.Time, limit int) ([]CDR, error) {
	q := url.Values{"tenant": {tenant}, "from": {from.UTC().Format(time.RFC3339Nano)}, "to": {to.UTC().Format(time.RFC3339Nano)}, "limit": {strconv.Itoa(limit)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.BaseURL+"/api/v1/cdrs?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	if p.Token != nil {
		req.Header.Set("Authorization", "Bearer "+p.Token(tenant))
	}
	c := p.Client
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("pbx cdr api: %v: %w", err, errs.ErrUnavailable)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("pbx cdr api: %s: %s: %w", resp.Status, b, errs.ErrUnavailable)
	}
	var out []CDR
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&out); err != nil {
		return nil, fmt.Errorf("pbx cdr api: %w", err)
	}
	return out, nil
}
