// Package store opens the embedded SQLite database and owns the mechanics every
// feature package shares: WAL and foreign keys, per-component append-only
// migrations embedded by their owners, and a nestable InTx that carries the
// transaction in the context. Feature packages keep their own SQL in one file
// each (e.g. pbx/pbxstore), so another dialect can be added there.
package store
