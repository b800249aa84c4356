package oa_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/oa"
)

// sseEvent is one server-sent event.
type sseEvent struct{ id, event, data string }

// openStream opens the notification stream as token, after since ("" for
// none), and returns its events as they come.
func openStream(t *testing.T, o *oaProc, token, lastID string) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", o.url("/api/v1/notifications/stream"), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	out := make(chan sseEvent, 16)
	go func() {
		defer res.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.event != "" {
					out <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	return out
}

func nextEvent(t *testing.T, ch <-chan sseEvent, within time.Duration) (sseEvent, bool) {
	t.Helper()
	select {
	case ev, ok := <-ch:
		return ev, ok
	case <-time.After(within):
		return sseEvent{}, false
	}
}

// A handler's page gets a notification pushed the moment a ticket is
// dispatched to their department, not at the next poll; a page that comes
// back with Last-Event-ID gets what it missed; a bad since is a 400.
func TestNotificationsArePushed(t *testing.T) {
	o := startOA(t, nil)
	agent, handler := o.login(t, "agent1001"), o.login(t, "handler1")
	repair := o.department(t, agent, "维修部")
	var cats struct{ Items []oa.Category }
	o.do(t, "GET", "/api/v1/categories", agent, nil, &cats)
	stream := openStream(t, o, handler, "")
	dispatch := func(title string) oa.Ticket {
		var tk oa.Ticket
		if code := o.do(t, "POST", "/api/v1/tickets", agent, map[string]any{"title": title, "category_id": cats.Items[0].ID}, &tk); code != 201 {
			t.Fatalf("create: %d", code)
		}
		if code := o.do(t, "POST", "/api/v1/tickets/"+strconv.FormatInt(tk.ID, 10)+"/transitions", agent,
			map[string]any{"action": "dispatch", "department_id": repair}, nil); code != 200 {
			t.Fatalf("dispatch: %d", code)
		}
		return tk
	}
	tk := dispatch("投注机黑屏")
	ev, ok := nextEvent(t, stream, 3*time.Second)
	if !ok || ev.event != "notification" {
		t.Fatalf("no notification pushed within 3 s: %+v", ev)
	}
	var n oa.Notification
	if err := json.Unmarshal([]byte(ev.data), &n); err != nil || n.TicketID != tk.ID || n.Kind != "dispatch" || ev.id != strconv.FormatInt(n.ID, 10) {
		t.Fatalf("pushed %+v (%v) id %s", n, err, ev.id)
	}

	// Away, then back with the last id seen: what came meanwhile arrives.
	tk2 := dispatch("打印机卡纸")
	back := openStream(t, o, handler, ev.id)
	ev2, ok := nextEvent(t, back, 3*time.Second)
	var n2 oa.Notification
	if !ok || json.Unmarshal([]byte(ev2.data), &n2) != nil || n2.TicketID != tk2.ID {
		t.Fatalf("after reconnecting: %+v", ev2)
	}
	var bad errorReply
	if code := o.do(t, "GET", "/api/v1/notifications/stream?since=x", handler, nil, &bad); code != 400 || bad.Fields["since"] == "" {
		t.Errorf("bad since: %d %+v", code, bad)
	}
}
