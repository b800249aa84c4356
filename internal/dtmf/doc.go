// Package dtmf owns key detection: RFC 4733 telephone-events read from a
// call's RTP (as a media tap, allocation-free) and SIP INFO bodies
// (application/dtmf-relay and application/dtmf), delivered as one stream of keys.
package dtmf
