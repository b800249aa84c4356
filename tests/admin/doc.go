// Package admin holds the admin API's whole-system tests: logins and
// sessions, second factors, the privilege matrix and separation of duties,
// the audit chain and HTTPS, against a PBX started with tests/testpbx, as
// tables of testpbx.Scenario where the shape fits. The package has no code
// of its own.
package admin
