-- Post-call survey answers (outcome 'survey'): the score given, in_sl set
-- when the caller answered the question.
ALTER TABLE acd_log ADD COLUMN score INTEGER NOT NULL DEFAULT 0;
