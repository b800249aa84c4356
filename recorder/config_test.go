package recorder

import (
	"strings"
	"testing"

	"github.com/yimen/yimen/internal/config"
)

const baseYAML = `sip: {udp: "127.0.0.1:5060"}
tenants:
  - name: demo
    extensions: ["1001-1010"]
`

func TestRecordingConfigIsValidatedWithKeyAndLine(t *testing.T) {
	good := baseYAML + `recording:
  format: pcm
  policy: on_demand
  overrides:
    - {tenant: demo, extension: "1003", policy: always}
  retention_days: 30
  tenant_retention_days: {demo: 7}
  encrypt: true
`
	cfg, err := config.Parse("good.yaml", []byte(good), []string{"YIMEN_RECORDING_POLICY=always"})
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Recording
	if r.Format != "pcm" || r.Policy != "always" || !r.Encrypt || r.TenantRetentionDays["demo"] != 7 || len(r.Overrides) != 1 {
		t.Errorf("parsed %+v", r)
	}
	if def := config.Defaults().Recording; def.Policy != "never" || def.Format != "alaw" {
		t.Errorf("defaults %+v: an upgrade must not start recording by itself", def)
	}

	bad := baseYAML + `recording:
  format: mp3
  policy: sometimes
  overrides:
    - {extension: "10x3", policy: always}
    - {tenant: nosuch, policy: never}
    - {policy: never}
  retention_days: -1
  tenant_retention_days: {ghost: 3}
`
	_, err = config.Parse("bad.yaml", []byte(bad), nil)
	if err == nil {
		t.Fatal("a bad recording section was accepted")
	}
	for _, want := range []string{
		"bad.yaml:6: recording.format", "bad.yaml:7: recording.policy", "bad.yaml:9: recording.overrides[0].extension",
		"bad.yaml:10: recording.overrides[1].tenant", "bad.yaml:11: recording.overrides[2]", "bad.yaml:12: recording.retention_days",
		"recording.tenant_retention_days.ghost",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
