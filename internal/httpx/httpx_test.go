package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/yimen/yimen/internal/errs"
)

type body struct {
	Name string `json:"name"`
}

func post(s string) (*httptest.ResponseRecorder, *http.Request) {
	return httptest.NewRecorder(), httptest.NewRequest("POST", "/x", strings.NewReader(s))
}

func TestDecodeJSONRefusesOversizedAndMalformedBodies(t *testing.T) {
	huge := `{"name":"` + strings.Repeat("a", 2000) + `"}`
	for _, tc := range []struct {
		name, in string
		limit    int64
		want     int // 0: accepted
	}{
		{"valid", `{"name":"x"}`, 0, 0},
		{"under its limit", huge, 4096, 0},
		{"over its limit", huge, 1024, http.StatusRequestEntityTooLarge},
		{"over the default limit", `{"name":"` + strings.Repeat("a", DefaultBodyLimit) + `"}`, 0, http.StatusRequestEntityTooLarge},
		{"truncated", `{"name":`, 0, http.StatusBadRequest},
		{"not JSON", `not json`, 0, http.StatusBadRequest},
		{"empty", ``, 0, http.StatusBadRequest},
		{"unknown field", `{"name":"x","admin":true}`, 0, http.StatusBadRequest},
		{"wrong type", `{"name":5}`, 0, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, r := post(tc.in)
			var v body
			err := DecodeJSON(w, r, tc.limit, &v)
			if tc.want == 0 {
				if err != nil || v.Name == "" {
					t.Fatalf("DecodeJSON = %v, %+v; want it accepted", err, v)
				}
				return
			}
			if err == nil {
				t.Fatalf("DecodeJSON accepted %q", tc.in)
			}
			if got := Status(err); got != tc.want {
				t.Errorf("Status(%v) = %d, want %d", err, got, tc.want)
			}
			if !errors.Is(err, errs.ErrInvalid) {
				t.Errorf("%v does not wrap errs.ErrInvalid", err)
			}
		})
	}
}

func TestReadJSONAnswersARefusedBody(t *testing.T) {
	for in, want := range map[string]int{
		`{"name":`: http.StatusBadRequest,
		`{"name":"` + strings.Repeat("a", DefaultBodyLimit) + `"}`: http.StatusRequestEntityTooLarge,
	} {
		w, r := post(in)
		var v body
		if ReadJSON(w, r, &v) {
			t.Fatalf("ReadJSON accepted a body of %d bytes", len(in))
		}
		var e map[string]string
		if w.Code != want || json.Unmarshal(w.Body.Bytes(), &e) != nil || e["error"] == "" {
			t.Errorf("refused body of %d bytes: %d %q, want %d with a JSON error", len(in), w.Code, w.Body, want)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
	}
	w, r := post(`{"name":"ok"}`)
	var v body
	if !ReadJSON(w, r, &v) || v.Name != "ok" || w.Body.Len() != 0 {
		t.Errorf("valid body: %v %q", v, w.Body)
	}
}

func TestStatusMapsEveryErrorKind(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{errs.ErrNotFound, 404},
		{errs.ErrInvalid, 400},
		{errs.ErrConflict, 409},
		{errs.ErrForbidden, 403},
		{errs.ErrUnavailable, 503},
		{ErrTooLarge, 413},
		{fmt.Errorf("user 7: %w", errs.ErrNotFound), 404},
		{fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", errs.ErrConflict)), 409},
		{errors.New("disk on fire"), 500},
		{nil, 500},
	} {
		if got := Status(tc.err); got != tc.want {
			t.Errorf("Status(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestFailHidesAnInternalErrorAndLogsItOnce(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	secret := errors.New("open /var/lib/yimen/keys/master: permission denied")
	w := httptest.NewRecorder()
	Fail(w, httptest.NewRequest("GET", "/api/v1/cdrs?tenant=demo", nil), log, "cannot list CDRs", secret)
	if w.Code != 500 {
		t.Fatalf("status %d, want 500", w.Code)
	}
	var e map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e["error"] != "cannot list CDRs" {
		t.Errorf("body %q, want the public message only", w.Body)
	}
	if strings.Contains(w.Body.String(), "master") {
		t.Errorf("500 leaked the error: %q", w.Body)
	}
	if n := strings.Count(logs.String(), "\n"); n != 1 || !strings.Contains(logs.String(), "permission denied") ||
		!strings.Contains(logs.String(), "path=/api/v1/cdrs") || !strings.Contains(logs.String(), "status=500") {
		t.Errorf("want one log line with the error, path and status, got %q", logs.String())
	}
}

func TestFailTellsTheClientWhatItGotWrong(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	for _, err := range []error{
		fmt.Errorf("limit must be 1..1000: %w", errs.ErrInvalid),
		fmt.Errorf("agent a1: %w", errs.ErrNotFound),
	} {
		w := httptest.NewRecorder()
		Fail(w, httptest.NewRequest("GET", "/", nil), log, "cannot", err)
		var e map[string]string
		if json.Unmarshal(w.Body.Bytes(), &e) != nil || e["error"] != err.Error() || w.Code != Status(err) {
			t.Errorf("%v: %d %q", err, w.Code, w.Body)
		}
	}
	if logs.Len() != 0 {
		t.Errorf("a client's mistake was logged as a failure: %q", logs.String())
	}
	w := httptest.NewRecorder()
	Fail(w, httptest.NewRequest("GET", "/", nil), log, "cannot reach the store", fmt.Errorf("dial 10.0.0.5: %w", errs.ErrUnavailable))
	if w.Code != 503 || strings.Contains(w.Body.String(), "10.0.0.5") || logs.Len() == 0 {
		t.Errorf("503: %d %q, logged %q", w.Code, w.Body, logs.String())
	}
}

func TestServerServesAndShutsDown(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, 200, map[string]string{"ok": "yes"}) })
	s, err := Listen(ListenConfig{Addr: "127.0.0.1:0"}, h, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if s.Scheme() != "http" {
		t.Errorf("scheme %q", s.Scheme())
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	res, err := http.Get("http://" + s.Addr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), `"ok":"yes"`) {
		t.Errorf("%d %s", res.StatusCode, b)
	}
	s.Shutdown()
	if err := <-done; err != nil {
		t.Errorf("Serve after Shutdown: %v", err)
	}
}

func TestListenRefusesAMissingCertificate(t *testing.T) {
	_, err := Listen(ListenConfig{Addr: "127.0.0.1:0", TLSCert: "/nonexistent.pem", TLSKey: "/nonexistent.key"}, http.NotFoundHandler(),
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "http.tls_cert") {
		t.Errorf("Listen with a missing certificate: %v", err)
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"name":"x"}`, `{"name":`, `[]`, `null`, `{"name":"\u0000"}`, `{"name":"a"} trailing`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/", bytes.NewReader(in))
		var v body
		err := DecodeJSON(w, r, 512, &v)
		if err == nil {
			return
		}
		if c := Status(err); c != 400 && c != 413 {
			t.Fatalf("%q: status %d", in, c)
		}
		if len(in) <= 512 && c413(err) {
			t.Fatalf("%q (%d bytes) called too large", in, len(in))
		}
	})
}

func c413(err error) bool { return Status(err) == http.StatusRequestEntityTooLarge }
