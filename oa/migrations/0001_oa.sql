-- The OA's business data. Every row carries its tenant; phone and ID
-- numbers are SM4-sealed (fieldcrypt) with an HMAC-SM3 blind index beside
-- them, the only way they are searched.

CREATE TABLE oa_departments (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  parent_id INTEGER REFERENCES oa_departments(id),
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX oa_departments_name ON oa_departments(tenant, IFNULL(parent_id, 0), name);

-- The OA profile of a platform user (internal/auth): department and agent id.
CREATE TABLE oa_staff (
  user_id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  display_name TEXT NOT NULL DEFAULT '',
  department_id INTEGER REFERENCES oa_departments(id),
  agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX oa_staff_department ON oa_staff(department_id);
CREATE INDEX oa_staff_agent ON oa_staff(tenant, agent);

CREATE TABLE oa_customer_types (
  tenant TEXT NOT NULL,
  code TEXT NOT NULL,
  name TEXT NOT NULL,
  fields TEXT NOT NULL DEFAULT '[]', -- JSON list of custom field names
  PRIMARY KEY (tenant, code)
);

CREATE TABLE oa_customers (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  vip INTEGER NOT NULL DEFAULT 0,
  tags TEXT NOT NULL DEFAULT '[]',
  fields TEXT NOT NULL DEFAULT '{}',
  id_no_enc BLOB,
  id_no_bidx BLOB,
  id_no_masked TEXT NOT NULL DEFAULT '',
  merged_into INTEGER REFERENCES oa_customers(id),
  created_by TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX oa_customers_id_no ON oa_customers(tenant, id_no_bidx) WHERE id_no_bidx IS NOT NULL;
CREATE INDEX oa_customers_name ON oa_customers(tenant, name);

CREATE TABLE oa_customer_phones (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES oa_customers(id),
  tenant TEXT NOT NULL,
  phone_enc BLOB NOT NULL,
  phone_bidx BLOB NOT NULL,
  masked TEXT NOT NULL,
  label TEXT NOT NULL DEFAULT ''
);
-- The screen pop's lookup: one probe of this index per ringing call.
CREATE INDEX oa_customer_phones_bidx ON oa_customer_phones(tenant, phone_bidx);
CREATE INDEX oa_customer_phones_customer ON oa_customer_phones(customer_id);

CREATE TABLE oa_followups (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES oa_customers(id),
  tenant TEXT NOT NULL,
  author TEXT NOT NULL,
  note TEXT NOT NULL,
  due_at INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX oa_followups_customer ON oa_followups(customer_id, created_at);

CREATE TABLE oa_disposition_codes (
  tenant TEXT NOT NULL,
  code TEXT NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY (tenant, code)
);

-- One row per call, keyed by the PBX's call id (which is its CDR id and its
-- recording id): the CTI consumer upserts it, so an event replayed after a
-- restart changes nothing.
CREATE TABLE oa_contacts (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  call_id TEXT NOT NULL,
  direction TEXT NOT NULL DEFAULT 'inbound',
  kind TEXT NOT NULL DEFAULT 'ringing',
  customer_id INTEGER REFERENCES oa_customers(id),
  caller_enc BLOB,
  caller_bidx BLOB,
  caller_masked TEXT NOT NULL DEFAULT '',
  callee TEXT NOT NULL DEFAULT '',
  agent TEXT NOT NULL DEFAULT '',
  queue TEXT NOT NULL DEFAULT '',
  vars TEXT NOT NULL DEFAULT '{}',
  started_at INTEGER NOT NULL,
  answered_at INTEGER,
  ended_at INTEGER,
  wait_s INTEGER NOT NULL DEFAULT 0,
  talk_s INTEGER NOT NULL DEFAULT 0,
  cdr_disposition TEXT NOT NULL DEFAULT '',
  cdr_id TEXT NOT NULL DEFAULT '',
  recording_id TEXT NOT NULL DEFAULT '',
  recording_url TEXT NOT NULL DEFAULT '',
  voicemail_id TEXT NOT NULL DEFAULT '',
  disposition_code TEXT NOT NULL DEFAULT '',
  notes TEXT NOT NULL DEFAULT '',
  survey_score INTEGER,
  UNIQUE (tenant, call_id)
);
CREATE INDEX oa_contacts_customer ON oa_contacts(customer_id, started_at DESC);
CREATE INDEX oa_contacts_caller ON oa_contacts(tenant, caller_bidx, started_at);
CREATE INDEX oa_contacts_started ON oa_contacts(tenant, started_at);

CREATE TABLE oa_categories (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  parent_id INTEGER REFERENCES oa_categories(id),
  name TEXT NOT NULL,
  workflow TEXT NOT NULL DEFAULT '{}', -- JSON oa.Workflow: optional steps
  sla TEXT NOT NULL DEFAULT '{}',      -- JSON oa.SLAPolicy: limits per step
  created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX oa_categories_name ON oa_categories(tenant, IFNULL(parent_id, 0), name);

CREATE TABLE oa_tickets (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  category_id INTEGER NOT NULL REFERENCES oa_categories(id),
  priority TEXT NOT NULL DEFAULT 'normal',
  state TEXT NOT NULL,
  open INTEGER NOT NULL DEFAULT 1,
  customer_id INTEGER REFERENCES oa_customers(id),
  contact_id INTEGER REFERENCES oa_contacts(id),
  call_id TEXT NOT NULL DEFAULT '',
  caller_masked TEXT NOT NULL DEFAULT '',
  outlet_no TEXT NOT NULL DEFAULT '',
  device TEXT NOT NULL DEFAULT '',
  fault TEXT NOT NULL DEFAULT '',
  department_id INTEGER REFERENCES oa_departments(id),
  assignee TEXT NOT NULL DEFAULT '',
  creator TEXT NOT NULL,
  supervised INTEGER NOT NULL DEFAULT 0,
  extension_pending INTEGER NOT NULL DEFAULT 0,
  extension_ms INTEGER NOT NULL DEFAULT 0,
  satisfaction INTEGER,
  merged_into INTEGER REFERENCES oa_tickets(id),
  sla_step TEXT NOT NULL DEFAULT '',
  sla_started_at INTEGER,
  sla_due_at INTEGER,
  sla_warn_at INTEGER,
  sla_paused_at INTEGER,
  sla_remaining_ms INTEGER,
  sla_state TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  closed_at INTEGER
);
-- The screen pop's open tickets of a customer, and 我的工单's views.
CREATE INDEX oa_tickets_customer_open ON oa_tickets(customer_id, created_at DESC) WHERE open = 1;
CREATE INDEX oa_tickets_assignee ON oa_tickets(tenant, assignee, open, created_at);
CREATE INDEX oa_tickets_department ON oa_tickets(tenant, department_id, open, created_at);
CREATE INDEX oa_tickets_creator ON oa_tickets(tenant, creator, open, created_at);
CREATE INDEX oa_tickets_created ON oa_tickets(tenant, created_at);
CREATE INDEX oa_tickets_outlet ON oa_tickets(tenant, outlet_no, created_at);
CREATE INDEX oa_tickets_sla_state ON oa_tickets(tenant, sla_state, created_at);
CREATE INDEX oa_tickets_sla ON oa_tickets(sla_due_at) WHERE open = 1 AND sla_due_at IS NOT NULL;
CREATE UNIQUE INDEX oa_tickets_voicemail ON oa_tickets(contact_id) WHERE contact_id IS NOT NULL;

CREATE TABLE oa_ticket_watchers (
  ticket_id INTEGER NOT NULL REFERENCES oa_tickets(id),
  user_id TEXT NOT NULL,
  PRIMARY KEY (ticket_id, user_id)
);
CREATE INDEX oa_ticket_watchers_user ON oa_ticket_watchers(user_id);

CREATE TABLE oa_ticket_links (
  ticket_id INTEGER NOT NULL REFERENCES oa_tickets(id),
  other_id INTEGER NOT NULL REFERENCES oa_tickets(id),
  PRIMARY KEY (ticket_id, other_id)
);

-- Every transition of a ticket, appended and never changed.
CREATE TABLE oa_ticket_events (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES oa_tickets(id),
  tenant TEXT NOT NULL,
  action TEXT NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  actor TEXT NOT NULL,
  comment TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '{}',
  at INTEGER NOT NULL
);
CREATE INDEX oa_ticket_events_ticket ON oa_ticket_events(ticket_id, id);
CREATE TRIGGER oa_ticket_events_no_update BEFORE UPDATE ON oa_ticket_events
BEGIN SELECT RAISE(ABORT, 'oa_ticket_events is append-only'); END;
CREATE TRIGGER oa_ticket_events_no_delete BEFORE DELETE ON oa_ticket_events
BEGIN SELECT RAISE(ABORT, 'oa_ticket_events is append-only'); END;

CREATE TABLE oa_attachments (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES oa_tickets(id),
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  mime TEXT NOT NULL,
  size INTEGER NOT NULL,
  sealed BLOB NOT NULL,
  uploaded_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX oa_attachments_ticket ON oa_attachments(ticket_id);

CREATE TABLE oa_notifications (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  user_id TEXT NOT NULL,
  ticket_id INTEGER REFERENCES oa_tickets(id),
  kind TEXT NOT NULL,
  text TEXT NOT NULL,
  read INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX oa_notifications_user ON oa_notifications(tenant, user_id, read, id);

CREATE TABLE oa_saved_queries (
  id INTEGER PRIMARY KEY,
  tenant TEXT NOT NULL,
  user_id TEXT NOT NULL,
  name TEXT NOT NULL,
  target TEXT NOT NULL,
  query TEXT NOT NULL,
  UNIQUE (tenant, user_id, name)
);

-- Where the CTI consumer is in each tenant's event stream: the hub's epoch
-- and the seq of the last event applied, written in the transaction that
-- applied it.
CREATE TABLE oa_cti_cursor (
  tenant TEXT PRIMARY KEY,
  epoch TEXT NOT NULL,
  seq INTEGER NOT NULL
);

-- Single-use SSO tokens: a token's id is refused once seen, until it expires.
CREATE TABLE oa_sso_seen (
  jti TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
);
