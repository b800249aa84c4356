// Package prompt owns audio the PBX plays itself: it loads 8 kHz mono WAV
// prompts (PCM16, A-law or µ-law), encodes them once per codec into 20 ms
// G.711 frames, and paces them out as RTP with its own SSRC, sequence and
// timestamps. Other formats are refused at load time with the reason.
package prompt
