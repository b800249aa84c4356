-- The SLA watcher finds each kind of due clock by an index of its own
-- instead of re-reading every breached ticket at every check: the moment a
-- breached ticket escalates is kept, and warnings are found by their time.
ALTER TABLE oa_tickets ADD COLUMN sla_escalate_at INTEGER;
CREATE INDEX oa_tickets_sla_escalate ON oa_tickets(sla_escalate_at) WHERE open = 1 AND sla_state = 'breached';
CREATE INDEX oa_tickets_sla_warn ON oa_tickets(sla_warn_at) WHERE open = 1 AND sla_state = '';
-- Running clocks only: breached tickets leave this index, so the breach
-- check reads the clocks that can still breach.
CREATE INDEX oa_tickets_sla_running ON oa_tickets(sla_due_at) WHERE open = 1 AND sla_state IN ('', 'warning');
