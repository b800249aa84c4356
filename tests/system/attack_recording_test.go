package system_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yimen/yimen/internal/sipp"
	"github.com/yimen/yimen/tests/testpbx"
)

// recordedCall places one recorded call (sealed at rest) and returns the PBX, a client, the
// operator's session (it reads recordings tenant-wide) and the recording's id.
func recordedCall(t *testing.T, net string) (*testpbx.PBX, *testpbx.Client, string, string) {
	t.Helper()
	p := testpbx.Start(t, func(c *cfgT) { c.Recording.Policy, c.Recording.Encrypt = "always", true })
	p.Callee(t, "1002", net+"2", "uas_answer.xml", true, nil)
	if err := p.Call(t, "1001", net+"1", sipp.Scenario("uac_call.xml"), "1002", map[string]string{"talk_ms": "1500"}).Check(1); err != nil {
		t.Fatal(err)
	}
	c := testpbx.NewClient(t, p, net+"10")
	op := c.Login("demo", "operator", p.Admins["demo/operator"])
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var recs []struct {
			ID string `json:"id"`
		}
		c.Do("GET", "/api/v1/recordings?tenant=demo&state=complete", op, nil, nil).JSON(t, &recs)
		if len(recs) == 1 {
			return p, c, op, recs[0].ID
		}
	}
	t.Fatal("no finished recording")
	return nil, nil, "", ""
}

// A person who listens to a recording is named in the audit log as that
// person: the recorder's own entries carried the fixed actor "admin-token",
// so the auditor could not tell who had listened. A playback's Range
// requests are one entry, not one each.
func TestAttackRecordingReaderIsNamedInTheAudit(t *testing.T) {
	t.Parallel()
	p, c, op, id := recordedCall(t, "127.0.237.")
	var me struct {
		UserID string `json:"user_id"`
	}
	c.Do("GET", "/api/v1/session", op, nil, nil).JSON(t, &me)
	if r := c.Do("GET", "/api/v1/recordings/"+id, op, nil, nil); r.Code != 200 {
		t.Fatalf("metadata: %d %s", r.Code, r.Body)
	}
	for _, rg := range []string{"bytes=0-", "bytes=1000-", "bytes=2000-2999"} {
		if r := c.Do("GET", "/api/v1/recordings/"+id+"/audio", op, nil, map[string]string{"Range": rg}); r.Code != 206 {
			t.Fatalf("stream %s: %d %s", rg, r.Code, r.Body)
		}
	}
	if r := c.Do("GET", "/api/v1/cdrs?tenant=demo", op, nil, nil); r.Code != 200 {
		t.Fatalf("cdrs: %d %s", r.Code, r.Body)
	}
	aud := c.Login("demo", "auditor", p.Admins["demo/auditor"])
	if rows := c.Audit(aud, "action=cdr.read"); len(rows) != 1 || rows[0].Actor != me.UserID {
		t.Errorf("CDR read by the operator (%s) audited as %+v", me.UserID, rows)
	}
	streams := 0
	for _, action := range []string{"recording.search", "recording.read", "recording.stream"} {
		rows := c.Audit(aud, "action="+action)
		if len(rows) == 0 {
			t.Errorf("no %s entry", action)
		}
		for _, r := range rows {
			if r.Actor != me.UserID || r.Actor == "admin-token" {
				t.Errorf("%s by the operator (%s) audited as actor %q: %+v", action, me.UserID, r.Actor, r)
			}
			if !strings.Contains(r.Detail, "by user") || !strings.Contains(r.Detail, "of demo") {
				t.Errorf("%s detail %q does not say who read it", action, r.Detail)
			}
		}
		if action == "recording.stream" {
			streams = len(rows)
		}
	}
	if streams != 1 {
		t.Errorf("one playback of three Range requests made %d stream entries, want 1", streams)
	}
	// The two follow-ups are not lost to the audit log: the playback ends
	// with a summary, at the latest when the PBX stops.
	if rows := c.Audit(aud, "action=recording.stream.summary"); len(rows) != 0 {
		t.Errorf("a summary before the playback ended: %+v", rows)
	}
	p.Restart(t)
	c = testpbx.NewClient(t, p, "127.0.237.10") // the restarted PBX listens on a new port
	aud = c.Login("demo", "auditor", p.Admins["demo/auditor"])
	rows := c.Audit(aud, "action=recording.stream.summary")
	if len(rows) != 1 || rows[0].Actor != me.UserID || !strings.Contains(rows[0].Detail, "3 requests") || !strings.Contains(rows[0].Detail, "by user") {
		t.Errorf("playback summary = %+v, want one naming the operator and its 3 requests", rows)
	}
}

// 4400 ranges in one header made a sealed recording decrypt its segments
// thousands of times (0.9 s against 4 ms for one range) and copied 44 KB
// into the audit detail. The header is refused with 416 before anything is
// decrypted, quickly, and the audit keeps a short summary.
func TestAttackRangeAmplification(t *testing.T) {
	t.Parallel()
	p, c, op, id := recordedCall(t, "127.0.238.")
	var b strings.Builder
	b.WriteString("bytes=")
	for i := range 4400 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(i*3) + "-" + strconv.Itoa(i*3))
	}
	start := time.Now()
	r := c.Do("GET", "/api/v1/recordings/"+id+"/audio", op, nil, map[string]string{"Range": b.String()})
	if took := time.Since(start); r.Code != 416 || took > 200*time.Millisecond {
		t.Errorf("4400 ranges: %d in %v, want 416 at once", r.Code, took)
	}
	// Nine disjoint ranges are too many as well; eight, and overlapping
	// ones that merge, are served.
	if r := c.Do("GET", "/api/v1/recordings/"+id+"/audio", op, nil, map[string]string{"Range": "bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16"}); r.Code != 416 {
		t.Errorf("nine ranges: %d, want 416", r.Code)
	}
	if r := c.Do("GET", "/api/v1/recordings/"+id+"/audio", op, nil, map[string]string{"Range": "bytes=0-9,5-19,20-29,100-109"}); r.Code != 206 ||
		!strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/byteranges") || strings.Count(string(r.Body), "Content-Range: bytes ") != 2 {
		t.Errorf("overlapping ranges: %d %s, want two coalesced parts", r.Code, r.Header.Get("Content-Type"))
	}
	aud := c.Login("demo", "auditor", p.Admins["demo/auditor"])
	refused := false
	for _, row := range c.Audit(aud, "action=recording.stream") {
		if len(row.Detail) > 200 {
			t.Errorf("audit detail of %d bytes: %.80q…", len(row.Detail), row.Detail)
		}
		refused = refused || row.Outcome == "denied" && strings.Contains(row.Detail, "4399 more")
	}
	if !refused {
		t.Error("the refused 4400-range request is not in the audit log as denied")
	}
}
