// Package importrule holds the import rule of docs/ARCHITECTURE.md as data
// and checks a package graph against it. Its test runs the check over the
// module's real graph (`go list`), so a wrong import fails `make test`.
package importrule
