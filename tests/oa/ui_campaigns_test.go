package oa_test

import (
	"strings"
	"testing"
	"time"
)

// 外呼管理 in the browser: a supervisor creates a campaign (a bad field
// shown beside it first), imports a list with a bad row reported by its
// line, sees the numbers masked, starts, pauses, resumes and stops it, and
// puts a number on the do-not-call list (a bad one refused in words).
func TestOAUICampaigns(t *testing.T) {
	o := startOA(t, nil)
	b := startUIBrowser(t)
	base := "http://" + o.HTTP.Addr()
	const p = "oa"
	b.Open(p, base+"/")
	b.Wait(p, "#l-name", 10*time.Second)
	b.Fill(p, "#l-name", "supervisor1")
	b.Fill(p, "#l-pass", o.Passwords["supervisor1"])
	b.Click(p, "button[type=submit]")
	b.Wait(p, "nav", 10*time.Second)
	b.Open(p, base+"/#/campaigns")
	b.Wait(p, "[data-test=campaigns]", 10*time.Second)

	// A progressive campaign without agents: refused beside the field.
	b.Fill(p, "#cp-name", "满意度回访")
	b.Click(p, "[data-test=campaign-create]")
	b.Wait(p, "[role=alert]:has-text('progressive campaign needs its agents')", 5*time.Second)
	b.Fill(p, "#cp-agents", "a1001, a1002")
	b.Click(p, "[data-test=campaign-create]")
	b.Wait(p, "[data-test=campaign-open]:has-text('满意度回访 · draft')", 5*time.Second)
	b.Wait(p, "[data-test=campaign-list] :has-text('满意度回访')", 5*time.Second)

	b.Eval(p, `(() => { const i = document.querySelector('[data-test=campaign-import]'); const d = new DataTransfer();
		d.items.add(new File(['电话,姓名\n13800138001,张三\n1380013800X,坏行\n13800138002,李四\n'], 'list.csv', { type: 'text/csv' }));
		i.files = d.files; i.dispatchEvent(new Event('change')); return true })()`, nil)
	b.Wait(p, "[data-test=campaign-report]:has-text('导入 2 条')", 10*time.Second)
	if row := b.Text(p, "[data-test=rejected-row]"); !strings.Contains(row, "第 3 行") || !strings.Contains(row, "phone") {
		t.Errorf("the rejected row reads %q", row)
	}
	b.Wait(p, "[data-test=campaign-targets] :has-text('138****8001')", 5*time.Second)
	if page := b.Text(p, "main"); strings.Contains(page, "13800138001") || strings.Contains(page, "坏行") {
		t.Error("a full number or the rejected row's name is on the page")
	}
	if total := strings.TrimSpace(b.Text(p, "[data-test=p-total]")); total != "2" {
		t.Errorf("progress shows %q numbers, want 2", total)
	}

	o.Campaigns.SetClock(func() time.Time { return time.Date(2026, 10, 2, 10, 0, 0, 0, time.FixedZone("CST", 8*3600)) })
	for _, step := range []struct{ button, state string }{{"start", "running"}, {"pause", "paused"}, {"resume", "running"}, {"stop", "stopped"}} {
		b.Click(p, "[data-test=campaign-"+step.button+"]")
		b.Wait(p, "[data-test=campaign-open] h2:has-text('· "+step.state+"')", 5*time.Second)
		if step.button == "start" { // why nothing is dialled: 2026-10-02 is a holiday
			b.Wait(p, "[data-test=p-blocked]:has-text('holiday 国庆节')", 5*time.Second)
		}
	}

	b.Fill(p, "#dnc-phone", "call me")
	b.Click(p, "[data-test=dnc-add]")
	b.Wait(p, "[data-test=campaign-error]:has-text('not a telephone number')", 5*time.Second)
	b.Fill(p, "#dnc-phone", "13900139000")
	b.Click(p, "[data-test=dnc-add]")
	sup := o.login(t, "supervisor1")
	eventually(t, 5*time.Second, "the number on the do-not-call list", func() bool {
		var l struct{ Items []struct{ Phone string } }
		o.do(t, "GET", "/api/v1/dnc", sup, nil, &l)
		return len(l.Items) == 1 && l.Items[0].Phone == "139****9000"
	})
	b.Shot(p, "campaigns")
}
