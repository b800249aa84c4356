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

// A break-glass token that is short, one repeated character, or kept in a
// file others can read stops the start, naming what is wrong; a strong one
// in a private file is taken.
func TestBreakGlassTokenMustBeStrongAndPrivate(t *testing.T) {
	master := "YIMEN_MASTER_KEY=" + keys.GenerateMasterKey()
	strong := strings.Repeat("3f9a", 16)
	for _, c := range []struct {
		name, env, file string
		mode            os.FileMode
		want            string // in the error; "" to start
	}{
		{"short token in the environment", "YIMEN_ADMIN_TOKEN=admin123", "", 0, "at least 32"},
		{"one character repeated", "YIMEN_ADMIN_TOKEN=" + strings.Repeat("a", 40), "", 0, "repeated"},
		{"strong token in the environment", "YIMEN_ADMIN_TOKEN=" + strong, "", 0, ""},
		{"file others may read", "", strong, 0o644, "mode 0644"},
		{"short token in a private file", "", "letmein", 0o600, "at least 32"},
		{"strong token in a private file", "", strong, 0o600, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := securityTestConfig(dir)
			env := []string{master}
			if c.env != "" {
				env = append(env, c.env)
			}
			if c.file != "" {
				cfg.HTTP.AdminTokenFile = filepath.Join(dir, "admin-token.txt")
				if err := os.WriteFile(cfg.HTTP.AdminTokenFile, []byte(c.file+"\n"), c.mode); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(cfg.HTTP.AdminTokenFile, c.mode); err != nil { // past the umask
					t.Fatal(err)
				}
			}
			p, err := BuildPBX(context.Background(), cfg, env, io.Discard)
			if err == nil {
				t.Cleanup(func() { p.DB.Close() })
			}
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("err = %v, want it to say %q", err, c.want)
			}
		})
	}
}
