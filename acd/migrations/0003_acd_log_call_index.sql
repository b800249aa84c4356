-- Per-call look-ups (CDR enrichment: queue, agent, wait, after-call work).
CREATE INDEX acd_log_call ON acd_log(tenant, call_id) WHERE kind = 'call';
CREATE INDEX acd_log_queue ON acd_log(tenant, queue, at_ms) WHERE kind = 'call';
