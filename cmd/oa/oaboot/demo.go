package oaboot

import (
	"context"
	"errors"

	"github.com/yimen/yimen/internal/adminapi"
	"github.com/yimen/yimen/internal/errs"
	"github.com/yimen/yimen/internal/rbac"
	"github.com/yimen/yimen/oa"
)

// demoUsers are the demo's business accounts: an agent (the PBX demo's
// agent a1001 on extension 1001), a repair handler and a supervisor.
var demoUsers = []struct{ name, role, agent, department string }{
	{"agent1001", rbac.RoleAgent, "a1001", "热线中心"},
	{"handler1", rbac.RoleOAHandler, "", "维修部"},
	{"supervisor1", rbac.RoleSupervisor, "", "热线中心"},
}

// seedDemo gives a new demo tenant departments, categories with SLA
// limits, disposition codes and the demo users' departments.
func seedDemo(ctx context.Context, svc *oa.Service, sec *adminapi.Security, tenant string) error {
	deps, err := svc.Departments(ctx, tenant)
	if err != nil || len(deps) > 0 {
		return err
	}
	ids := map[string]int64{}
	for _, name := range []string{"热线中心", "维修部", "市场部"} {
		d, err := svc.CreateDepartment(ctx, tenant, 0, name)
		if err != nil {
			return err
		}
		ids[name] = d.ID
	}
	for _, c := range []oa.Category{
		{Name: "网点报修", SLA: oa.SLAPolicy{Sign: "2h", Handle: "2wd", Visit: "1wd", EscalateAfter: "4h"}},
		{Name: "彩票咨询", Workflow: oa.Workflow{SkipSign: true}, SLA: oa.SLAPolicy{Handle: "1wd", Visit: "1wd"}},
		{Name: "投诉建议", SLA: oa.SLAPolicy{Sign: "1h", Handle: "3wd", Visit: "1wd", EscalateAfter: "2h"}},
		{Name: "留言", SLA: oa.SLAPolicy{Sign: "4h", Handle: "2wd"}, Workflow: oa.Workflow{SkipVisit: true}},
	} {
		if _, err := svc.PutCategory(ctx, tenant, c); err != nil {
			return err
		}
	}
	for _, d := range []oa.DispositionCode{{Code: "resolved", Name: "当场解决"}, {Code: "ticket", Name: "已建工单"}, {Code: "callback", Name: "需回电"}, {Code: "invalid", Name: "无效来电"}} {
		if err := svc.PutDispositionCode(ctx, tenant, d); err != nil {
			return err
		}
	}
	for _, u := range demoUsers {
		user, err := sec.Auth.FindUser(ctx, tenant, u.name)
		if errors.Is(err, errs.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if err := svc.PutStaff(ctx, tenant, oa.Staff{UserID: user.ID, Name: u.name, DepartmentID: ids[u.department], Agent: u.agent}); err != nil {
			return err
		}
	}
	return nil
}
