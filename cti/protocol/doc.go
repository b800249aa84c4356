// Package protocol is the CTI websocket's wire format, shared by the hub
// (package cti) and its clients (package cti/client): the versioned
// envelope, the message types, the data of every event, command and reply,
// topics and error codes, and the strict decoding of what a client sends.
// It imports nothing but the standard library, so the OA and tools can use
// it without pulling in the PBX. docs/cti.md documents every message.
package protocol
