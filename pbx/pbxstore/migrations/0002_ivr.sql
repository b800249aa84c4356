CREATE TABLE call_surveys (
	call_id    TEXT PRIMARY KEY,
	tenant     TEXT NOT NULL,
	flow       TEXT NOT NULL,
	score      INTEGER,          -- NULL: the caller gave no answer
	created_at INTEGER NOT NULL
);

CREATE TABLE voicemails (
	id          TEXT PRIMARY KEY,
	tenant      TEXT NOT NULL,
	mailbox     TEXT NOT NULL,
	caller_enc  BLOB NOT NULL,
	caller_idx  BLOB NOT NULL,
	path        TEXT NOT NULL,
	duration_ms INTEGER NOT NULL,
	created_at  INTEGER NOT NULL
);
CREATE INDEX voicemails_tenant_mailbox ON voicemails (tenant, mailbox, created_at);
