package boot

import (
	"context"
	"log/slog"

	"github.com/yimen/yimen/agentbar"
	"github.com/yimen/yimen/internal/config"
	"github.com/yimen/yimen/internal/httpx/route"
	"github.com/yimen/yimen/internal/store"
)

// buildAgentBar returns the browser UI's routes (the agent bar, the
// wallboard and their assets) and the wallboard layouts' API. They are
// mounted with the contact centre: the pages need its CTI.
func buildAgentBar(ctx context.Context, cfg config.Config, db *store.DB, log *slog.Logger) ([]route.Route, error) {
	layouts, err := agentbar.NewSQLLayouts(ctx, db)
	if err != nil {
		return nil, err
	}
	routes := agentbar.NewFor(log, agentbar.Origins{Embed: cfg.HTTP.UIEmbedOrigins, Connect: cfg.HTTP.UIConnectOrigins}).Routes()
	return append(routes, agentbar.LayoutAPI{Store: layouts, Log: log}.Routes()...), nil
}
