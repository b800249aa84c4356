// Package fifomap owns a map that forgets in the order it learnt: the
// bounded, time-limited tables of the SIP fast paths (the answers kept
// for retransmitted REGISTERs, the digest nonces already used) look up by
// key and drop from the oldest end.
package fifomap
