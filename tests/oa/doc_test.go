// Package oa_test holds the OA's whole-system tests: the real PBX
// (tests/testpbx) with SIPp callers and agents, the OA built by
// cmd/oa/oaboot on its own database, linked only by the CTI websocket and
// the one-login key.
package oa_test
