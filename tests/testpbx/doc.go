// Package testpbx starts a real PBX for the system tests: the same
// assembly as the pbx command (cmd/pbx/boot) in the test process, or
// cmd/pbx built and run as a child (Process) when a test needs signals or
// kill -9. Each PBX listens on a loopback address of its own (Loopback)
// with a temporary SQLite database and data directory, demo extensions
// provisioned, so tests run in parallel. Tests drive it with SIPp through
// internal/sipp, the admin API (Admin, Client, Scenario) and the CTI
// client. Only tests import it.
package testpbx
