-- Revoked rows by table and id. A row's tag covers its id and content, so a
-- revoked grant re-inserted verbatim would still verify; its id here makes
-- it refused (and alarmed) instead, and new rows never reuse such an id.
-- grant_key (tenant|role|permission for a role's permission) lets the
-- seeding of default grants at start leave a revoked default revoked.
CREATE TABLE rbac_revoked (
	tbl        TEXT    NOT NULL,
	row_id     INTEGER NOT NULL,
	grant_key  TEXT    NOT NULL DEFAULT '',
	revoked_at INTEGER NOT NULL,  -- Unix milliseconds
	PRIMARY KEY (tbl, row_id)
);
CREATE INDEX rbac_revoked_key ON rbac_revoked(tbl, grant_key);

CREATE TRIGGER rbac_revoked_no_update BEFORE UPDATE ON rbac_revoked
BEGIN SELECT RAISE(ABORT, 'rbac: revocations are append-only'); END;

CREATE TRIGGER rbac_revoked_no_delete BEFORE DELETE ON rbac_revoked
BEGIN SELECT RAISE(ABORT, 'rbac: revocations are append-only'); END;
