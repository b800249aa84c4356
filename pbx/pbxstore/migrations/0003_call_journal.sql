-- Calls in progress, so a crash (kill -9, power cut) still leaves every call
-- a CDR: a row is written when a call is set up, updated when it is answered
-- and deleted in the transaction that writes its CDR. At start-up the rows
-- left over become CDRs with disposition "interrupted".
-- caller_enc/callee_enc are sealed for the CDR row (AAD cdrs|id|column), so
-- recovery copies them as they are.
CREATE TABLE open_calls (
	id          TEXT PRIMARY KEY,
	tenant      TEXT NOT NULL,
	caller_enc  BLOB NOT NULL,
	caller_idx  BLOB NOT NULL,
	callee_enc  BLOB NOT NULL,
	callee_idx  BLOB NOT NULL,
	a_call_id   TEXT NOT NULL,
	start_at    INTEGER NOT NULL,
	answer_at   INTEGER,
	updated_at  INTEGER NOT NULL
);

-- The last moment the PBX was known to be alive (one row, id 1): the end
-- time of calls a crash interrupted.
CREATE TABLE pbx_heartbeat (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	at INTEGER NOT NULL
);
