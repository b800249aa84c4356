-- 外呼管理: outbound campaigns, their call lists, every attempt, the
-- do-not-call list and the queue callbacks a generated list draws on.
-- Numbers are sealed (SM4-GCM, AAD table|row|column) with the OA's shared
-- phone blind index beside them; only the masked form is readable.

CREATE TABLE oa_campaigns (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  source TEXT NOT NULL DEFAULT 'manual', -- manual, import, abandoned, visit, callback
  purpose TEXT NOT NULL DEFAULT 'call',  -- call, visit (回访: targets carry their ticket)
  mode TEXT NOT NULL,                    -- preview, progressive
  state TEXT NOT NULL DEFAULT 'draft',   -- draft, running, paused, stopped, done
  caller_id TEXT NOT NULL DEFAULT '',
  agents TEXT NOT NULL DEFAULT '[]',     -- JSON agent ids that work it
  pacing INTEGER NOT NULL DEFAULT 0,     -- most calls at once; 0: one per ready agent
  max_attempts INTEGER NOT NULL DEFAULT 3,
  retry_spacing_ms INTEGER NOT NULL DEFAULT 3600000,
  wrap_up_ms INTEGER NOT NULL DEFAULT 0,
  hours TEXT NOT NULL DEFAULT '',        -- calling hours; '' = daily 09:00-20:00
  created_by TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX oa_campaigns_tenant ON oa_campaigns(tenant, id);
CREATE INDEX oa_campaigns_running ON oa_campaigns(state) WHERE state = 'running';

CREATE TABLE oa_campaign_targets (
  id INTEGER PRIMARY KEY,
  campaign_id INTEGER NOT NULL REFERENCES oa_campaigns(id),
  tenant TEXT NOT NULL,
  line INTEGER NOT NULL DEFAULT 0,       -- the import's line, 0 otherwise
  name TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  phone_enc BLOB,
  phone_bidx BLOB NOT NULL,
  phone_masked TEXT NOT NULL,
  customer_id INTEGER,
  ticket_id INTEGER,
  source_contact_id INTEGER,
  state TEXT NOT NULL DEFAULT 'pending', -- pending, reserved, dialing, done, failed, skipped
  agent TEXT NOT NULL DEFAULT '',        -- reserved for (preview) or dialled by
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL DEFAULT 0,
  disposition TEXT NOT NULL DEFAULT '',
  visit_result TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX oa_campaign_targets_phone ON oa_campaign_targets(campaign_id, phone_bidx);
CREATE INDEX oa_campaign_targets_due ON oa_campaign_targets(campaign_id, state, next_at);

CREATE TABLE oa_campaign_attempts (
  id INTEGER PRIMARY KEY,
  campaign_id INTEGER NOT NULL,
  target_id INTEGER NOT NULL REFERENCES oa_campaign_targets(id),
  tenant TEXT NOT NULL,
  agent TEXT NOT NULL,
  call_id TEXT NOT NULL DEFAULT '',
  started_at INTEGER NOT NULL,
  answered_at INTEGER,
  ended_at INTEGER,
  cdr_disposition TEXT NOT NULL DEFAULT '',
  disposition TEXT NOT NULL DEFAULT '',  -- reached, no_answer, busy, wrong_number, refused, callback, failed
  callback_at INTEGER,
  comment TEXT NOT NULL DEFAULT '',
  by_user TEXT NOT NULL DEFAULT ''
);
CREATE INDEX oa_campaign_attempts_call ON oa_campaign_attempts(tenant, call_id);
CREATE INDEX oa_campaign_attempts_target ON oa_campaign_attempts(target_id, id);

CREATE TABLE oa_dnc (
  tenant TEXT NOT NULL,
  phone_bidx BLOB NOT NULL,
  phone_masked TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  added_by TEXT NOT NULL DEFAULT '',
  added_at INTEGER NOT NULL,
  PRIMARY KEY (tenant, phone_bidx)
);

CREATE TABLE oa_campaign_callbacks (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  queue TEXT NOT NULL DEFAULT '',
  call_id TEXT NOT NULL,
  number_enc BLOB,
  number_bidx BLOB NOT NULL,
  number_masked TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  ringing_call TEXT NOT NULL DEFAULT '', -- the ACD's call back to the number
  answered_at INTEGER
);
CREATE UNIQUE INDEX oa_campaign_callbacks_call ON oa_campaign_callbacks(tenant, call_id);
CREATE INDEX oa_campaign_callbacks_open ON oa_campaign_callbacks(tenant, created_at) WHERE answered_at IS NULL;
