package boot

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"slices"

	"github.com/yimen/yimen/internal/adminapi"
	"github.com/yimen/yimen/internal/auth"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/internal/rbac"
	"github.com/yimen/yimen/internal/store"
)

// RecoverAdministrator restores tenant's administrator name (sysadmin,
// secadmin or auditor) who lost their password or second factor: no
// administrator may do that to another through the API, and the
// break-glass token may only unlock. It runs on the server, with the
// master key, against the database the PBX uses (run it while the PBX is
// stopped, or accept that the running PBX keeps its sessions cache until
// the next check): a new one-time password is written to out, the second
// factors are removed, and an auth.recover alarm naming the operating-system
// user goes to the audit log for the auditor to see.
func RecoverAdministrator(ctx context.Context, cfg config.Config, env []string, tenant, name string, out io.Writer) error {
	getenv := envLookup(env)
	master, err := keys.LoadMasterKey(cfg.Security.MasterKeyFile, getenv)
	if err != nil {
		return fmt.Errorf("master key: %w", err)
	}
	dbPath := cfg.Store.Path
	if dbPath == "" {
		dbPath = filepath.Join(cfg.DataDir, "yimen.db")
	}
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("store.path: %w", err)
	}
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	log := Logger(config.Log{Level: "warn", Format: "text"}, io.Discard)
	km, err := keys.Open(ctx, db, master, log)
	if err != nil {
		return err
	}
	token, err := breakGlassToken(cfg, getenv)
	if err != nil {
		return err
	}
	sec, err := buildSecurity(ctx, cfg, db, km, token, log)
	if err != nil {
		return err
	}
	defer sec.Close() // signs the audit head, so the recovery is under a signature
	u, err := sec.Platform.Auth.FindUser(ctx, tenant, name)
	if err != nil {
		return fmt.Errorf("%s/%s: %w", tenant, name, err)
	}
	held, err := sec.Platform.RBAC.Roles(ctx, u.ID, tenant)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(held, func(a rbac.Assignment) bool { return rbac.IsAdminRole(a.Role) }) {
		return fmt.Errorf("%s/%s holds no administrator role; business users are restored through the admin API: %w", tenant, name, errs.ErrInvalid)
	}
	pw := adminapi.NewPassword(name)
	ctx = auth.WithPrincipal(ctx, &auth.Principal{UserID: "console:" + osUser(), Tenant: tenant})
	if err := sec.Platform.Auth.Recover(ctx, u.ID, pw); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s/%s restored. One-time password (change it at the first login, then enrol a second factor):\n%s\n", tenant, name, pw)
	return nil
}

func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return fmt.Sprint(os.Getuid())
}
