// Package acdtest holds test doubles for the ACD's seams: a manual Clock
// whose timers fire only when a test advances it, a Dialer that records what
// the ACD asked of the PBX, and an EventSink that records events. They are
// shared by the acd and cti tests and by the PBX's integration tests.
package acdtest
