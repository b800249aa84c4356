// Package recorder owns call recording: a tap on the media bridge that hands
// RTP to a per-call writer goroutine through a bounded queue, stereo WAV
// files (caller left, callee right; G.711 or PCM16) aligned on time with
// silence for gaps, hold and pauses, storage at rest behind an interface
// (plain files or SM4-GCM sealed segments), crash recovery of interrupted
// files, the recordings index, its HTTP API (search, stream and download
// with Range, delete), retention, and QA (质检) rules that turn recordings
// into review tasks. It learns about calls through the B2BUA's Observer.
package recorder
