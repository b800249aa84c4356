//go:build cgo && !purego

package store

import _ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver

// Driver names the SQLite driver this binary was built with (the default:
// SQLite's C code through cgo).
const Driver = "mattn/go-sqlite3 (cgo)"

const (
	driverName   = "sqlite3"
	driverParams = "_journal_mode=WAL&_busy_timeout=5000&_foreign_keys=on&_synchronous=NORMAL&_txlock=immediate"
)
