package boot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/yimen/yimen/ivr"
	"github.com/yimen/yimen/recorder"
)

// recordingWebhook posts each finished recording's metadata to a third-party
// QA/ASR system, signed like the IVR's HTTP requests (X-Yimen-Timestamp and
// X-Yimen-Signature: HMAC-SM3 over "timestamp\nbody"), retried a few times.
type recordingWebhook struct {
	url  string
	key  []byte
	http *http.Client
	log  *slog.Logger
}

func newRecordingWebhook(url, keyFile string, log *slog.Logger) (*recordingWebhook, error) {
	b, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("recording.webhook_key_file: %w", err)
	}
	key := []byte(strings.TrimSpace(string(b)))
	if len(key) < 16 {
		return nil, fmt.Errorf("recording.webhook_key_file: key shorter than 16 bytes")
	}
	return &recordingWebhook{url: url, key: key, http: &http.Client{Timeout: 5 * time.Second}, log: log}, nil
}

func (w *recordingWebhook) send(rec recorder.Recording) {
	body, _ := json.Marshal(map[string]any{"event": "recording.ready", "id": rec.ID, "tenant": rec.Tenant,
		"agent": rec.Agent, "queue": rec.Queue, "caller": rec.CallerMasked, "start": rec.Start.UTC().Format(time.RFC3339),
		"duration_s": rec.Duration.Seconds(), "size": rec.Size, "sm3": rec.SM3, "format": rec.Format,
		"audio": "/api/v1/recordings/" + rec.ID + "/audio"})
	go func() {
		for attempt, wait := 1, time.Second; attempt <= 4; attempt, wait = attempt+1, wait*2 {
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			req, err := http.NewRequestWithContext(context.Background(), "POST", w.url, bytes.NewReader(body))
			if err != nil {
				w.log.Error("recording webhook", "err", err)
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Yimen-Timestamp", ts)
			req.Header.Set("X-Yimen-Signature", ivr.SignHTTP(w.key, ts, body))
			res, err := w.http.Do(req)
			if err == nil {
				res.Body.Close()
				if res.StatusCode < 300 {
					return
				}
				err = fmt.Errorf("HTTP %d", res.StatusCode)
			}
			w.log.Warn("recording webhook failed", "id", rec.ID, "attempt", attempt, "err", err)
			time.Sleep(wait)
		}
	}()
}
