-- One row per recording, keyed by the call's CDR id. The caller's number is
-- kept masked for display, sealed for the rare full read, and as a blind
-- index for equality search.
CREATE TABLE recordings (
    id            TEXT PRIMARY KEY,
    tenant        TEXT NOT NULL,
    caller_masked TEXT NOT NULL,
    caller_enc    BLOB NOT NULL,
    caller_idx    BLOB NOT NULL,
    callee        TEXT NOT NULL,
    agent         TEXT NOT NULL DEFAULT '',
    queue         TEXT NOT NULL DEFAULT '',
    start_at      INTEGER NOT NULL,           -- unix ms of the first frame
    duration_ms   INTEGER NOT NULL DEFAULT 0,
    size_bytes    INTEGER NOT NULL DEFAULT 0, -- plaintext WAV bytes
    sm3           TEXT NOT NULL DEFAULT '',   -- hex SM3 of the plaintext WAV
    state         TEXT NOT NULL,              -- recording, complete, recovered, failed
    format        TEXT NOT NULL,              -- alaw, ulaw, pcm
    encrypted     INTEGER NOT NULL,
    path          TEXT NOT NULL,              -- relative to the recordings directory
    survey_score  INTEGER,                    -- filled in when the survey lands
    transferred   INTEGER NOT NULL DEFAULT 0,
    ended_at      INTEGER
);
CREATE INDEX recordings_tenant_start ON recordings(tenant, start_at);
CREATE INDEX recordings_tenant_caller ON recordings(tenant, caller_idx);
CREATE INDEX recordings_state ON recordings(state);
