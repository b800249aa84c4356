-- QA (质检) rules pick recordings for review; tasks are the picks.
CREATE TABLE qa_rules (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant      TEXT NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,               -- sample, survey_score, long_call, transferred
    percent     REAL NOT NULL DEFAULT 0,     -- sample: share per agent per day
    seed        INTEGER NOT NULL DEFAULT 0,  -- sample: makes the pick reproducible
    max_score   INTEGER NOT NULL DEFAULT 0,  -- survey_score: score <= max_score
    min_minutes INTEGER NOT NULL DEFAULT 0,  -- long_call: longer than this
    enabled     INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL
);
CREATE INDEX qa_rules_tenant ON qa_rules(tenant);

CREATE TABLE qa_tasks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant       TEXT NOT NULL,
    rule_id      INTEGER NOT NULL REFERENCES qa_rules(id) ON DELETE CASCADE,
    recording_id TEXT NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
    agent        TEXT NOT NULL,
    day          TEXT NOT NULL,               -- YYYY-MM-DD the call started
    state        TEXT NOT NULL DEFAULT 'open', -- open, assigned, done
    assignee     TEXT NOT NULL DEFAULT '',
    score        REAL,
    comment      TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    UNIQUE (rule_id, recording_id)
);
CREATE INDEX qa_tasks_tenant_day ON qa_tasks(tenant, day);
CREATE INDEX qa_tasks_recording ON qa_tasks(recording_id);
