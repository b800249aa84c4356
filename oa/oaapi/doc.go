// Package oaapi is the OA's HTTP API: customers, contact records, tickets
// and their transitions, departments, categories, notifications, the
// one-login endpoint, the OpenAPI document that describes every route
// (checked against the route table by a test) and the placeholder page at /.
// Every route is a route.Route guarded by internal/adminapi (authentication,
// RBAC with the oa.* permissions, audit of every change); handlers act in
// the caller's own tenant. Bad input is a 400 whose "fields" name each
// problem beside its field.
package oaapi
