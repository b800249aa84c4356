-- Head signatures are numbered and chained: each signs its sequence number,
-- the head, its own time and the SM3 of the signature before it, so heads
-- cannot be removed from the middle unnoticed, and a verifier holding an
-- exported head, or expecting a recent one, notices heads cut from the end.
-- Signatures made before this migration keep seq 0 and the old message.
ALTER TABLE audit_signatures ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_signatures ADD COLUMN prev_sig BLOB NOT NULL DEFAULT x'';
