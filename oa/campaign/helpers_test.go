package campaign

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/yimen/yimen/cti/protocol"
	"github.com/yimen/yimen/internal/calendar"
	"github.com/yimen/yimen/internal/fieldcrypt"
	"github.com/yimen/yimen/internal/keys"
	"github.com/yimen/yimen/internal/store"
	"github.com/yimen/yimen/oa"
)

// calls records what the dialler asked the PBX for, as the CTI link
// would carry it, and hands out call ids.
type calls struct {
	mu     sync.Mutex
	placed []placed
	pops   []protocol.ScreenPop
	fail   error
}

type placed struct{ agent, to, callerID, call string }

func (c *calls) Dial(_ context.Context, tenant, agent, to, callerID string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return "", c.fail
	}
	id := fmt.Sprintf("call-%d", len(c.placed)+1)
	c.placed = append(c.placed, placed{agent, to, callerID, id})
	return id, nil
}

// ScreenPop keeps the cards shown, as the CTI would carry them.
func (c *calls) ScreenPop(_ context.Context, tenant string, p protocol.ScreenPop) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pops = append(c.pops, p)
	return nil
}

func (c *calls) popped() []protocol.ScreenPop {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]protocol.ScreenPop(nil), c.pops...)
}

func (c *calls) list() []placed {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]placed(nil), c.placed...)
}

type fixture struct {
	oa    *oa.Service
	svc   *Service
	calls *calls
	now   time.Time
	seq   uint64
}

func (f *fixture) clock() time.Time { return f.now }

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "oa.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	mk, err := keys.ParseMasterKey(keys.GenerateMasterKey())
	if err != nil {
		t.Fatal(err)
	}
	km, err := keys.Open(ctx, db, mk, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	fc, err := fieldcrypt.New(ctx, km)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.Load(os.DirFS("../../configs"), "calendars")
	if err != nil {
		t.Fatal(err)
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	f := &fixture{calls: &calls{}, now: time.Date(2026, 10, 9, 10, 0, 0, 0, sh)} // a Friday, a workday
	f.oa, err = oa.New(ctx, oa.Config{Calendar: cal, LocalAreaCode: "010"}, oa.Deps{DB: db, Fields: fc, Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	f.svc, err = New(ctx, Config{Calendar: f.oa.BusinessCalendar, LocalAreaCode: "010"}, Deps{DB: db, Fields: fc, OA: f.oa, Dialer: f.calls, Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// event applies a CTI event as the link does: the OA first, then the dialler.
func (f *fixture) event(t testing.TB, typ string, data any) {
	t.Helper()
	b, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	f.seq++
	env := protocol.Envelope{V: 1, Type: typ, Seq: f.seq, TS: protocol.Timestamp(f.now), Tenant: "demo", Data: b}
	ctx := context.Background()
	if _, err := f.oa.ApplyEvent(ctx, "demo", "ep1", env); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Observe(ctx, "demo", env); err != nil {
		t.Fatal(err)
	}
}

// ended ends a placed call with a CDR disposition.
func (f *fixture) ended(t testing.TB, p placed, disposition string) {
	t.Helper()
	f.event(t, protocol.EventCallEnded, protocol.CallEnded{Call: p.call, Agent: p.agent, Caller: "1001", Callee: p.to, Start: protocol.Timestamp(f.now),
		Answer: protocol.Timestamp(f.now), End: protocol.Timestamp(f.now), Disposition: disposition})
}
