package recorder

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/httpx/route"
	"github.com/yimen/yimen/internal/rbac"
	"github.com/yimen/yimen/pbx/callevent"
)

type apiClient struct {
	t   *testing.T
	srv *httptest.Server
}

func (c apiClient) do(method, path, body string, hdr map[string]string) (*http.Response, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.srv.URL+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func (c apiClient) search(q string) []recordingJSON {
	c.t.Helper()
	res, body := c.do("GET", "/api/v1/recordings?"+q, "", nil)
	if res.StatusCode != 200 {
		c.t.Fatalf("search %s: %d %s", q, res.StatusCode, body)
	}
	var out []recordingJSON
	if err := json.Unmarshal(body, &out); err != nil {
		c.t.Fatal(err)
	}
	return out
}

func TestAPISearchStreamAnnotateDelete(t *testing.T) {
	f := newFixture(t, nil)
	api := apiClient{t, httptest.NewServer(unguarded(t, f.r))}
	defer api.srv.Close()
	t0 := time.Now()
	done := callInfo("done01", "13812345678", "1002", t0)
	f.answer(done)
	s := f.session(done.ID)
	f.talk(s, 0, 50, [2]float64{callerTone, calleeTone}, nil)
	f.r.CallEnded(callevent.Ended{Call: done, CDR: callevent.CDR{End: t0.Add(time.Second)}})
	<-s.done
	live := callInfo("live01", "1001", "1003", t0)
	f.answer(live)

	for q, n := range map[string]int{
		"tenant=demo": 2, "tenant=other": 0, "tenant=demo&extension=1002": 1, "tenant=demo&caller=13812345678": 1,
		"tenant=demo&caller=138-1234-5678": 1, "tenant=demo&caller=13900000000": 0, "tenant=demo&min_duration=0.5&state=complete": 1,
		"tenant=demo&max_duration=0.5&state=complete": 0, "tenant=demo&agent=a1003": 1,
		"tenant=demo&agent=1003": 0, // agent= is the agent id RBAC binds, not the extension
		"tenant=demo&from=" + url.QueryEscape(t0.Add(-time.Minute).Format(time.RFC3339)) + "&to=" + url.QueryEscape(t0.Add(time.Minute).Format(time.RFC3339)): 2,
		"tenant=demo&to=" + url.QueryEscape(t0.Add(-time.Minute).Format(time.RFC3339)):                                                                        0,
	} {
		if got := api.search(q); len(got) != n {
			t.Errorf("search %s: %d results, want %d", q, len(got), n)
		}
	}
	got := api.search("tenant=demo&extension=1002")[0]
	if got.ID != "done01" || got.Caller != "138****5678" || got.DurationMS != 1000 || got.State != StateComplete || got.SM3 == "" {
		t.Errorf("search result %+v", got)
	}
	if strings.Contains(f.logs.String(), "13812345678") {
		t.Error("a full phone number reached the log")
	}
	for _, q := range []string{"", "tenant=demo&from=yesterday", "tenant=demo&limit=0", "tenant=demo&state=weird", "tenant=demo&min_duration=-1"} {
		if res, _ := api.do("GET", "/api/v1/recordings?"+q, "", nil); res.StatusCode != 400 {
			t.Errorf("search %q: %d, want 400", q, res.StatusCode)
		}
	}

	rec, _ := f.r.index.get(context.Background(), "done01")
	file := f.file(rec)
	res, body := api.do("GET", "/api/v1/recordings/done01/audio", "", nil)
	if res.StatusCode != 200 || !bytes.Equal(body, file) || res.Header.Get("Content-Type") != "audio/wav" || res.Header.Get("Accept-Ranges") != "bytes" {
		t.Errorf("audio: %d, %d bytes, type %q", res.StatusCode, len(body), res.Header.Get("Content-Type"))
	}
	for rg, want := range map[string][]byte{"bytes=0-57": file[:58], "bytes=1000-2999": file[1000:3000], "bytes=-100": file[len(file)-100:]} {
		res, body := api.do("GET", "/api/v1/recordings/done01/audio", "", map[string]string{"Range": rg})
		if res.StatusCode != 206 || !bytes.Equal(body, want) {
			t.Errorf("Range %s: %d with %d bytes, want 206 with %d", rg, res.StatusCode, len(body), len(want))
		}
	}
	res, _ = api.do("GET", "/api/v1/recordings/done01/download", "", nil)
	if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="done01.wav"` {
		t.Errorf("download disposition %q", cd)
	}
	if res, _ := api.do("GET", "/api/v1/recordings/live01/audio", "", nil); res.StatusCode != 409 {
		t.Errorf("audio of a recording in progress: %d, want 409", res.StatusCode)
	}

	res, body = api.do("PATCH", "/api/v1/recordings/done01", `{"survey_score": 2, "transferred": true, "queue": "lottery"}`, nil)
	var patched recordingJSON
	json.Unmarshal(body, &patched)
	if res.StatusCode != 200 || patched.SurveyScore == nil || *patched.SurveyScore != 2 || !patched.Transferred || patched.Queue != "lottery" {
		t.Errorf("annotate: %d %s", res.StatusCode, body)
	}
	if n := len(api.search("tenant=demo&max_survey_score=3")); n != 1 {
		t.Errorf("search by survey score: %d, want 1", n)
	}

	if res, _ := api.do("POST", "/api/v1/recordings/live/live01/pause", "", nil); res.StatusCode != 200 {
		t.Errorf("pause: %d", res.StatusCode)
	}
	if res, _ := api.do("POST", "/api/v1/recordings/live/live01/rewind", "", nil); res.StatusCode != 400 {
		t.Errorf("unknown action: %d, want 400", res.StatusCode)
	}
	if res, _ := api.do("DELETE", "/api/v1/recordings/live01", "", nil); res.StatusCode != 409 {
		t.Errorf("delete while recording: %d, want 409", res.StatusCode)
	}
	if res, _ := api.do("DELETE", "/api/v1/recordings/done01", "", nil); res.StatusCode != 204 {
		t.Errorf("delete: %d, want 204", res.StatusCode)
	}
	if res, _ := api.do("GET", "/api/v1/recordings/done01/audio", "", nil); res.StatusCode != 404 {
		t.Errorf("audio after delete: %d, want 404", res.StatusCode)
	}
	if _, err := f.r.storage.Open(context.Background(), rec.Path); err == nil {
		t.Error("file still there after delete")
	}

	logs := f.logs.String()
	for _, action := range []string{"recording.search", "recording.stream", "recording.download", "recording.annotate", "recording.delete", "recording.pause"} {
		if !strings.Contains(logs, "audit=true action="+action) {
			t.Errorf("no audit line for %s", action)
		}
	}
	if !strings.Contains(logs, `detail="range bytes=1000-2999"`) {
		t.Error("the audit line does not say which range was read")
	}
}

func TestAPIQA(t *testing.T) {
	f := newFixture(t, nil)
	api := apiClient{t, httptest.NewServer(unguarded(t, f.r))}
	defer api.srv.Close()
	day := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	for i, id := range []string{"q1", "q2", "q3"} {
		f.putRecording(id, "demo", "1002", day.Add(time.Duration(i)*time.Minute), StateComplete, time.Duration(3+i*3)*time.Minute)
	}
	res, body := api.do("POST", "/api/v1/qa/rules", `{"tenant":"demo","name":"long","kind":"long_call","min_minutes":5}`, nil)
	if res.StatusCode != 201 {
		t.Fatalf("add rule: %d %s", res.StatusCode, body)
	}
	if res, _ := api.do("POST", "/api/v1/qa/rules", `{"tenant":"demo","name":"x","kind":"astrology"}`, nil); res.StatusCode != 400 {
		t.Errorf("bad rule kind: %d, want 400", res.StatusCode)
	}
	res, body = api.do("POST", "/api/v1/qa/generate", `{"tenant":"demo","day":"2026-03-02"}`, nil)
	if res.StatusCode != 200 || !strings.Contains(string(body), `"created":2`) {
		t.Fatalf("generate: %d %s", res.StatusCode, body)
	}
	res, body = api.do("GET", "/api/v1/qa/tasks?tenant=demo&from=2026-03-01&to=2026-03-02", "", nil)
	var tasks []Task
	json.Unmarshal(body, &tasks)
	if res.StatusCode != 200 || len(tasks) != 2 || tasks[0].RecordingID != "q2" {
		t.Fatalf("tasks: %d %s", res.StatusCode, body)
	}
	res, body = api.do("PATCH", "/api/v1/qa/tasks/"+jsonInt(tasks[0].ID), `{"assignee":"qa1","state":"done","score":90}`, nil)
	if res.StatusCode != 200 || !strings.Contains(string(body), `"score":90`) {
		t.Errorf("update task: %d %s", res.StatusCode, body)
	}
	res, body = api.do("GET", "/api/v1/qa/scores?tenant=demo", "", nil)
	if res.StatusCode != 200 || !strings.Contains(string(body), `{"agent":"1002","tasks":2,"scored":1,"average":90}`) {
		t.Errorf("scores: %d %s", res.StatusCode, body)
	}
}

func jsonInt(v int64) string { b, _ := json.Marshal(v); return string(b) }

func FuzzParseFilter(f *testing.F) {
	f.Add("tenant=demo&from=2026-01-02T00:00:00Z&to=2026-01-03T00:00:00Z&extension=1002&min_duration=1.5&limit=10")
	f.Add("tenant=demo&max_duration=1e7&max_survey_score=2&state=recovered&caller=%2B8613812345678")
	f.Add("tenant=&limit=-1")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		flt, err := parseFilter(q)
		if err != nil {
			return
		}
		if flt.Tenant == "" || flt.Limit < 0 || flt.Limit > 1000 || flt.MinDuration < 0 || flt.MaxDuration < 0 {
			t.Fatalf("accepted %+v from %q", flt, raw)
		}
	})
}

// openGuard lets every request through: these tests exercise the handlers;
// the guard in front of them is internal/adminapi's, tested there and in
// the system tests.
type openGuard struct{}

func (openGuard) Protect(rt route.Route) http.Handler { return rt.Handler }

func (openGuard) Can(*http.Request, string, rbac.Scope) bool { return true }

// unguarded serves the recorder's route table without authorization.
func unguarded(t *testing.T, r *Recorder) http.Handler {
	t.Helper()
	mux := http.NewServeMux()
	if err := route.Mount(mux, openGuard{}, r.Routes(nil, openGuard{})); err != nil {
		t.Fatal(err)
	}
	return mux
}
