CREATE TABLE sip_accounts (
	tenant     TEXT NOT NULL,
	ext        TEXT NOT NULL,
	secret_enc BLOB NOT NULL,
	created_at TEXT NOT NULL,
	rotated_at TEXT NOT NULL,
	PRIMARY KEY (tenant, ext)
);

CREATE TABLE sip_bindings (
	tenant     TEXT NOT NULL,
	aor        TEXT NOT NULL,
	contact    TEXT NOT NULL,
	received   TEXT NOT NULL,
	transport  TEXT NOT NULL,
	call_id    TEXT NOT NULL,
	cseq       INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	user_agent TEXT NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (tenant, aor, contact)
);

CREATE TABLE sip_bans (
	ip         TEXT PRIMARY KEY,
	reason     TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	until      INTEGER NOT NULL
);

CREATE TABLE cdrs (
	id              TEXT PRIMARY KEY,
	tenant          TEXT NOT NULL,
	caller_enc      BLOB NOT NULL,
	caller_idx      BLOB NOT NULL,
	callee_enc      BLOB NOT NULL,
	callee_idx      BLOB NOT NULL,
	a_call_id       TEXT NOT NULL,
	b_call_id       TEXT NOT NULL,
	start_at        INTEGER NOT NULL,
	answer_at       INTEGER,
	end_at          INTEGER NOT NULL,
	ring_ms         INTEGER NOT NULL,
	talk_ms         INTEGER NOT NULL,
	hold_ms         INTEGER NOT NULL DEFAULT 0,
	disposition     TEXT NOT NULL,
	hangup_side     TEXT NOT NULL,
	hangup_cause    TEXT NOT NULL,
	sip_code        INTEGER NOT NULL,
	a_packets_in    INTEGER NOT NULL,
	a_packets_out   INTEGER NOT NULL,
	a_bytes_in      INTEGER NOT NULL,
	a_bytes_out     INTEGER NOT NULL,
	b_packets_in    INTEGER NOT NULL,
	b_packets_out   INTEGER NOT NULL,
	b_bytes_in      INTEGER NOT NULL,
	b_bytes_out     INTEGER NOT NULL,
	dropped_foreign INTEGER NOT NULL
);
CREATE INDEX cdrs_tenant_start ON cdrs (tenant, start_at);
CREATE INDEX cdrs_caller_idx ON cdrs (tenant, caller_idx);
CREATE INDEX cdrs_callee_idx ON cdrs (tenant, callee_idx);
