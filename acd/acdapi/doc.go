// Package acdapi is the ACD's admin API: a running tenant's agents and
// queues, read and changed over HTTP in acd's own types. A change applies
// to the live ACD at once (which validates the whole tenant) and is saved
// in acd.ConfigStore, so it outlives a restart. It imports acd and platform
// packages only; Routes returns httpx.Routes for the server's route table.
package acdapi
