// Package callsession runs IVR flows on real calls: it implements
// ivr.Session over a call the PBX answered itself, playing prompts (WAV files
// or TTS) as paced G.711 RTP, collecting keys from RFC 4733 events and SIP
// INFO, recording voicemail, and handing the caller to an extension or a queue.
// It depends only on the small Call interface, not on the PBX's internals.
package callsession
