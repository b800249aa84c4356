// Package system holds the whole-system tests: each starts a PBX with
// tests/testpbx on a loopback address of its own and drives it as phones,
// agents and integrations do — SIPp peers (tests/scenarios), raw SIP over
// UDP, TCP, TLS and websockets, the admin API and the CTI client — calls,
// the registrar, transfers, the ACD, the IVR, recording, drain and crash.
// Every test runs in parallel. The package has no code of its own.
package system
