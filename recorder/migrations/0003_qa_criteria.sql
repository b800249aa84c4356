-- Weighted scoring forms: the criteria a reviewer scored, as JSON.
ALTER TABLE qa_tasks ADD COLUMN criteria TEXT NOT NULL DEFAULT '';
