-- Tenants' agents and queues as changed through the admin API while
-- running. Once a tenant has a row, it is the tenant's configuration and
-- the YAML's agents and queues only seeded it.
CREATE TABLE acd_config (
	tenant     TEXT    PRIMARY KEY,
	body       TEXT    NOT NULL, -- JSON: {"agents": [...], "queues": [...]}
	updated_ms INTEGER NOT NULL
);
