// Package httpx is the one home of the HTTP edge: JSON replies and bodies
// with size limits, the error kind → status mapping (internal/errs), one log
// line per failure, the Route every API declares its access next to its
// handler with, and the listener's TLS and lifecycle. Feature packages
// return sentinel errors; only this package turns them into statuses.
package httpx
