package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/yimen/yimen/cti/protocol"
)

func TestCDRReportAndCSV(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	loadDay(t, f)
	score := 4
	f.apply(t, "ep1", protocol.CallSurvey{Call: "c1", Answered: true, Score: &score}, protocol.CallTransferred{Call: "c2", Agent: "a1", To: "8002", Mode: "blind"},
		protocol.CallTransferred{Call: "c2", Agent: "a1", To: "8002", Mode: "blind"})
	tb, err := f.rpt.CDRs(ctx, tenant, CDRQuery{Range: day, Queue: "hotline", Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if tb.Total != 6 || len(tb.Rows) != 3 || tb.Rows[0]["call_id"] != "c6" {
		t.Fatalf("page: total %d, %v", tb.Total, tb.Rows)
	}
	all, _ := f.rpt.CDRs(ctx, tenant, CDRQuery{Range: day, Limit: 100})
	byID := map[string]map[string]any{}
	for _, r := range all.Rows {
		byID[r["call_id"].(string)] = r
	}
	c1, c2, c4 := byID["c1"], byID["c2"], byID["c4"]
	if c1["caller"] != "138****8000" || *(c1["survey_score"].(*int64)) != 4 || c1["talk_s"] != int64(80) || c1["acw_s"] != int64(30) || c1["outcome"] != "answered" {
		t.Errorf("c1: %v", c1)
	}
	if c2["transfer_path"] != "a1→8002" {
		t.Errorf("c2 path %q (a replayed transfer adds no hop)", c2["transfer_path"])
	}
	if c4["outcome"] != "abandoned" || c4["wait_s"] != int64(3) {
		t.Errorf("c4: %v", c4)
	}
	ab, _ := f.rpt.CDRs(ctx, tenant, CDRQuery{Range: day, Outcome: "abandoned"})
	if ab.Total != 2 {
		t.Errorf("abandoned: %d", ab.Total)
	}
	var buf bytes.Buffer
	if err := all.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 7 || recs[0][0] != "呼叫编号" || len(recs[1]) != len(all.Columns) {
		t.Errorf("csv: %d records, header %v", len(recs), recs[0])
	}
}

func TestDashboardCharts(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	loadDay(t, f)
	if err := f.rpt.SetDashboardCharts(ctx, tenant, []string{"volume", "nope"}); err == nil {
		t.Error("an unknown chart accepted")
	}
	if err := f.rpt.SetDashboardCharts(ctx, tenant, []string{"call_trend", "volume"}); err != nil {
		t.Fatal(err)
	}
	charts, err := f.rpt.Dashboard(ctx, tenant, day, KPIConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(charts) != 2 || charts[0].ID != "call_trend" || charts[1].ID != "volume" {
		t.Fatalf("charts %+v", charts)
	}
	vol := charts[1].Table.Rows
	if len(vol) != 1 || vol[0]["inbound"] != int64(6) || vol[0]["time"] != "2026-03-02T09:00:00Z" {
		t.Errorf("volume %v", vol)
	}
	if tr := charts[0].Table.Rows; len(tr) != 1 || num(t, tr[0], "offered") != 6 {
		t.Errorf("trend %v", tr)
	}
}
