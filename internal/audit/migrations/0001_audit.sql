CREATE TABLE audit_log (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	ts       INTEGER NOT NULL,             -- Unix milliseconds, set by the log
	tenant   TEXT    NOT NULL DEFAULT '',
	actor    TEXT    NOT NULL DEFAULT '',
	action   TEXT    NOT NULL,
	target   TEXT    NOT NULL DEFAULT '',
	outcome  TEXT    NOT NULL DEFAULT '',
	source   TEXT    NOT NULL DEFAULT '',
	detail   TEXT    NOT NULL DEFAULT '',
	prev_mac BLOB    NOT NULL,             -- mac of the row before (or of the anchor)
	mac      BLOB    NOT NULL              -- HMAC-SM3(key, prev_mac || canonical row)
);
CREATE INDEX audit_log_ts ON audit_log(ts);
CREATE INDEX audit_log_tenant_ts ON audit_log(tenant, ts);
CREATE INDEX audit_log_actor_ts ON audit_log(actor, ts);
CREATE INDEX audit_log_action_ts ON audit_log(action, ts);

-- SM2 signatures over the chain head, every N rows or M minutes.
CREATE TABLE audit_signatures (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	row_id    INTEGER NOT NULL,
	mac       BLOB    NOT NULL,
	signed_at INTEGER NOT NULL,
	key_id    TEXT    NOT NULL,
	signature BLOB    NOT NULL
);

-- Where the chain starts after pruning: the id and mac of the last pruned
-- row, SM2-signed, so the remaining rows still verify from it.
CREATE TABLE audit_anchor (
	id              INTEGER PRIMARY KEY CHECK (id = 1),
	last_pruned_id  INTEGER NOT NULL,
	last_pruned_mac BLOB    NOT NULL,
	pruned_at       INTEGER NOT NULL,
	signature       BLOB    NOT NULL
);

-- The pruner's gate. The pruner inserts one row here, deletes, and removes
-- it again inside one transaction, so no other connection ever sees it open.
-- Even through the gate, only rows older than 180 days can go.
CREATE TABLE audit_prune_gate (cutoff INTEGER NOT NULL);

CREATE TRIGGER audit_prune_gate_retention BEFORE INSERT ON audit_prune_gate
WHEN NEW.cutoff > (CAST(strftime('%s','now') AS INTEGER) - 180*86400) * 1000
BEGIN SELECT RAISE(ABORT, 'audit: retention is at least 180 days'); END;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit: audit_log is append-only'); END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN NOT EXISTS (SELECT 1 FROM audit_prune_gate WHERE OLD.ts < cutoff)
BEGIN SELECT RAISE(ABORT, 'audit: audit_log is append-only'); END;

CREATE TRIGGER audit_signatures_no_update BEFORE UPDATE ON audit_signatures
BEGIN SELECT RAISE(ABORT, 'audit: audit_signatures is append-only'); END;

CREATE TRIGGER audit_signatures_no_delete BEFORE DELETE ON audit_signatures
WHEN NOT EXISTS (SELECT 1 FROM audit_prune_gate)
BEGIN SELECT RAISE(ABORT, 'audit: audit_signatures is append-only'); END;

CREATE TRIGGER audit_anchor_no_insert BEFORE INSERT ON audit_anchor
WHEN NOT EXISTS (SELECT 1 FROM audit_prune_gate)
BEGIN SELECT RAISE(ABORT, 'audit: anchor is written by the pruner only'); END;

CREATE TRIGGER audit_anchor_no_update BEFORE UPDATE ON audit_anchor
WHEN NOT EXISTS (SELECT 1 FROM audit_prune_gate)
BEGIN SELECT RAISE(ABORT, 'audit: anchor is written by the pruner only'); END;

CREATE TRIGGER audit_anchor_no_delete BEFORE DELETE ON audit_anchor
BEGIN SELECT RAISE(ABORT, 'audit: anchor cannot be deleted'); END;
