package cti

import (
	"io"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/yimen/yimen/acd"
	"github.com/yimen/yimen/cti/protocol"
)

// Publisher is where the Adapter sends events; *Hub implements it.
type Publisher interface {
	Publish(tenant string, e Event) (uint64, error)
}

// AgentDirectory names the agent bound to an endpoint; *acd.ACD implements it.
type AgentDirectory interface {
	AgentByEndpoint(tenant, endpoint string) (string, bool)
}

var (
	_ Publisher      = (*Hub)(nil)
	_ AgentDirectory = (*acd.ACD)(nil)
)

// maxTracked bounds the calls the Adapter remembers between ringing and
// ending; calls whose end never arrives are forgotten after trackFor.
const (
	maxTracked = 100_000
	trackFor   = 12 * time.Hour
)

// Adapter turns the ACD's events (acd.EventSink) and the B2BUA's call
// events (the pbx/callevent observer interfaces) into CTI events. It remembers which agent and
// queue a call went through, so call events reach the agent's and the
// queue's subscribers and call.ended carries the queue and wait.
type Adapter struct {
	pub Publisher
	dir AgentDirectory
	log *slog.Logger
	// devices tells which agents' device is a browser; nil: none is.
	devices interface {
		Attached(tenant, agentID string) bool
	}
	mu    sync.Mutex
	calls map[string]*callMeta // tenant + "/" + call id
}

type callMeta struct {
	agent    string
	rung     string // the agent call.ringing went to last
	queue    string
	enqueued time.Time
	seen     time.Time
}

// NewAdapter returns an Adapter publishing to pub; dir may be nil.
func NewAdapter(pub Publisher, dir AgentDirectory, logger *slog.Logger) *Adapter {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Adapter{pub: pub, dir: dir, log: logger, calls: map[string]*callMeta{}}
}

var _ acd.EventSink = (*Adapter)(nil)

// SetDevices tells the adapter which agents ring a browser (call.ringing's
// device); set before events flow.
func (a *Adapter) SetDevices(d interface {
	Attached(tenant, agentID string) bool
}) {
	a.devices = d
}

func (a *Adapter) publish(tenant string, e Event) {
	if _, err := a.pub.Publish(tenant, e); err != nil {
		a.log.Error("cti: publish", "tenant", tenant, "type", e.Type, "err", err)
	}
}

func seconds(d time.Duration) int { return int(math.Round(d.Seconds())) }

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return protocol.Timestamp(t)
}

// track records what the ACD knows of a call; fn runs under the lock.
func (a *Adapter) track(tenant, call string, fn func(m *callMeta)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	key := tenant + "/" + call
	m := a.calls[key]
	if m == nil {
		if len(a.calls) >= maxTracked {
			a.prune()
		}
		m = &callMeta{}
		a.calls[key] = m
	}
	m.seen = time.Now()
	fn(m)
}

func (a *Adapter) prune() {
	cutoff := time.Now().Add(-trackFor)
	for k, m := range a.calls {
		if m.seen.Before(cutoff) {
			delete(a.calls, k)
		}
	}
	// Still full: the oldest half goes, whatever its age.
	if len(a.calls) >= maxTracked {
		n := 0
		for k := range a.calls {
			delete(a.calls, k)
			if n++; n >= maxTracked/2 {
				break
			}
		}
	}
}

func (a *Adapter) lookup(tenant, call string, forget bool) callMeta {
	a.mu.Lock()
	defer a.mu.Unlock()
	key := tenant + "/" + call
	m := a.calls[key]
	if m == nil {
		return callMeta{}
	}
	if forget {
		delete(a.calls, key)
	}
	return *m
}

// ACDEvent turns one ACD event into a CTI event.
func (a *Adapter) ACDEvent(e acd.Event) {
	switch ev := e.(type) {
	case acd.AgentStateEvent:
		st := ev.Agent
		if st.State == acd.OnCall && st.Call != "" {
			a.track(ev.Tenant, st.Call, func(m *callMeta) { m.agent = st.ID })
		}
		a.publish(ev.Tenant, Event{Type: protocol.EventAgentState, Agents: []string{st.ID}, Queues: ev.Queues, Data: AgentStateData(ev)})
	case acd.AgentOverrunEvent:
		st := ev.Agent
		a.publish(ev.Tenant, Event{Type: protocol.EventAgentOverrun, Agents: []string{st.ID}, Queues: ev.Queues,
			Data: protocol.AgentOverrun{Agent: st.ID, Name: st.Name, Reason: st.Reason, Since: ts(st.Since), MaxS: seconds(st.ReasonMax), Queues: ev.Queues}})
	case acd.OfferEvent:
		a.track(ev.Tenant, ev.Call.ID, func(m *callMeta) { m.queue, m.enqueued, m.rung = ev.Call.Queue, ev.Call.Enqueued, ev.Agent })
		data := protocol.CallRinging{Call: ev.Call.ID, Agent: ev.Agent, Queue: ev.Call.Queue, Caller: ev.Call.Caller, DID: ev.Call.DID,
			Priority: ev.Call.Priority, VIP: ev.Call.VIP, WaitS: seconds(ev.Wait), Vars: ev.Call.Vars, Callback: ev.Call.Callback}
		if a.devices != nil && a.devices.Attached(ev.Tenant, ev.Agent) {
			data.Device = protocol.DeviceBrowser
		}
		a.publish(ev.Tenant, Event{Type: protocol.EventCallRinging, Agents: []string{ev.Agent}, Queues: []string{ev.Call.Queue}, Data: data})
	case acd.OverflowEvent:
		queues := []string{ev.From}
		if ev.To.Kind == acd.TargetQueue {
			queues = append(queues, ev.To.Value)
		}
		a.publish(ev.Tenant, Event{Type: protocol.EventCallOverflowed, Queues: queues,
			Data: protocol.CallOverflowed{Call: ev.Call.ID, Queue: ev.From, To: ev.To.String()}})
	case acd.CallbackEvent:
		a.publish(ev.Tenant, Event{Type: protocol.EventCallbackCreated, Queues: []string{ev.Call.Queue},
			Data: protocol.CallbackCreated{Call: ev.Call.ID, Queue: ev.Call.Queue, Number: ev.Call.Callback}})
	case acd.StatsEvent:
		a.publish(ev.Tenant, Event{Type: protocol.EventQueueStats, Queues: []string{ev.Stats.Queue}, Data: QueueStatsData(ev.Stats)})
	}
}

// AgentStateData is the agent.state data for an ACD event.
func AgentStateData(ev acd.AgentStateEvent) protocol.AgentState {
	st := ev.Agent
	return protocol.AgentState{Agent: st.ID, Name: st.Name, Endpoint: st.Endpoint, State: string(st.State), Prev: string(ev.Prev),
		Reason: st.Reason, Since: ts(st.Since), Call: st.Call, Queue: st.Queue, Pending: string(st.Pending), Queues: ev.Queues,
		AnsweredToday: st.AnsweredToday, NoAnswer: st.NoAnswer, WrapUpUntil: ts(st.WrapUpUntil),
		HandledToday: st.Today.Handled, TalkTodayS: seconds(st.Today.Talk), WrapUpTodayS: seconds(st.Today.WrapUp), AHTS: aht(st.Today),
		ReasonMaxS: seconds(st.ReasonMax), Overrun: st.Overrun,
		SurveysToday: st.Today.Surveys.Asked, SurveyAnswersToday: st.Today.Surveys.Answered, Satisfaction: meanScore(st.Today.Surveys)}
}

// meanScore is the mean survey score to two decimals, nil before the first.
func meanScore(v acd.Surveys) *float64 {
	m, ok := v.Mean()
	if !ok {
		return nil
	}
	m = math.Round(m*100) / 100
	return &m
}

// QueueStatsData is the queue.stats data for ACD statistics.
func QueueStatsData(s acd.QueueStats) protocol.QueueStats {
	agents := make(map[string]int, len(s.Agents))
	for st, n := range s.Agents {
		if n > 0 {
			agents[string(st)] = n
		}
	}
	out := protocol.QueueStats{Queue: s.Queue, Name: s.Name, Waiting: s.Waiting, Callbacks: s.Callbacks, Oldest: ts(s.Oldest),
		LongestWaitS: seconds(s.LongestWait), ExpectedWaitS: seconds(s.ExpectedWait), Agents: agents,
		SLCalls: s.SLCalls, SLThresholdS: seconds(s.SLThreshold), SLAbandons: string(s.SLAbandons), ShortAbandonS: seconds(s.ShortAbandon),
		AnsweredToday: s.Today.Answered, AbandonedToday: s.Today.Abandoned, OverflowedToday: s.Today.Overflowed,
		CallbacksToday: s.Today.Callbacks, OfferedToday: offered(s), ASAS: asa(s.Today),
		SurveysToday: s.Today.Surveys.Asked, SurveyAnswersToday: s.Today.Surveys.Answered, Satisfaction: meanScore(s.Today.Surveys)}
	if s.SLCalls > 0 {
		sl := math.Round(s.ServiceLevel*1000) / 1000
		out.ServiceLevel = &sl
	}
	return out
}

// CallTransferred is for the PBX to report a transfer (REFER or CTI).
func (a *Adapter) CallTransferred(tenant, callID, agentID, to string, attended bool) {
	m := a.lookup(tenant, callID, false)
	if agentID == "" {
		agentID = m.agent
	}
	mode := "blind"
	if attended {
		mode = "attended"
	}
	a.publish(tenant, Event{Type: protocol.EventCallTransferred, Agents: nonEmpty(agentID), Queues: nonEmpty(m.queue),
		Data: protocol.CallTransferred{Call: callID, Agent: agentID, To: to, Mode: mode}})
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
