-- Calls through a carrier trunk: the trunk's name, and the caller's number
-- as the carrier sent it (sealed like the numbers, AAD cdrs|id|raw_caller)
-- beside the normalised form in caller_enc. Both empty for internal calls.
ALTER TABLE cdrs ADD COLUMN trunk TEXT NOT NULL DEFAULT '';
ALTER TABLE cdrs ADD COLUMN raw_caller_enc BLOB;
