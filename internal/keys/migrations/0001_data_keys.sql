CREATE TABLE data_keys (
	name       TEXT    NOT NULL,
	version    INTEGER NOT NULL CHECK (version > 0),
	wrapped    BLOB    NOT NULL,
	master_id  TEXT    NOT NULL,
	created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
	PRIMARY KEY (name, version)
) WITHOUT ROWID;
