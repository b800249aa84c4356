package callsession

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/prompt"
	"github.com/yimen/yimen/ivr"
)

// TTSConfig chooses the speech engine: an HTTP engine (text in, WAV out)
// first, and the local espeak-ng as the fallback so the system works offline.
type TTSConfig struct {
	URL      string        // POST {"text","voice"} → audio/wav; empty: no HTTP engine
	Timeout  time.Duration // per request
	Local    bool          // use espeak-ng (+ sox to resample) when the engine fails or is absent
	CacheDir string        // synthesized prompts, keyed by text + voice
}

// PromptCache loads prompt files and synthesized text once, as G.711 frames per payload type.
type PromptCache struct {
	dir  string
	tts  TTSConfig
	http *http.Client
	log  *slog.Logger

	mu     sync.Mutex
	frames map[string][][]byte
}

// NewPromptCache serves prompts from dir.
func NewPromptCache(dir string, tts TTSConfig, log *slog.Logger) *PromptCache {
	if tts.Timeout <= 0 {
		tts.Timeout = 3 * time.Second
	}
	return &PromptCache{dir: dir, tts: tts, http: &http.Client{Timeout: tts.Timeout}, log: log, frames: map[string][][]byte{}}
}

// Frames returns the prompt's frames for payload type pt.
func (c *PromptCache) Frames(ctx context.Context, p ivr.PromptRef, pt uint8) ([][]byte, error) {
	key := fmt.Sprintf("%d|%s|%s|%s", pt, p.File, p.Voice, p.Text)
	c.mu.Lock()
	f, ok := c.frames[key]
	c.mu.Unlock()
	if ok {
		return f, nil
	}
	var a *prompt.Audio
	var err error
	if p.File != "" {
		name := filepath.Clean("/" + p.File)[1:] // no escaping the prompt directory
		a, err = prompt.LoadFile(filepath.Join(c.dir, name))
	} else {
		a, err = c.synthesize(ctx, p.Text, p.Voice)
	}
	if err != nil {
		return nil, err
	}
	f = a.Frames(pt)
	c.mu.Lock()
	c.frames[key] = f
	c.mu.Unlock()
	return f, nil
}

func (c *PromptCache) synthesize(ctx context.Context, text, voice string) (*prompt.Audio, error) {
	sum := sha256.Sum256([]byte(voice + "\x00" + text))
	cached := ""
	if c.tts.CacheDir != "" {
		cached = filepath.Join(c.tts.CacheDir, hex.EncodeToString(sum[:16])+".wav")
		if a, err := prompt.LoadFile(cached); err == nil {
			return a, nil
		}
	}
	var wav []byte
	var err error
	if c.tts.URL != "" {
		wav, err = c.httpTTS(ctx, text, voice)
		if err != nil {
			c.log.Warn("tts engine failed", "err", err)
		}
	}
	if wav == nil && c.tts.Local {
		wav, err = localTTS(ctx, text, voice)
	}
	if wav == nil {
		if err == nil {
			err = fmt.Errorf("no TTS engine configured: %w", errs.ErrUnavailable)
		}
		return nil, err
	}
	a, err := prompt.DecodeWAV(wav)
	if err != nil {
		return nil, fmt.Errorf("tts output: %w", err)
	}
	if cached != "" {
		if err := os.MkdirAll(c.tts.CacheDir, 0o700); err == nil {
			_ = os.WriteFile(cached, wav, 0o600)
		}
	}
	return a, nil
}

func (c *PromptCache) httpTTS(ctx context.Context, text, voice string) ([]byte, error) {
	body := fmt.Sprintf(`{"text":%q,"voice":%q,"format":"wav","rate":8000}`, text, voice)
	req, err := http.NewRequestWithContext(ctx, "POST", c.tts.URL, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return nil, fmt.Errorf("tts engine %s: HTTP %d", (&url.URL{Scheme: req.URL.Scheme, Host: req.URL.Host}).String(), res.StatusCode)
	}
	return io.ReadAll(io.LimitReader(res.Body, 8<<20))
}

// localTTS speaks with espeak-ng and resamples to 8 kHz mono with sox.
// The text follows "--": it comes from flows and http replies, and text
// starting with "-" ("--help", "-w/some/file") must not be read as an option.
func localTTS(ctx context.Context, text, voice string) ([]byte, error) {
	if voice == "" {
		voice = "cmn"
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	speak := exec.CommandContext(ctx, "espeak-ng", "-v", voice, "--stdout", "--", text)
	raw, err := speak.Output()
	if err != nil {
		speak = exec.CommandContext(ctx, "espeak-ng", "--stdout", "--", text)
		if raw, err = speak.Output(); err != nil {
			return nil, fmt.Errorf("espeak-ng: %w: %w", err, errs.ErrUnavailable)
		}
	}
	conv := exec.CommandContext(ctx, "sox", "-t", "wav", "-", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "wav", "-")
	conv.Stdin = bytes.NewReader(raw)
	out, err := conv.Output()
	if err != nil {
		return nil, fmt.Errorf("sox: %w: %w", err, errs.ErrUnavailable)
	}
	return out, nil
}
