-- The ACD's append-only log: agent state changes and call outcomes per tenant.
-- Caller numbers are never stored here.
CREATE TABLE acd_log (
	id      INTEGER PRIMARY KEY AUTOINCREMENT,
	tenant  TEXT    NOT NULL,
	at_ms   INTEGER NOT NULL,
	kind    TEXT    NOT NULL CHECK (kind IN ('agent', 'call')),
	agent   TEXT    NOT NULL DEFAULT '',
	queue   TEXT    NOT NULL DEFAULT '',
	call_id TEXT    NOT NULL DEFAULT '',
	state   TEXT    NOT NULL DEFAULT '',
	reason  TEXT    NOT NULL DEFAULT '',
	outcome TEXT    NOT NULL DEFAULT '',
	wait_ms INTEGER NOT NULL DEFAULT 0,
	in_sl   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX acd_log_agent ON acd_log(tenant, kind, agent, id);
CREATE INDEX acd_log_time ON acd_log(tenant, at_ms);
