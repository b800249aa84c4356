package report

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"time"

	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Interval is the fact tables' grain.
const Interval = 15 * time.Minute

const intervalMS = int64(Interval / time.Millisecond)

func floorInterval(ms int64) int64 {
	if ms < 0 {
		return ms - (intervalMS+ms%intervalMS)%intervalMS
	}
	return ms - ms%intervalMS
}

// Deps are the Service's collaborators.
type Deps struct {
	DB  *store.DB
	Log *slog.Logger
	Now func() time.Time
}

// Service records facts and computes reports over the OA's database.
type Service struct {
	db  *store.DB
	log *slog.Logger
	now func() time.Time
}

// New migrates the report tables and returns the Service.
func New(ctx context.Context, d Deps) (*Service, error) {
	if d.DB == nil {
		return nil, fmt.Errorf("report: DB is required: %w", errs.ErrInvalid)
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if err := d.DB.Migrate(ctx, "oa_report", migrationFiles); err != nil {
		return nil, err
	}
	return &Service{db: d.DB, log: d.Log, now: d.Now}, nil
}
