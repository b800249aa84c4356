-- What a wallboard shows, per tenant and role: its figures, thresholds and paging (JSON).
CREATE TABLE wallboard_layouts (
	tenant TEXT NOT NULL,
	role TEXT NOT NULL,
	layout TEXT NOT NULL,
	updated_ms INTEGER NOT NULL,
	PRIMARY KEY (tenant, role)
);
