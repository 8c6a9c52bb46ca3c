package scalestat

import "math"

// Speedup returns p₀·t₀/t: the strong-scaling speedup of a median time t
// against the baseline's median t₀ at p₀ ranks.
func Speedup(p0 int, t0, t float64) float64 { return float64(p0) * t0 / t }

// Efficiency returns S/p.
func Efficiency(s float64, p int) float64 { return s / float64(p) }

// KarpFlatt returns the experimentally determined serial fraction
// e = (1/S − 1/p)/(1 − 1/p) for speedup S at p ranks; NaN at p ≤ 1, where
// it is undefined.
func KarpFlatt(s float64, p int) float64 {
	if p <= 1 {
		return math.NaN()
	}
	inv := 1 / float64(p)
	return (1/s - inv) / (1 - inv)
}

// Overlap reports whether two intervals share any point.
func Overlap(a, b CI) bool { return a.Lo <= b.Hi && b.Lo <= a.Hi }

// WithinTarget reports whether ci lies within ±target·median of median
// (target is relative: 0.05 is ±5 %). A Short interval never does.
func WithinTarget(ci CI, median, target float64) bool {
	if ci.Short {
		return false
	}
	return median-ci.Lo <= target*median && ci.Hi-median <= target*median
}
