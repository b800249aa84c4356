// Package audit owns yimen's tamper-evident audit log: an append-only table
// in which each row carries HMAC-SM3(key, previous row's MAC || canonical
// row), a chain head SM2-signed every N rows or M minutes, Verify that names
// the first broken row, search and CSV export for auditors, and a retention
// pruner that keeps the chain verifiable through an anchor row. The table's
// triggers reject UPDATE and DELETE; only the pruner's path (see prune.go)
// may delete, and only rows past retention.
package audit
