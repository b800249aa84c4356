package boot

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yimen/yimen/internal/keys"
)

// TestShortIVRHTTPKeyIsRefused: the key that signs the IVR's http
// statements and authenticates their replies must be long enough to trust;
// a short one stops the start, naming its setting.
func TestShortIVRHTTPKeyIsRefused(t *testing.T) {
	dir := t.TempDir()
	cfg := securityTestConfig(dir)
	keyFile := filepath.Join(dir, "ivr-http.key")
	if err := os.WriteFile(keyFile, []byte("short-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.IVR.Flows, cfg.IVR.Prompts, cfg.IVR.HTTPKeyFile = "../../../configs/ivr", "../../../configs/prompts", keyFile
	cfg.IVR.Calendars = "../../../configs/calendars"
	cfg.Tenants[0].IVR = map[string]string{"8000": "demo"}
	_, err := BuildPBX(context.Background(), cfg, []string{"YIMEN_MASTER_KEY=" + keys.GenerateMasterKey()}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "ivr.http_key_file") || !strings.Contains(err.Error(), "32 bytes") {
		t.Fatalf("start with a 9-byte ivr.http_key_file: %v", err)
	}
}
