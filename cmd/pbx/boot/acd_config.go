package boot

import (
	"context"
	"log/slog"

	"github.com/yimen/yimen/acd"
)

// storedConfig replaces tc's agents and queues with the ones saved by the
// admin API, if any.
func storedConfig(ctx context.Context, st *acd.ConfigStore, tc *acd.TenantConfig, log *slog.Logger) error {
	saved, ok, err := st.Load(ctx, tc.Tenant)
	if err != nil || !ok {
		return err
	}
	tc.Agents, tc.Queues = saved.Agents, saved.Queues
	log.Info("agents and queues as changed through the admin API; the configuration file's only seeded them",
		"tenant", tc.Tenant, "agents", len(saved.Agents), "queues", len(saved.Queues), "changed", saved.UpdatedAt)
	return nil
}
