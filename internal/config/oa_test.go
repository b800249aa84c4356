package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/yimen/yimen/internal/errs"
)

func TestOADemoConfigLoads(t *testing.T) {
	cfg, err := LoadOA("../../configs/oa-demo.yaml", []string{"YIMEN_OA_HTTP_ADDR=127.0.0.1:9999"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.Addr != "127.0.0.1:9999" || cfg.Tenants[0] != "demo" || cfg.CTI.TokensFile != "data/oa-cti-tokens.txt" ||
		cfg.Business.LocalAreaCode != "010" || cfg.PlatformTenantName() != "demo" {
		t.Errorf("%+v", cfg)
	}
	// The PBX's variables do not reach the OA.
	cfg, _ = LoadOA("../../configs/oa-demo.yaml", []string{"YIMEN_HTTP_ADDR=127.0.0.1:1"})
	if cfg.HTTP.Addr != "127.0.0.1:8090" {
		t.Errorf("YIMEN_HTTP_ADDR changed the OA: %s", cfg.HTTP.Addr)
	}
}

func TestOAConfigErrorsNameKeyAndLine(t *testing.T) {
	_, err := ParseOA("oa.yaml", []byte("tenants: [demo]\nbusiness:\n  local_area_code: \"10\"\ncti:\n  url: ws://x/cti\n"), nil)
	if err == nil || !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("accepted: %v", err)
	}
	for _, want := range []string{"oa.yaml:3: business.local_area_code", "oa.yaml:4: cti.tokens_file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v does not name %q", err, want)
		}
	}
	if _, err := ParseOA("oa.yaml", []byte("tenants: [demo]\nbogus: 1\n"), nil); err == nil {
		t.Error("unknown key accepted")
	}
}
