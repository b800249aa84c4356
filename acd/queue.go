package acd

import (
	"slices"
	"sort"
	"time"
)

// queue is the actor-owned state of one queue.
type queue struct {
	cfg     QueueConfig
	members []*agent // eligible agents, in configured order
	waiting []*qcall // callers and callback requests, best first
	rrNext  int      // round-robin: index of the member to try first
	aht     time.Duration
	today   DayCounts
	day     int
	dirty   bool
	lastPub time.Time
	pubStop func() bool
}

// DayCounts are a queue's counters since local midnight.
type DayCounts struct {
	Answered     int
	AnsweredInSL int
	// AnsweredWait sums the queue waits of the answered calls: ASA is
	// AnsweredWait ÷ Answered.
	AnsweredWait  time.Duration
	Abandoned     int
	AbandonedInSL int // gave up before the SL threshold (not held against the SL)
	Overflowed    int
	Callbacks     int
}

func (q *queue) insert(c *qcall) {
	i := sort.Search(len(q.waiting), func(i int) bool { return c.before(q.waiting[i]) })
	q.waiting = slices.Insert(q.waiting, i, c)
}

func (q *queue) remove(c *qcall) {
	if i := slices.Index(q.waiting, c); i >= 0 {
		q.waiting = slices.Delete(q.waiting, i, i+1)
	}
}

// position is 1 for the call that will be offered next.
func (q *queue) position(c *qcall) int { return slices.Index(q.waiting, c) + 1 }

// isMember reports whether a serves q at all (membership or the queue skill).
func (q *queue) isMember(a *agent) bool {
	if len(q.cfg.Agents) > 0 {
		return slices.Contains(q.cfg.Agents, a.cfg.ID)
	}
	return a.cfg.Skills[q.cfg.Skill] >= max(1, q.cfg.MinLevel)
}

// QueueStats is a queue's live picture.
type QueueStats struct {
	Queue     string
	Name      string
	Waiting   int // callers on the line
	Callbacks int // callback requests waiting for an agent
	// Oldest is when the longest-waiting caller on the line arrived (zero
	// when nobody waits), so a wallboard can tick the longest wait itself.
	Oldest       time.Time
	LongestWait  time.Duration
	Agents       map[State]int // members by state
	ServiceLevel float64       // 0..1 today; 1 when no call counted yet
	SLThreshold  time.Duration
	ExpectedWait time.Duration // for a caller arriving now
	Today        DayCounts
}

// serviceLevel is answered within the threshold over every call that was
// answered or abandoned after the threshold (short abandons do not count).
func (d DayCounts) serviceLevel() float64 {
	den := d.Answered + d.Abandoned - d.AbandonedInSL
	if den <= 0 {
		return 1
	}
	return float64(d.AnsweredInSL) / float64(den)
}

// staffed counts members who will take calls soon.
func (q *queue) staffed() int {
	n := 0
	for _, a := range q.members {
		switch a.state {
		case Ready, Reserved, OnCall, WrapUp:
			n++
		}
	}
	return n
}

// expectedWait for the caller at position pos: the work ahead of them
// (pos handle times) shared among the staffed members.
func (q *queue) expectedWait(pos int) time.Duration {
	if pos <= 0 {
		return 0
	}
	ewt := time.Duration(pos) * q.aht / time.Duration(max(1, q.staffed()))
	return ewt.Round(time.Second)
}

// observeHandle folds one handled call into the average handle time
// (exponential moving average, weight 1/5 for the newest call).
func (q *queue) observeHandle(talk time.Duration) {
	q.aht += (talk + q.cfg.WrapUp - q.aht) / 5
}

func (q *queue) stats(now time.Time) QueueStats {
	st := QueueStats{Queue: q.cfg.ID, Name: q.cfg.Name, Agents: make(map[State]int, 6), SLThreshold: q.cfg.SLThreshold, Today: q.today}
	for _, c := range q.waiting {
		if c.callback != "" {
			st.Callbacks++
			continue
		}
		st.Waiting++
		if st.Oldest.IsZero() || c.enqueued.Before(st.Oldest) {
			st.Oldest = c.enqueued
		}
	}
	if !st.Oldest.IsZero() {
		st.LongestWait = now.Sub(st.Oldest)
	}
	for _, a := range q.members {
		st.Agents[a.state]++
	}
	st.ServiceLevel = q.today.serviceLevel()
	st.ExpectedWait = q.expectedWait(len(q.waiting) + 1)
	return st
}

func dayKey(t time.Time, loc *time.Location) int {
	y, m, d := t.In(loc).Date()
	return y*10000 + int(m)*100 + d
}

func dayStart(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}
