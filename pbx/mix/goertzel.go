package mix

import "math"

// Power is the Goertzel power of freq in samples at 8 kHz, normalised by the
// signal energy: near 1 when the signal is that tone, near 0 when it is absent.
func Power(samples []int16, freq float64) float64 {
	if len(samples) == 0 {
		return 0
	}
	k := 2 * math.Cos(2*math.Pi*freq/8000)
	var s1, s2, energy float64
	for _, v := range samples {
		x := float64(v)
		s0 := x + k*s1 - s2
		s2, s1 = s1, s0
		energy += x * x
	}
	p := s1*s1 + s2*s2 - k*s1*s2
	if energy == 0 {
		return 0
	}
	return p / (energy * float64(len(samples)) / 2)
}
