package contactcenter

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/ivr"
	"github.com/yimen/yimen/ivr/callsession"
)

// Session is the IVR side of a waiting caller: what they hear and press.
// *callsession.Session implements it.
type Session interface {
	Play(ctx context.Context, p ivr.PromptRef) error
	CollectDigits(ctx context.Context, req ivr.DigitRequest) (string, error)
	// WaitBridge blocks while the caller is bridged to an agent.
	WaitBridge(ctx context.Context)
	Hangup(ctx context.Context) error
}

// WaitingCall is the PBX side of a waiting caller; *b2bua.LocalCall
// implements it.
type WaitingCall interface {
	Caller() string
	Number() string
	Done() <-chan struct{}
	// Ring rings ext on the caller's far leg until ctx ends; rings for
	// several extensions share one outcome, answeredBy names the winner.
	Ring(ctx context.Context, ext string) (code int, answeredBy string, err error)
	// Transfer rings ext for the PBX's ring timeout and bridges the caller.
	Transfer(ctx context.Context, ext string) (int, error)
}

// Caller is one caller handed to a queue, with the tenant and call id their
// session started with.
type Caller struct {
	Tenant, CallID string
	Session        Session
	Call           WaitingCall
}

type waiter struct {
	tenant string
	call   WaitingCall
	events chan waitEvent
	mu     sync.Mutex
	rings  map[string]*ringCtl // agent id → ring in progress
}

type ringCtl struct {
	cancel  context.CancelFunc
	stopped bool
}

type waitEvent struct {
	answeredBy string
	overflow   *acd.Target
	announce   *acd.Announcement
}

// Queue is the IVR's queue verb on the ACD (a callsession.QueueFunc).
func (cc *ContactCenter) Queue(ctx context.Context, s *callsession.Session, req ivr.QueueRequest) (ivr.QueueResult, error) {
	call, ok := s.Call().(WaitingCall)
	if !ok {
		return ivr.QueueResult{}, fmt.Errorf("queue: not a PBX call: %w", errs.ErrInvalid)
	}
	return cc.Wait(ctx, Caller{Tenant: s.Tenant(), CallID: s.CallID(), Session: s, Call: call}, req)
}

// Wait puts c in the request's queue and keeps them there until an agent's
// leg ends (Answered), the queue lets them go (overflow, req.Timeout), or
// they hang up (callsession.ErrHungUp, also after booking a callback).
func (cc *ContactCenter) Wait(ctx context.Context, c Caller, req ivr.QueueRequest) (ivr.QueueResult, error) {
	s, call, tenant, id := c.Session, c.Call, c.Tenant, c.CallID
	w := &waiter{tenant: tenant, call: call, events: make(chan waitEvent, 8), rings: map[string]*ringCtl{}}
	cc.mu.Lock()
	cc.waiting[id] = w
	cc.mu.Unlock()
	defer func() {
		cc.mu.Lock()
		delete(cc.waiting, id)
		cc.mu.Unlock()
	}()
	err := cc.ACD.Enqueue(ctx, tenant, acd.Call{ID: id, Queue: req.Queue, Caller: call.Caller(), DID: call.Number(),
		Priority: req.Priority, Skill: req.Skill, Vars: req.Vars})
	if err != nil {
		return ivr.QueueResult{}, err
	}
	var timeout <-chan struct{}
	if req.Timeout > 0 {
		fired := make(chan struct{})
		stop := cc.clock.AfterFunc(req.Timeout, func() { close(fired) })
		defer stop()
		timeout = fired
	}
	bg := context.WithoutCancel(ctx)
	for {
		select {
		case ev := <-w.events:
			switch {
			case ev.answeredBy != "":
				s.WaitBridge(ctx)
				_ = cc.ACD.CallEnded(bg, tenant, id)
				return ivr.QueueResult{Answered: true}, nil
			case ev.overflow != nil:
				if ev.overflow.Kind == acd.TargetExtension {
					if code, err := call.Transfer(ctx, ev.overflow.Value); err == nil && code == 200 {
						s.WaitBridge(ctx)
						return ivr.QueueResult{Answered: true}, nil
					}
				}
				return ivr.QueueResult{}, nil
			case ev.announce != nil:
				if cc.announce(ctx, s, *ev.announce) && cc.offerCallback(ctx, c) {
					return ivr.QueueResult{}, callsession.ErrHungUp
				}
			}
		case <-timeout:
			_ = cc.ACD.CallerAbandoned(bg, tenant, id)
			return ivr.QueueResult{}, nil
		case <-call.Done():
			_ = cc.ACD.CallerAbandoned(bg, tenant, id)
			return ivr.QueueResult{}, callsession.ErrHungUp
		case <-ctx.Done():
			_ = cc.ACD.CallerAbandoned(bg, tenant, id)
			return ivr.QueueResult{}, ctx.Err()
		}
	}
}

// announce tells the caller their place and expected wait; it reports
// whether a callback is to be offered as well.
func (cc *ContactCenter) announce(ctx context.Context, s Session, a acd.Announcement) bool {
	text := strings.NewReplacer("{ahead}", strconv.Itoa(a.Position-1),
		"{minutes}", strconv.Itoa(int(a.ExpectedWait.Minutes()+0.5))).Replace(cc.prompts.Position)
	_ = s.Play(ctx, ivr.PromptRef{Text: text})
	return a.OfferCallback
}

// offerCallback asks for the callback key; when it is pressed and the ACD
// takes the request, the caller is told and hung up (true).
func (cc *ContactCenter) offerCallback(ctx context.Context, c Caller) bool {
	p := cc.prompts
	key, err := c.Session.CollectDigits(ctx, ivr.DigitRequest{Prompt: &ivr.PromptRef{Text: p.CallbackOffer}, BargeIn: true, Min: 1, Max: 1, Timeout: 5 * time.Second})
	if err != nil || key != p.CallbackKey {
		return false
	}
	if err := cc.ACD.AcceptCallback(context.WithoutCancel(ctx), c.Tenant, c.CallID, c.Call.Caller()); err != nil {
		cc.log.Warn("callback request refused", "call", c.CallID, "err", err)
		return false
	}
	_ = c.Session.Play(ctx, ivr.PromptRef{Text: p.CallbackBooked})
	_ = c.Session.Hangup(ctx)
	return true
}

func (cc *ContactCenter) waiter(callID string) *waiter {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.waiting[callID]
}
