CREATE TABLE auth_users (
	id                  TEXT PRIMARY KEY,
	tenant              TEXT    NOT NULL,
	name                TEXT    NOT NULL COLLATE NOCASE,
	password_hash       TEXT    NOT NULL,
	password_changed_at INTEGER NOT NULL,
	must_change         INTEGER NOT NULL DEFAULT 0,
	disabled            INTEGER NOT NULL DEFAULT 0,
	totp_secret         BLOB,              -- sealed by the auth.totp data key
	totp_alg            TEXT    NOT NULL DEFAULT '',
	totp_active         INTEGER NOT NULL DEFAULT 0,
	totp_last_step      INTEGER NOT NULL DEFAULT 0,
	sm2_public_key      BLOB,
	created_at          INTEGER NOT NULL,
	UNIQUE (tenant, name)
);

CREATE TABLE auth_password_history (
	user_id    TEXT    NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
	hash       TEXT    NOT NULL,
	changed_at INTEGER NOT NULL
);
CREATE INDEX auth_password_history_user ON auth_password_history(user_id, changed_at);

CREATE TABLE auth_sessions (
	token_hash BLOB PRIMARY KEY,
	user_id    TEXT    NOT NULL REFERENCES auth_users(id) ON DELETE CASCADE,
	method     TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	last_seen  INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX auth_sessions_user ON auth_sessions(user_id);

CREATE TABLE auth_failures (
	kind         TEXT    NOT NULL,  -- 'account' or 'source'
	subject      TEXT    NOT NULL,
	count        INTEGER NOT NULL,
	window_start INTEGER NOT NULL,
	locked_until INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (kind, subject)
) WITHOUT ROWID;

CREATE TABLE auth_challenges (
	nonce_hash BLOB PRIMARY KEY,
	tenant     TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE auth_api_tokens (
	id         TEXT PRIMARY KEY,
	token_hash BLOB    NOT NULL UNIQUE,
	tenant     TEXT    NOT NULL,
	subject    TEXT    NOT NULL,
	name       TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL DEFAULT 0,  -- 0: no expiry
	revoked_at INTEGER NOT NULL DEFAULT 0,
	last_used  INTEGER NOT NULL DEFAULT 0
);
