package oaapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/yimen/yimen/internal/httpx"
	"github.com/yimen/yimen/oa"
)

// streamHeartbeat is how often an idle notification stream sends a
// comment, so proxies keep it open and a dead client is noticed.
const streamHeartbeat = 25 * time.Second

// startEvents answers with an event stream: no read deadline, no caching
// or proxy buffering, the client's reconnect delay; the heartbeat ticks
// every streamHeartbeat.
func startEvents(w http.ResponseWriter) (*http.ResponseController, *time.Ticker) {
	httpx.ClearReadDeadline(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: 3000\n\n")
	return http.NewResponseController(w), time.NewTicker(streamHeartbeat)
}

// notificationStream pushes the caller's new notifications as server-sent
// events (`id`, `event: notification`, JSON `data`), as they are written.
// It starts after the id in Last-Event-ID (a browser's EventSource sends
// it when it reconnects) or ?since=; with neither, after the newest one,
// the page having listed the rest with GET /api/v1/notifications.
func (a *API) notificationStream(w http.ResponseWriter, r *http.Request) {
	tenant, me, err := a.who(r)
	since := int64(0)
	if err == nil {
		v := r.Header.Get("Last-Event-ID")
		if v == "" {
			v = r.URL.Query().Get("since")
		}
		if v != "" {
			if since, err = strconv.ParseInt(v, 10, 64); err != nil || since < 0 {
				err = oa.FieldErrors{"since": "a notification id"}
			}
		} else {
			since, err = a.d.OA.LatestNotification(r.Context(), tenant, me.UserID)
		}
	}
	if err != nil {
		a.fail(w, r, "stream notifications", err)
		return
	}
	wake, stop := a.d.OA.SubscribeNotifications(tenant, me.UserID)
	defer stop()
	rc, beat := startEvents(w)
	defer beat.Stop()
	for {
		for {
			items, err := a.d.OA.NotificationsAfter(r.Context(), tenant, me.UserID, since, 50)
			if err != nil {
				a.d.Log.Warn("notification stream: read", "user", me.UserID, "err", err)
				return
			}
			for _, n := range items {
				b, _ := json.Marshal(n)
				fmt.Fprintf(w, "id: %d\nevent: notification\ndata: %s\n\n", n.ID, b)
				since = n.ID
			}
			if len(items) < 50 {
				break
			}
		}
		if rc.Flush() != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-wake:
		case <-beat.C:
			fmt.Fprint(w, ": ping\n\n")
		}
	}
}
