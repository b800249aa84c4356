package callsession

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yimen/yimen/internal/dtmf"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/prompt"
	"github.com/yimen/yimen/ivr"
)

// Call is what the PBX offers an IVR for one answered call.
type Call interface {
	Answer(ctx context.Context) error
	PayloadType() uint8
	DTMFPayloadType() int
	WriteRTP(pkt []byte) error
	SetTap(t interface{ OnRTP(int, []byte) })
	SetKeySink(s interface{ Push(byte) })
	Transfer(ctx context.Context, ext string) (int, error)
	Hangup(ctx context.Context)
	Done() <-chan struct{}
	BridgeEnded() <-chan struct{}
	Caller() string
	Number() string
}

// Queues places callers in queues; until the ACD is wired it hunts the
// queue's member extensions in order.
type Queues interface {
	Members(queue string) []string
}

// Events receives what the IVR produced (voicemail, survey scores). Each
// names the tenant and call the session was started with: the call may have
// ended (the caller hung up to finish a message) before the event arrives.
type Events interface {
	Voicemail(ctx context.Context, v Voicemail)
	Survey(ctx context.Context, tenant, callID string, r ivr.SurveyResult)
}

// Voicemail is one recorded message.
type Voicemail struct {
	ID, Tenant, CallID, Mailbox, Caller, Path string
	Duration                                  time.Duration
	Vars                                      map[string]string
}

// QueueFunc hands a caller to the ACD and returns when an agent's leg has
// ended or the queue gave up on them.
type QueueFunc func(ctx context.Context, s *Session, req ivr.QueueRequest) (ivr.QueueResult, error)

// Deps are shared by every session.
type Deps struct {
	Prompts   *PromptCache
	Queue     QueueFunc // the ACD; when nil, Queues hunts members in order
	Queues    Queues
	Events    Events
	Voicemail string // directory for messages
	Log       *slog.Logger
}

// Session is ivr.Session for one call.
type Session struct {
	d      Deps
	call   Call
	tenant string
	callID string
	stream *prompt.Stream
	det    *dtmf.Detector
	tap    tap
}

var _ ivr.Session = (*Session)(nil)

// New prepares a session for a tenant's call; nothing is sent until Answer.
func New(call Call, tenant, callID string, d Deps) *Session {
	s := &Session{d: d, call: call, tenant: tenant, callID: callID}
	s.det = dtmf.NewDetector(0, call.DTMFPayloadType())
	s.tap.det = s.det
	return s
}

// tap fans the caller's RTP to the key detector and, while recording, a message.
type tap struct {
	det *dtmf.Detector
	rec atomic.Pointer[recording]
}

func (t *tap) OnRTP(leg int, pkt []byte) {
	t.det.OnRTP(leg, pkt)
	if r := t.rec.Load(); r != nil && leg == 0 {
		r.add(pkt)
	}
}

// Answer implements ivr.Session.
func (s *Session) Answer(ctx context.Context) error {
	if s.stream != nil {
		return nil
	}
	if err := s.call.Answer(ctx); err != nil {
		return err
	}
	s.stream = prompt.NewStream(s.call, s.call.PayloadType())
	s.call.SetTap(&s.tap)
	s.call.SetKeySink(s.det)
	return nil
}

func (s *Session) ensureAnswered(ctx context.Context) error {
	if s.stream == nil {
		return s.Answer(ctx)
	}
	return nil
}

// Play implements ivr.Session; keys pressed meanwhile are discarded.
func (s *Session) Play(ctx context.Context, p ivr.PromptRef) error {
	if err := s.ensureAnswered(ctx); err != nil {
		return err
	}
	frames, err := s.d.Prompts.Frames(ctx, p, s.call.PayloadType())
	if err != nil {
		s.d.Log.Warn("prompt unavailable, playing nothing", "call", s.callID, "file", p.File, "err", err)
		return nil
	}
	_, err = s.stream.Play(ctx, frames, nil)
	s.drainKeys()
	return err
}

func (s *Session) drainKeys() {
	for {
		select {
		case <-s.det.Keys():
		default:
			return
		}
	}
}

// Say implements ivr.Session: digits are read one by one, numbers as text.
func (s *Session) Say(ctx context.Context, as ivr.SayAs, value string) error {
	text := value
	if as == ivr.SayDigits {
		text = strings.Join(strings.Split(value, ""), " ")
	}
	return s.Play(ctx, ivr.PromptRef{Text: text})
}

// CollectDigits implements ivr.Session.
func (s *Session) CollectDigits(ctx context.Context, req ivr.DigitRequest) (string, error) {
	if err := s.ensureAnswered(ctx); err != nil {
		return "", err
	}
	s.drainKeys()
	var got strings.Builder
	if req.Prompt != nil {
		frames, err := s.d.Prompts.Frames(ctx, *req.Prompt, s.call.PayloadType())
		if err != nil {
			s.d.Log.Warn("prompt unavailable", "call", s.callID, "file", req.Prompt.File, "err", err)
		} else if req.BargeIn {
			stop := make(chan struct{})
			var first byte
			var once sync.Once
			done := make(chan struct{})
			go func() {
				defer close(done)
				select {
				case k := <-s.det.Keys():
					first = k
					once.Do(func() { close(stop) })
				case <-stop:
				}
			}()
			_, err := s.stream.Play(ctx, frames, stop)
			once.Do(func() { close(stop) })
			<-done
			if err != nil {
				return "", err
			}
			if first != 0 {
				if k := string(first); k == req.Terminator && req.Terminator != "" {
					return "", nil
				}
				got.WriteByte(first)
			}
		} else {
			if _, err := s.stream.Play(ctx, frames, nil); err != nil {
				return "", err
			}
			s.drainKeys()
		}
	}
	max := req.Max
	if max <= 0 {
		max = 1
	}
	first, inter := req.Timeout, req.InterDigit
	if first <= 0 {
		first = 5 * time.Second
	}
	if inter <= 0 {
		inter = first
	}
	for got.Len() < max {
		wait := first
		if got.Len() > 0 {
			wait = inter
		}
		t := time.NewTimer(wait)
		select {
		case k := <-s.det.Keys():
			t.Stop()
			if req.Terminator != "" && string(k) == req.Terminator {
				return got.String(), nil
			}
			got.WriteByte(k)
		case <-t.C:
			return got.String(), nil
		case <-ctx.Done():
			t.Stop()
			return got.String(), ctx.Err()
		case <-s.call.Done():
			t.Stop()
			return got.String(), ErrHungUp
		}
	}
	return got.String(), nil
}

// ErrHungUp reports that the caller went away.
var ErrHungUp = fmt.Errorf("caller hung up: %w", errs.ErrUnavailable)

// Call is the call this session drives.
func (s *Session) Call() Call { return s.call }

// CallID names the call (the CDR id).
func (s *Session) CallID() string { return s.callID }

// Tenant is the tenant the call belongs to.
func (s *Session) Tenant() string { return s.tenant }

// WaitBridge blocks while the caller is bridged to an agent.
func (s *Session) WaitBridge(ctx context.Context) { s.waitEnd(ctx) }

// Queue implements ivr.Session: the ACD when configured, else a hunt of the
// queue's members in order.
func (s *Session) Queue(ctx context.Context, req ivr.QueueRequest) (ivr.QueueResult, error) {
	if err := s.ensureAnswered(ctx); err != nil {
		return ivr.QueueResult{}, err
	}
	if s.d.Queue != nil {
		return s.d.Queue(ctx, s, req)
	}
	if s.d.Queues == nil {
		return ivr.QueueResult{}, fmt.Errorf("queue %s: no queues configured: %w", req.Queue, errs.ErrUnavailable)
	}
	members := s.d.Queues.Members(req.Queue)
	if len(members) == 0 {
		return ivr.QueueResult{}, nil
	}
	for _, ext := range members {
		code, err := s.call.Transfer(ctx, ext)
		if err != nil {
			return ivr.QueueResult{}, err
		}
		if code == 200 {
			s.waitEnd(ctx)
			return ivr.QueueResult{Answered: true}, nil
		}
	}
	return ivr.QueueResult{}, nil
}

// waitEnd blocks while the caller is bridged: until the far leg hangs up
// (the caller is back in the flow) or the caller does.
func (s *Session) waitEnd(ctx context.Context) {
	select {
	case <-s.call.BridgeEnded():
	case <-s.call.Done():
	case <-ctx.Done():
	}
}

// Transfer implements ivr.Session for extensions (external numbers need trunks).
func (s *Session) Transfer(ctx context.Context, req ivr.TransferRequest) error {
	if req.External {
		return fmt.Errorf("transfer to an external number needs a trunk: %w", errs.ErrUnavailable)
	}
	code, err := s.call.Transfer(ctx, req.Target)
	if err != nil {
		return err
	}
	if code != 200 {
		return fmt.Errorf("transfer to %s: SIP %d: %w", req.Target, code, errs.ErrUnavailable)
	}
	s.waitEnd(ctx)
	return nil
}

// Survey implements ivr.Session.
func (s *Session) Survey(ctx context.Context, r ivr.SurveyResult) error {
	if s.d.Events != nil {
		s.d.Events.Survey(ctx, s.tenant, s.callID, r)
	}
	return nil
}

// Hangup implements ivr.Session.
func (s *Session) Hangup(ctx context.Context) error {
	s.call.Hangup(ctx)
	return nil
}

// IsHangup reports whether err means the caller went away.
func IsHangup(err error) bool { return errors.Is(err, ErrHungUp) }
