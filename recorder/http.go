package recorder

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/yimen/yimen/internal/audit"
	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/fieldcrypt"
	"github.com/yimen/yimen/internal/httpx"
)

// writeErr answers a failed request through httpx (the one error kind →
// status mapping); an unexpected error is logged there, once, and not shown.
func (r *Recorder) writeErr(w http.ResponseWriter, req *http.Request, err error) {
	httpx.Fail(w, req, r.log, "internal error", err)
}

// decodeBody reads a JSON body (64 KiB at most, no unknown fields).
func decodeBody(w http.ResponseWriter, req *http.Request, v any) error {
	return httpx.DecodeJSON(w, req, 0, v)
}

// access writes the audit trail of one access to a recording: a log line
// with audit=true, and an entry in the audit log when one is wired. The
// actor is the authenticated principal the guard put in ctx; a Range
// header is summarised (its first range and how many), never copied.
func (r *Recorder) access(ctx context.Context, req *http.Request, action, id, tenant string, err error) {
	outcome := audit.OutcomeOK
	if err != nil {
		outcome = audit.OutcomeFailed
		if errors.Is(err, errs.ErrNotFound) || errors.Is(err, errs.ErrConflict) || errors.Is(err, errs.ErrInvalid) || errors.Is(err, errRange) {
			outcome = audit.OutcomeDenied
		}
	}
	detail := rangeSummary(req.Header.Get("Range"))
	if errors.Is(err, errRange) {
		detail += " refused: " + strings.TrimPrefix(err.Error(), errRange.Error()+": ")
	}
	actor, who := actorOf(ctx)
	if who != "" {
		detail = strings.TrimSpace(detail + " " + who)
	}
	r.log.Info("recording access", "audit", true, "action", action, "recording", id, "tenant", tenant, "actor", actor,
		"remote", req.RemoteAddr, "outcome", outcome, "detail", detail)
	if r.auditor != nil {
		e := audit.Entry{Tenant: tenant, Actor: actor, Action: action, Target: "recording/" + id,
			Outcome: outcome, Source: req.RemoteAddr, Detail: detail}
		if _, aerr := r.auditor.Append(ctx, e); aerr != nil {
			r.log.Error("audit append", "action", action, "recording", id, "err", aerr)
		}
	}
}

// accessAudio audits a stream or download once per playback: the first
// request of an actor for a recording is audited as access does, the
// Range requests that follow it within playbackWindow are counted in the
// log, and once the playback is over a summary entry (action ".summary")
// says how many requests it had (playback_audit.go). Failures are always
// audited.
func (r *Recorder) accessAudio(ctx context.Context, req *http.Request, action, id, tenant string, err error) {
	if err == nil {
		actor, who := actorOf(ctx)
		start := audit.Entry{Tenant: tenant, Actor: actor, Action: action, Target: "recording/" + id, Source: req.RemoteAddr, Detail: who}
		if again, n := r.played.follow(actor+"\x00"+action+"\x00"+id, r.now(), start); again {
			r.log.Info("recording playback continues", "action", action, "recording", id, "tenant", tenant, "actor", actor,
				"requests", n, "detail", rangeSummary(req.Header.Get("Range")))
			return
		}
	}
	r.access(ctx, req, action, id, tenant, err)
}

// actorOf names the principal the guard authenticated: its id for the
// audit entry's actor, and a short "by …" for the detail (kind, masked
// name, tenant, method), so a token's reads and a person's differ.
func actorOf(ctx context.Context) (actor, who string) {
	p, ok := auth.PrincipalFrom(ctx)
	if !ok {
		return "", ""
	}
	return p.UserID, fmt.Sprintf("by %s %s of %s (%s)", p.Kind, fieldcrypt.MaskName(p.Name), p.Tenant, p.Method)
}

// recordingJSON is a recording as the API shows it.
type recordingJSON struct {
	ID          string `json:"id"`
	Tenant      string `json:"tenant"`
	Caller      string `json:"caller"` // masked
	Callee      string `json:"callee"`
	Agent       string `json:"agent"`
	Queue       string `json:"queue"`
	Start       string `json:"start"`
	DurationMS  int64  `json:"duration_ms"`
	SizeBytes   int64  `json:"size_bytes"`
	SM3         string `json:"sm3"`
	State       string `json:"state"`
	Format      string `json:"format"`
	Encrypted   bool   `json:"encrypted"`
	SurveyScore *int   `json:"survey_score"`
	Transferred bool   `json:"transferred"`
	Audio       string `json:"audio"`
}

func toJSON(rec Recording) recordingJSON {
	return recordingJSON{
		ID: rec.ID, Tenant: rec.Tenant, Caller: rec.CallerMasked, Callee: rec.Callee, Agent: rec.Agent, Queue: rec.Queue,
		Start: rec.Start.UTC().Format(time.RFC3339Nano), DurationMS: rec.Duration.Milliseconds(), SizeBytes: rec.Size,
		SM3: rec.SM3, State: rec.State, Format: string(rec.Format), Encrypted: rec.Encrypted, SurveyScore: rec.SurveyScore,
		Transferred: rec.Transferred, Audio: "/api/v1/recordings/" + url.PathEscape(rec.ID) + "/audio",
	}
}

// parseFilter reads a search query:
// tenant (required), from, to (RFC 3339), extension, caller, agent, queue,
// min_duration, max_duration (seconds), max_survey_score, state, limit.
func parseFilter(q url.Values) (Filter, error) {
	bad := func(key, msg string) (Filter, error) {
		return Filter{}, fmt.Errorf("recorder: %s %s: %w", key, msg, errs.ErrInvalid)
	}
	f := Filter{Tenant: q.Get("tenant"), Extension: q.Get("extension"), Caller: q.Get("caller"),
		Agent: q.Get("agent"), Queue: q.Get("queue"), State: q.Get("state")}
	if f.Tenant == "" {
		return bad("tenant", "is required")
	}
	for key, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if v := q.Get(key); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return bad(key, "must be RFC 3339")
			}
			*dst = t
		}
	}
	for key, dst := range map[string]*time.Duration{"min_duration": &f.MinDuration, "max_duration": &f.MaxDuration} {
		if v := q.Get(key); v != "" {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil || !(n >= 0 && n <= 1e7) {
				return bad(key, "must be seconds, 0 to 1e7")
			}
			*dst = time.Duration(n * float64(time.Second))
		}
	}
	if v := q.Get("max_survey_score"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return bad("max_survey_score", "must be an integer")
		}
		f.MaxSurveyScore = &n
	}
	switch f.State {
	case "", StateRecording, StateComplete, StateRecovered, StateFailed:
	default:
		return bad("state", "must be recording, complete, recovered or failed")
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return bad("limit", "must be 1..1000")
		}
		f.Limit = n
	}
	return f, nil
}
