package ivr

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// fakeSession is a scripted caller: each CollectDigits takes the next entry
// of keys ("" is silence; an exhausted script is silence too). Every call is
// written to log in a compact form that tests compare.
type fakeSession struct {
	mu          sync.Mutex
	keys        []string
	log         []string
	queue       []bool // Answered for successive Queue calls; default true
	transferErr error
	failVerb    string // a method that fails with errBroken
	onCollect   func() // runs inside each CollectDigits, e.g. to reload
	hangupAfter int    // cancel (caller hangs up) after this many calls; 0 never
	cancel      context.CancelFunc
	requests    []DigitRequest
	queued      []QueueRequest
	surveys     []SurveyResult
	records     []RecordRequest
	calls       int
}

var errBroken = errors.New("media broken")

func (f *fakeSession) note(ctx context.Context, verb, entry string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	f.log = append(f.log, entry)
	f.calls++
	if f.hangupAfter > 0 && f.calls >= f.hangupAfter && f.cancel != nil {
		f.cancel()
		return context.Canceled
	}
	if f.failVerb == verb {
		return errBroken
	}
	return nil
}

func promptText(p PromptRef) string {
	if p.File != "" {
		return p.File
	}
	return "tts:" + p.Text
}

func (f *fakeSession) Answer(ctx context.Context) error { return f.note(ctx, "answer", "answer") }

func (f *fakeSession) Play(ctx context.Context, p PromptRef) error {
	return f.note(ctx, "play", "play "+promptText(p))
}

func (f *fakeSession) Say(ctx context.Context, as SayAs, v string) error {
	kind := map[SayAs]string{SayDigits: "digits", SayNumber: "number"}[as]
	return f.note(ctx, "say", "say "+kind+" "+v)
}

func (f *fakeSession) CollectDigits(ctx context.Context, req DigitRequest) (string, error) {
	if f.onCollect != nil {
		f.onCollect()
	}
	f.mu.Lock()
	key := ""
	if len(f.keys) > 0 {
		key, f.keys = f.keys[0], f.keys[1:]
	}
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	p := "-"
	if req.Prompt != nil {
		p = promptText(*req.Prompt)
	}
	if err := f.note(ctx, "collect", fmt.Sprintf("collect %s -> %q", p, key)); err != nil {
		return "", err
	}
	return key, nil
}

func (f *fakeSession) Queue(ctx context.Context, req QueueRequest) (QueueResult, error) {
	f.mu.Lock()
	answered := true
	if len(f.queue) > 0 {
		answered, f.queue = f.queue[0], f.queue[1:]
	}
	f.queued = append(f.queued, req)
	f.mu.Unlock()
	err := f.note(ctx, "queue", fmt.Sprintf("queue %s skill=%s prio=%d answered=%v", req.Queue, req.Skill, req.Priority, answered))
	return QueueResult{Answered: answered}, err
}

func (f *fakeSession) Transfer(ctx context.Context, req TransferRequest) error {
	kind := "extension"
	if req.External {
		kind = "external"
	}
	if err := f.note(ctx, "transfer", "transfer "+kind+" "+req.Target); err != nil {
		return err
	}
	return f.transferErr
}

func (f *fakeSession) Record(ctx context.Context, req RecordRequest) (RecordResult, error) {
	f.mu.Lock()
	f.records = append(f.records, req)
	f.mu.Unlock()
	err := f.note(ctx, "record", fmt.Sprintf("record %s max=%s beep=%v", req.Mailbox, req.Max, req.Beep))
	return RecordResult{ID: "rec-1"}, err
}

func (f *fakeSession) Survey(ctx context.Context, res SurveyResult) error {
	f.mu.Lock()
	f.surveys = append(f.surveys, res)
	f.mu.Unlock()
	return f.note(ctx, "survey", fmt.Sprintf("survey %s answered=%v score=%d", res.Flow, res.Answered, res.Score))
}

func (f *fakeSession) Hangup(ctx context.Context) error { return f.note(ctx, "hangup", "hangup") }

func (f *fakeSession) transcript() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.log, "\n")
}

var _ Session = (*fakeSession)(nil)
