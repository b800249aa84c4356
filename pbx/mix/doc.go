// Package mix owns audio mixing for supervision and conferences: it decodes
// G.711 frames only while a mix is attached (the relay never decodes), keeps a
// short per-source jitter queue filled from media taps, and sums sources into
// a G.711 frame for each listener with saturation.
package mix

// FrameSamples is 20 ms at 8 kHz.
const FrameSamples = 160
