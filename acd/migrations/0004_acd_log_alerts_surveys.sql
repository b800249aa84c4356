-- Alerts (a break over its reason's maximum) and post-call surveys join the
-- log: the kind check widens and surveys keep their score. SQLite cannot
-- change a CHECK in place, so the table is rebuilt with its indexes.
CREATE TABLE acd_log_new (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	tenant  TEXT    NOT NULL,
	at_ms   INTEGER NOT NULL,
	kind    TEXT    NOT NULL CHECK (kind IN ('agent', 'call', 'alert', 'survey')),
	agent   TEXT    NOT NULL DEFAULT '',
	queue   TEXT    NOT NULL DEFAULT '',
	call_id TEXT    NOT NULL DEFAULT '',
	state   TEXT    NOT NULL DEFAULT '',
	reason  TEXT    NOT NULL DEFAULT '',
	outcome TEXT    NOT NULL DEFAULT '',
	wait_ms INTEGER NOT NULL DEFAULT 0,
	in_sl   INTEGER NOT NULL DEFAULT 0,
	score   INTEGER NOT NULL DEFAULT 0
);
INSERT INTO acd_log_new (id, tenant, at_ms, kind, agent, queue, call_id, state, reason, outcome, wait_ms, in_sl)
	SELECT id, tenant, at_ms, kind, agent, queue, call_id, state, reason, outcome, wait_ms, in_sl FROM acd_log;
DROP TABLE acd_log;
ALTER TABLE acd_log_new RENAME TO acd_log;
CREATE INDEX acd_log_agent ON acd_log(tenant, kind, agent, id);
CREATE INDEX acd_log_time ON acd_log(tenant, at_ms);
CREATE INDEX acd_log_call ON acd_log(tenant, call_id) WHERE kind = 'call';
CREATE INDEX acd_log_queue ON acd_log(tenant, queue, at_ms) WHERE kind = 'call';
