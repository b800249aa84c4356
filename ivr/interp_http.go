package ivr

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/gm"
)

// Headers of an http statement's request. The signature lets the receiver
// trust the variables: hex HMAC-SM3 over the timestamp, a newline and the
// body, as computed by SignHTTP. The reply carries HeaderSignature too,
// computed by SignReply, or it is ignored: it may set variables and run
// statements, so only the holder of the key may write one.
const (
	HeaderTimestamp = "X-Yimen-Timestamp"
	HeaderSignature = "X-Yimen-Signature"
)

// MinHTTPKeyBytes is the shortest key http statements sign with; with a
// shorter one (or none) every http statement takes its fallback.
const MinHTTPKeyBytes = 32

// ErrShortHTTPKey is a signing key shorter than MinHTTPKeyBytes.
var ErrShortHTTPKey = fmt.Errorf("ivr: http key shorter than %d bytes: %w", MinHTTPKeyBytes, errs.ErrInvalid)

// CheckHTTPKey refuses a key too short to sign http statements with.
func CheckHTTPKey(key []byte) error {
	if len(key) < MinHTTPKeyBytes {
		return ErrShortHTTPKey
	}
	return nil
}

// NewHTTPClient is the client http statements should use: it bounds each
// exchange by timeout and follows no redirect (a 3xx is a failed exchange,
// so the request and its signature go to the configured host only).
func NewHTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// maxReplyBytes bounds an http reply; a fragment of flow is a few lines.
const maxReplyBytes = 64 << 10

// HTTPRequest is the JSON body an http statement posts.
type HTTPRequest struct {
	Flow string            `json:"flow"`
	Step string            `json:"step"`
	Vars map[string]string `json:"vars"`
}

// HTTPReply is the JSON an http statement accepts back. All fields are
// optional; Goto and DSL exclude each other. Set is applied first, then the
// fragment runs or the flow goes to the step; with neither it continues
// after the http statement.
type HTTPReply struct {
	Set  map[string]string `json:"set,omitempty"`
	Goto string            `json:"goto,omitempty"` // a step of the current flow
	DSL  string            `json:"dsl,omitempty"`  // statements, as in a step body
}

// SignHTTP returns the X-Yimen-Signature value for a request body sent at
// timestamp (Unix seconds, as in X-Yimen-Timestamp).
func SignHTTP(key []byte, timestamp string, body []byte) string {
	msg := make([]byte, 0, len(timestamp)+1+len(body))
	msg = append(msg, timestamp...)
	msg = append(msg, '\n')
	msg = append(msg, body...)
	return "hmac-sm3=" + hex.EncodeToString(gm.HMACSM3(key, msg))
}

// SignReply returns the X-Yimen-Signature value of a reply body answering
// a request signed requestSig: HMAC-SM3 over that signature, a newline and
// the body, so a reply is good for the one request it answers.
func SignReply(key []byte, requestSig string, body []byte) string {
	return SignHTTP(key, requestSig, body)
}

// protectedVar says whether an http reply is barred from changing name: the
// receiver must not be able to rewrite who is calling.
func protectedVar(name string) bool {
	switch name {
	case "caller", "called", "call_id", "tenant":
		return true
	}
	return false
}

func (r *run) http(ctx context.Context, h *HTTP) (ctl, error) {
	reply, frag, err := r.post(ctx, h)
	if err != nil {
		if ctx.Err() != nil {
			return ctl{kind: ctlEnd, outcome: OutcomeCallerGone}, nil
		}
		r.log.Warn("ivr http failed; taking fallback", "step", r.step.Name, "line", h.Line, "err", err)
		return r.block(ctx, h.Fallback.Body)
	}
	for k, v := range reply.Set {
		r.vars[k] = v
	}
	switch {
	case frag != nil:
		return r.block(ctx, frag)
	case reply.Goto != "":
		st, _ := r.flow.Step(reply.Goto)
		return ctl{kind: ctlGoto, flow: r.flow, step: st}, nil
	}
	return ctl{}, nil
}

// post sends the request and validates the whole reply before anything of
// it is used, so a bad reply changes nothing and takes the fallback.
func (r *run) post(ctx context.Context, h *HTTP) (HTTPReply, []Stmt, error) {
	var reply HTTPReply
	if r.in.opt.HTTP == nil {
		return reply, nil, errors.New("no HTTP client configured")
	}
	key := r.in.opt.HTTPKey
	if err := CheckHTTPKey(key); err != nil {
		return reply, nil, fmt.Errorf("no signing key (ivr.http_key_file): %w", err)
	}
	raw := r.text(h.URL, url.QueryEscape)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return reply, nil, errors.New("URL is not an http(s) address after filling in variables")
	}
	body, err := json.Marshal(HTTPRequest{Flow: r.flow.Name, Step: r.step.Name, Vars: r.sendVars(h)})
	if err != nil {
		return reply, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, h.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return reply, nil, err
	}
	ts := strconv.FormatInt(r.in.opt.Clock().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderTimestamp, ts)
	sig := SignHTTP(key, ts, body)
	req.Header.Set(HeaderSignature, sig)
	resp, err := r.in.opt.HTTP.Do(req)
	if err != nil {
		// A *url.Error repeats the URL, whose query may hold caller data.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return reply, nil, fmt.Errorf("POST %s: %w", u.Host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return reply, nil, fmt.Errorf("POST %s: status %d", u.Host, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBytes+1))
	if err != nil {
		return reply, nil, fmt.Errorf("POST %s: reading reply: %w", u.Host, err)
	}
	if len(data) > maxReplyBytes {
		return reply, nil, fmt.Errorf("POST %s: reply larger than %d bytes", u.Host, maxReplyBytes)
	}
	got := resp.Header.Get(HeaderSignature)
	if want := SignReply(key, sig, data); !hmac.Equal([]byte(got), []byte(want)) {
		return reply, nil, fmt.Errorf("POST %s: reply is not signed with the key", u.Host)
	}
	if len(bytes.TrimSpace(data)) == 0 || resp.StatusCode == http.StatusNoContent {
		return reply, nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&reply); err != nil {
		return reply, nil, fmt.Errorf("POST %s: reply is not the expected JSON: %w", u.Host, err)
	}
	frag, err := r.validReply(reply)
	return reply, frag, err
}

func (r *run) validReply(reply HTTPReply) ([]Stmt, error) {
	for k := range reply.Set {
		if !validName(k) || protectedVar(k) {
			return nil, fmt.Errorf("reply sets variable %q, which it may not", k)
		}
	}
	switch {
	case reply.Goto != "" && reply.DSL != "":
		return nil, errors.New("reply has both goto and dsl")
	case reply.Goto != "":
		if _, ok := r.flow.Step(reply.Goto); !ok {
			return nil, fmt.Errorf("reply names step %q, which flow %s lacks", reply.Goto, r.flow.Name)
		}
	case reply.DSL != "":
		frag, err := r.set.ParseFragment(r.flow.Name, reply.DSL)
		if err != nil {
			return nil, fmt.Errorf("reply's dsl: %w", err)
		}
		return frag, nil
	}
	return nil, nil
}

// sendVars picks the variables to post: all of them, or those named by send.
func (r *run) sendVars(h *HTTP) map[string]string {
	if h.Send == nil {
		return r.vars
	}
	out := make(map[string]string, len(h.Send))
	for _, k := range h.Send {
		out[k] = r.vars[k]
	}
	return out
}
