package report

import (
	"context"
	"time"
)

// CDRQuery filters the 明细报表.
type CDRQuery struct {
	Range
	Queue, Agent, Direction, Disposition string
	Outcome                              string // answered, abandoned, overflowed, missed
	Limit, Offset                        int
}

// MaxCDRRows bounds one page (an export asks for pages until it has them all).
const MaxCDRRows = 10000

// CDRs is the 明细报表: every call with every field, newest first.
func (s *Service) CDRs(ctx context.Context, tenant string, q CDRQuery) (Table, error) {
	if err := q.Range.check(); err != nil {
		return Table{}, err
	}
	if q.Limit <= 0 || q.Limit > MaxCDRRows {
		q.Limit = 100
	}
	from, to := q.ms()
	where := ` WHERE tenant=? AND start_ms>=? AND start_ms<? AND disposition<>''`
	args := []any{tenant, from, to}
	for col, v := range map[string]string{"queue": q.Queue, "agent": q.Agent, "direction": q.Direction, "disposition": q.Disposition} {
		if v != "" {
			where += ` AND ` + col + `=?`
			args = append(args, v)
		}
	}
	switch q.Outcome {
	case "answered":
		where += ` AND answered=1`
	case "abandoned":
		where += ` AND abandoned=1`
	case "overflowed":
		where += ` AND overflowed=1`
	case "missed":
		where += ` AND answered=0 AND abandoned=0`
	}
	t := Table{Report: "cdr", Title: "明细报表", From: q.From, To: q.To, Rows: []map[string]any{}, Formulas: map[string]string{
		"wait_s": "排队等待 = 进入队列至坐席接听（或放弃）",
		"talk_s": "通话 = 应答至挂机 − 保持",
		"acw_s":  "话后处理 = 坐席整理状态的时长",
	}, Columns: []Column{{"call_id", "呼叫编号"}, {"start", "开始时间"}, {"direction", "方向"}, {"caller", "主叫"}, {"callee", "被叫"},
		{"queue", "队列"}, {"agent", "坐席"}, {"outcome", "结果"}, {"wait_s", "排队等待(秒)"}, {"ring_s", "振铃(秒)"}, {"talk_s", "通话(秒)"},
		{"hold_s", "保持(秒)"}, {"acw_s", "话后处理(秒)"}, {"disposition", "呼叫结果"}, {"hangup_side", "挂机方"}, {"hangup_cause", "挂机原因"},
		{"transfer_path", "转接路径"}, {"survey_score", "满意度"}, {"recording_url", "录音"}, {"source", "来源"}}}
	if err := s.db.Q(ctx).QueryRowContext(ctx, `SELECT COUNT(*) FROM rpt_calls`+where, args...).Scan(&t.Total); err != nil {
		return Table{}, err
	}
	rows, err := s.db.Q(ctx).QueryContext(ctx, `SELECT call_id, start_ms, direction, caller_masked, callee, queue, agent, answered, abandoned, overflowed,
		wait_s, ring_s, talk_s, hold_s, acw_s, disposition, hangup_side, hangup_cause, transfer_path, survey_score, recording_url, source
		FROM rpt_calls`+where+` ORDER BY start_ms DESC, call_id LIMIT ? OFFSET ?`, append(args, q.Limit, q.Offset)...)
	if err != nil {
		return Table{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, dir, caller, callee, queue, agent, disp, side, cause, path, rec, src string
		var start int64
		var answered, abandoned, overflowed bool
		var wait, ring, talk, hold, acw int64
		var survey *int64
		if err := rows.Scan(&id, &start, &dir, &caller, &callee, &queue, &agent, &answered, &abandoned, &overflowed, &wait, &ring, &talk, &hold, &acw,
			&disp, &side, &cause, &path, &survey, &rec, &src); err != nil {
			return Table{}, err
		}
		outcome := "missed"
		switch {
		case answered:
			outcome = "answered"
		case abandoned:
			outcome = "abandoned"
		case overflowed:
			outcome = "overflowed"
		}
		t.Rows = append(t.Rows, map[string]any{"call_id": id, "start": time.UnixMilli(start).UTC().Format(time.RFC3339), "direction": dir, "caller": caller,
			"callee": callee, "queue": queue, "agent": agent, "outcome": outcome, "wait_s": wait, "ring_s": ring, "talk_s": talk - hold, "hold_s": hold,
			"acw_s": acw, "disposition": disp, "hangup_side": side, "hangup_cause": cause, "transfer_path": path, "survey_score": survey,
			"recording_url": rec, "source": src})
	}
	return t, rows.Err()
}
