package trunk

import (
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/yimen/yimen/internal/calendar"
	"github.com/yimen/yimen/internal/config"
)

// TestShippedConfigsCompile: the trunk examples in configs/ are valid, so
// an operator who copies one starts from tables that compile.
func TestShippedConfigsCompile(t *testing.T) {
	cals, err := calendar.LoadAll(os.DirFS("../../configs/calendars"), ".")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load("../../configs/production.example.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Tenants[0].Trunks) != 2 || len(cfg.Tenants[0].Routes) != 2 {
		t.Fatalf("production example lost its trunks: %+v", cfg.Tenants[0].TenantTrunks)
	}
	cfg.Tenants[0].Trunks[1].PasswordFile = "" // /etc/yimen is not here
	cfg.Tenants[0].Trunks[1].Password = "x"
	if _, err := New(cfg, cals, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil); err != nil {
		t.Fatal(err)
	}
}
