// Package sdp owns the SDP offer/answer work of the B2BUA's G.711 relay.
//
// Parse reads an offer or answer into the few values a relay needs (the
// audio address and port, codecs, telephone-event, direction, ptime) and
// remembers every other m= line so it can be refused. Negotiate picks the
// codecs both sides share, Build writes the SDP a leg should see, and
// VersionCounter keeps o= versions right across re-offers (RFC 3264 §8).
// SDES keys (a=crypto, RFC 4568) of the audio stream are read and written
// (crypto.go); which to use is the B2BUA's choice.
// Hand-written rather than a general SDP library so the hot path allocates
// little and every malformed input comes back as errs.ErrInvalid.
package sdp
