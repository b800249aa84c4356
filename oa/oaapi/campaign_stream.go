package oaapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/httpx"
)

// progressEvery bounds how often a progress stream sends: a campaign of
// many agents changes more often than a page needs to redraw.
const progressEvery = 250 * time.Millisecond

// campaignStream pushes a campaign's progress as server-sent events
// (`event: progress`, the JSON of GET …/progress) at once and then at
// every change, at most four times a second, until the campaign is stopped
// or done (a last event says so) or the client goes.
func (a *API) campaignStream(w http.ResponseWriter, r *http.Request) {
	cs := a.d.Campaigns
	if cs == nil {
		httpx.WriteError(w, http.StatusServiceUnavailable, "campaigns are not configured")
		return
	}
	p, _ := auth.PrincipalFrom(r.Context())
	id, err := pathID(r, "id")
	if err == nil {
		_, err = cs.Get(r.Context(), p.Tenant, id)
	}
	if err != nil {
		a.fail(w, r, "stream the campaign's progress", err)
		return
	}
	rc, beat := startEvents(w)
	defer beat.Stop()
	var last []byte
	for {
		moved := cs.Moved()
		pr, err := cs.Progress(r.Context(), p.Tenant, id)
		if err != nil {
			a.d.Log.Warn("campaign stream: read", "campaign", id, "err", err)
			return
		}
		b, _ := json.Marshal(pr)
		if !bytes.Equal(b, last) {
			fmt.Fprintf(w, "event: progress\ndata: %s\n\n", b)
			last = b
		}
		if rc.Flush() != nil || pr.State == "stopped" || pr.State == "done" {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-moved:
		case <-beat.C:
			fmt.Fprint(w, ": ping\n\n")
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(progressEvery):
		}
	}
}
