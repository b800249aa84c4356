// Package pbxtest starts a real PBX for tests: the same assembly as the pbx
// command (cmd/pbx/boot), on free loopback ports with a temporary SQLite
// database and data directory, demo extensions provisioned. Feature tests
// drive it with SIPp through internal/sipp.
package testpbx
