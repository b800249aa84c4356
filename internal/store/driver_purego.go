//go:build !cgo || purego

package store

import _ "modernc.org/sqlite" // registers the "sqlite" driver

// Driver names the SQLite driver this binary was built with: SQLite
// translated to Go, for targets without a C cross-compiler (linux/loong64)
// or builds with -tags purego.
const Driver = "modernc.org/sqlite (pure Go)"

const (
	driverName = "sqlite"
	// The same settings as the cgo build, in this driver's pragma syntax.
	driverParams = "_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
)
