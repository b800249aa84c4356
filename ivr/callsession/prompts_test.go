package callsession

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/yimen/yimen/internal/sipp"
)

// Text to speak comes from flows and from http replies; espeak-ng got it
// as a bare argument, so "--help" printed the usage instead of speaking
// and "-w<path>" wrote a file wherever the text said. After "--" both are
// spoken.
func TestAttackTTSTextIsNotAnOption(t *testing.T) {
	sipp.RequireTool(t, "espeak-ng", "apt-get install espeak-ng")
	sipp.RequireTool(t, "sox", "apt-get install sox")
	planted := filepath.Join(t.TempDir(), "planted.wav")
	for _, text := range []string{"--help", "-w" + planted, "-w /tmp/x"} {
		out, err := localTTS(t.Context(), text, "")
		if err != nil {
			t.Errorf("%q: %v", text, err)
			continue
		}
		if !bytes.HasPrefix(out, []byte("RIFF")) || len(out) < 1000 {
			t.Errorf("%q: %d bytes starting %q, want the text spoken as a WAV", text, len(out), out[:min(len(out), 8)])
		}
	}
	if _, err := os.Stat(planted); err == nil {
		t.Error("TTS text wrote a file of its choosing")
	}
}
