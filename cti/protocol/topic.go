package protocol

import (
	"fmt"
	"strings"
)

// TopicKind is what a subscription follows.
type TopicKind string

// Topic kinds.
const (
	TopicTenant TopicKind = "tenant" // everything in the tenant
	TopicAgent  TopicKind = "agent"  // one agent: state, calls, screen pops
	TopicQueue  TopicKind = "queue"  // one queue: stats, calls, member states
)

// Topic is a parsed subscription topic: "tenant", "agent:1001", "queue:hotline".
type Topic struct {
	Kind TopicKind
	ID   string
}

func (t Topic) String() string {
	if t.Kind == TopicTenant {
		return string(TopicTenant)
	}
	return string(t.Kind) + ":" + t.ID
}

// AgentTopic names an agent's topic.
func AgentTopic(id string) string { return string(TopicAgent) + ":" + id }

// QueueTopic names a queue's topic.
func QueueTopic(id string) string { return string(TopicQueue) + ":" + id }

// ParseTopic reads a topic string.
func ParseTopic(s string) (Topic, error) {
	if s == string(TopicTenant) {
		return Topic{Kind: TopicTenant}, nil
	}
	kind, id, ok := strings.Cut(s, ":")
	if !ok || (kind != string(TopicAgent) && kind != string(TopicQueue)) {
		return Topic{}, fmt.Errorf("topic %q: want tenant, agent:<id> or queue:<id>", shorten(s))
	}
	if !ValidID(id) {
		return Topic{}, fmt.Errorf("topic %q: bad id", shorten(s))
	}
	return Topic{Kind: TopicKind(kind), ID: id}, nil
}

// ValidID accepts agent, queue and call ids: 1..64 of letters, digits and
// "-_.+@".
func ValidID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == '+', c == '@':
		default:
			return false
		}
	}
	return true
}
