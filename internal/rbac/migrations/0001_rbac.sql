CREATE TABLE rbac_role_permissions (
	id         INTEGER PRIMARY KEY,
	tenant     TEXT NOT NULL,
	role       TEXT NOT NULL,
	permission TEXT NOT NULL,
	scope      TEXT NOT NULL,   -- 'tenant', 'queue' or 'own'
	tag        BLOB NOT NULL,   -- HMAC-SM3 over the canonical row
	UNIQUE (tenant, role, permission)
);

CREATE TABLE rbac_user_roles (
	id      INTEGER PRIMARY KEY,
	user_id TEXT NOT NULL,
	tenant  TEXT NOT NULL,
	role    TEXT NOT NULL,
	queues  TEXT NOT NULL DEFAULT '',  -- sorted, comma-separated queue ids (scope 'queue')
	agent   TEXT NOT NULL DEFAULT '',  -- the user's own agent id (scope 'own')
	tag     BLOB NOT NULL,
	UNIQUE (user_id, tenant, role)
);
CREATE INDEX rbac_user_roles_user ON rbac_user_roles(user_id, tenant);
