-- Statistics (统计报表). rpt_calls holds one row per call, upserted from
-- the CTI's call.ended (and its survey, transfers, overflow and the
-- agent's after-call work) and from the PBX's CDR API by the reconcile
-- job; the interval tables are recomputed from it per 15-minute interval,
-- so applying a call twice, or late, leaves them as the calls say.

CREATE TABLE rpt_calls (
  tenant TEXT NOT NULL,
  call_id TEXT NOT NULL,
  direction TEXT NOT NULL,           -- inbound, outbound, internal
  queue TEXT NOT NULL DEFAULT '',
  agent TEXT NOT NULL DEFAULT '',
  caller_masked TEXT NOT NULL DEFAULT '',
  callee TEXT NOT NULL DEFAULT '',
  start_ms INTEGER NOT NULL,
  answer_ms INTEGER,
  end_ms INTEGER NOT NULL,
  interval_start INTEGER NOT NULL,   -- start_ms floored to 15 minutes
  wait_s INTEGER NOT NULL DEFAULT 0, -- in the queue, until answered or given up
  ring_s INTEGER NOT NULL DEFAULT 0,
  talk_s INTEGER NOT NULL DEFAULT 0,
  hold_s INTEGER NOT NULL DEFAULT 0,
  acw_s INTEGER NOT NULL DEFAULT 0,
  answered INTEGER NOT NULL DEFAULT 0,   -- by an agent (queue calls) or the callee
  abandoned INTEGER NOT NULL DEFAULT 0,  -- the caller hung up waiting in a queue
  overflowed INTEGER NOT NULL DEFAULT 0,
  disposition TEXT NOT NULL DEFAULT '',
  hangup_side TEXT NOT NULL DEFAULT '',
  hangup_cause TEXT NOT NULL DEFAULT '',
  transfer_path TEXT NOT NULL DEFAULT '',
  survey_score INTEGER,
  recording_url TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL,                  -- cti or cdr (filled by the reconcile job)
  PRIMARY KEY (tenant, call_id)
);
CREATE INDEX rpt_calls_interval ON rpt_calls(tenant, interval_start);
CREATE INDEX rpt_calls_agent ON rpt_calls(tenant, agent, start_ms);
CREATE INDEX rpt_calls_queue ON rpt_calls(tenant, queue, start_ms);

-- Per queue and interval (of the calls' start). ans_le_N: answered within N
-- seconds of queueing; ab_lt_N: abandoned after waiting less than N.
CREATE TABLE rpt_queue_interval (
  tenant TEXT NOT NULL,
  interval_start INTEGER NOT NULL,
  queue TEXT NOT NULL,
  offered INTEGER NOT NULL, answered INTEGER NOT NULL, abandoned INTEGER NOT NULL, overflowed INTEGER NOT NULL,
  ans_le_5 INTEGER NOT NULL, ans_le_10 INTEGER NOT NULL, ans_le_15 INTEGER NOT NULL, ans_le_20 INTEGER NOT NULL, ans_le_30 INTEGER NOT NULL, ans_le_60 INTEGER NOT NULL,
  ab_lt_5 INTEGER NOT NULL, ab_lt_10 INTEGER NOT NULL, ab_lt_15 INTEGER NOT NULL, ab_lt_20 INTEGER NOT NULL, ab_lt_30 INTEGER NOT NULL, ab_lt_60 INTEGER NOT NULL,
  wait_answered_s INTEGER NOT NULL, wait_max_s INTEGER NOT NULL,
  talk_s INTEGER NOT NULL, hold_s INTEGER NOT NULL, acw_s INTEGER NOT NULL,
  PRIMARY KEY (tenant, interval_start, queue)
) WITHOUT ROWID;

-- Per agent and interval: the calls' figures (by the call's start) and the
-- time in each state (split at interval boundaries).
CREATE TABLE rpt_agent_interval (
  tenant TEXT NOT NULL,
  interval_start INTEGER NOT NULL,
  agent TEXT NOT NULL,
  handled INTEGER NOT NULL DEFAULT 0, outbound INTEGER NOT NULL DEFAULT 0,
  talk_s INTEGER NOT NULL DEFAULT 0, hold_s INTEGER NOT NULL DEFAULT 0, acw_s INTEGER NOT NULL DEFAULT 0,
  logged_in_s INTEGER NOT NULL DEFAULT 0, ready_s INTEGER NOT NULL DEFAULT 0, not_ready_s INTEGER NOT NULL DEFAULT 0,
  reserved_s INTEGER NOT NULL DEFAULT 0, on_call_s INTEGER NOT NULL DEFAULT 0, wrap_up_s INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant, interval_start, agent)
) WITHOUT ROWID;
CREATE INDEX rpt_agent_interval_agent ON rpt_agent_interval(tenant, agent, interval_start);

CREATE TABLE rpt_agent_notready (
  tenant TEXT NOT NULL,
  interval_start INTEGER NOT NULL,
  agent TEXT NOT NULL,
  reason TEXT NOT NULL,
  seconds INTEGER NOT NULL,
  PRIMARY KEY (tenant, interval_start, agent, reason)
) WITHOUT ROWID;

CREATE INDEX rpt_agent_notready_agent ON rpt_agent_notready(tenant, agent, interval_start);

-- The agent figures rolled up per UTC day, so a month's per-agent report
-- reads 30 rows an agent (and the partial days at its ends from the
-- intervals); recomputed for an agent's day whenever one of its intervals is.
CREATE TABLE rpt_agent_day (
  tenant TEXT NOT NULL,
  day_start INTEGER NOT NULL,
  agent TEXT NOT NULL,
  handled INTEGER NOT NULL, outbound INTEGER NOT NULL, talk_s INTEGER NOT NULL, hold_s INTEGER NOT NULL, acw_s INTEGER NOT NULL,
  logged_in_s INTEGER NOT NULL, ready_s INTEGER NOT NULL, not_ready_s INTEGER NOT NULL,
  reserved_s INTEGER NOT NULL, on_call_s INTEGER NOT NULL, wrap_up_s INTEGER NOT NULL,
  PRIMARY KEY (tenant, day_start, agent)
) WITHOUT ROWID;

CREATE TABLE rpt_agent_notready_day (
  tenant TEXT NOT NULL,
  day_start INTEGER NOT NULL,
  agent TEXT NOT NULL,
  reason TEXT NOT NULL,
  seconds INTEGER NOT NULL,
  PRIMARY KEY (tenant, day_start, agent, reason)
) WITHOUT ROWID;

-- Every agent state change, by when it began; a replayed event is the
-- same row.
CREATE TABLE rpt_agent_events (
  tenant TEXT NOT NULL,
  agent TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  call_id TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (tenant, agent, at_ms)
) WITHOUT ROWID;

-- Per ticket category, department and channel, and interval of the event.
CREATE TABLE rpt_ticket_interval (
  tenant TEXT NOT NULL,
  interval_start INTEGER NOT NULL,
  category_id INTEGER NOT NULL,
  department_id INTEGER NOT NULL, -- 0: none
  channel TEXT NOT NULL,          -- phone, voicemail, manual
  created INTEGER NOT NULL DEFAULT 0, dispatched INTEGER NOT NULL DEFAULT 0,
  signed INTEGER NOT NULL DEFAULT 0, signed_late INTEGER NOT NULL DEFAULT 0,
  resolved INTEGER NOT NULL DEFAULT 0, resolved_late INTEGER NOT NULL DEFAULT 0,
  returned INTEGER NOT NULL DEFAULT 0, reopened INTEGER NOT NULL DEFAULT 0, archived INTEGER NOT NULL DEFAULT 0,
  visited INTEGER NOT NULL DEFAULT 0, satisfied INTEGER NOT NULL DEFAULT 0, satisfaction_sum INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant, interval_start, category_id, department_id, channel)
) WITHOUT ROWID;

-- Where the ticket job is in oa_ticket_events, and what reconcile did last.
CREATE TABLE rpt_state (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);

-- Which charts a tenant's dashboard shows, in order (JSON list).
CREATE TABLE rpt_dashboard (
  tenant TEXT PRIMARY KEY,
  charts TEXT NOT NULL
);
