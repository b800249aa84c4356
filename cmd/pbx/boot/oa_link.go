package boot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/yimen/yimen/internal/adminapi"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/internal/rbac"
)

// OASubject is the API-token subject the OA connects to the CTI as.
const OASubject = "svc:oa-demo"

// ssoKeyPath is the SM2 key signing one-login tokens for the OA.
func ssoKeyPath(cfg config.Config) string {
	if cfg.Admin.SSOSigningKey != "" {
		return cfg.Admin.SSOSigningKey
	}
	return filepath.Join(cfg.DataDir, "sso-signing.key")
}

// OATokensPath is where the demo writes the OA's CTI credentials:
// "TENANT TOKEN" lines, mode 0600 (cmd/oa's cti.tokens_file).
func OATokensPath(cfg config.Config) string { return filepath.Join(cfg.DataDir, "oa-cti-tokens.txt") }

// provisionOALink gives the demo's OA what a deployment's system
// administrator and security administrator would: in each tenant call.control
// for the cti_system role (the OA's 回访 click-to-dial), the
// subject svc:oa-demo (a deployment names its own, e.g. svc:oa) with the cti_system role and an API token for it, written
// to OATokensPath once (a later start keeps the file and its tokens).
func provisionOALink(ctx context.Context, cfg config.Config, sec *adminapi.Security) error {
	path := OATokensPath(cfg)
	if _, err := os.Stat(path); err == nil || !errors.Is(err, os.ErrNotExist) {
		return err
	}
	var b strings.Builder
	b.WriteString("# the OA's CTI credentials: TENANT API-TOKEN (role cti_system, subject " + OASubject + ")\n")
	for _, t := range cfg.Tenants {
		// 回访 calls: the OA dials for agents (click-to-dial). Granted once,
		// with the token; a security administrator who revokes it is not
		// overruled at the next start.
		err := sec.RBAC.GrantPermission(ctx, nil, t.Name, rbac.RoleCTISystem, rbac.PermCallControl, rbac.ScopeTenant)
		if err != nil && !errors.Is(err, errs.ErrConflict) {
			return fmt.Errorf("oa link of %s: %w", t.Name, err)
		}
		err = sec.RBAC.AssignRole(ctx, nil, OASubject, t.Name, rbac.RoleCTISystem, rbac.Binding{})
		if err != nil && !errors.Is(err, errs.ErrConflict) {
			return fmt.Errorf("oa link of %s: %w", t.Name, err)
		}
		tok, _, err := sec.Auth.CreateAPIToken(ctx, t.Name, OASubject, "oa", 0)
		if err != nil {
			return fmt.Errorf("oa link of %s: %w", t.Name, err)
		}
		fmt.Fprintf(&b, "%s %s\n", t.Name, tok)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return keys.WritePrivateFile(path, []byte(b.String()))
}
