package scalestat

import "math"

// ScaledPoint is one point of a weak sweep: p ranks, the median time of
// the grown problem on p ranks, and the median time of the same problem on
// one rank.
type ScaledPoint struct {
	P                int
	Time, SerialTime float64
}

// Gustafson is a fit of the scaled speedup S(p) = s + (1−s)·p.
type Gustafson struct {
	SerialFraction   float64 // s
	SerialFractionSE float64 // NaN with a single point above p = 1
	Points           int     // points with p > 1 fitted
}

// ScaledSpeedup returns T₁/T for a point.
func (pt ScaledPoint) ScaledSpeedup() float64 { return pt.SerialTime / pt.Time }

// FitGustafson fits s to the points with p > 1 by least squares on
// p − S(p) = s·(p − 1) (see the package documentation).
func FitGustafson(pts []ScaledPoint) (Gustafson, error) {
	var sxx, sxy float64
	var xs, ys []float64
	for _, pt := range pts {
		if pt.P <= 1 || !(pt.Time > 0) || !(pt.SerialTime > 0) {
			continue
		}
		x := float64(pt.P - 1)
		y := float64(pt.P) - pt.ScaledSpeedup()
		xs, ys = append(xs, x), append(ys, y)
		sxx += x * x
		sxy += x * y
	}
	if len(xs) == 0 {
		return Gustafson{}, ErrFit
	}
	g := Gustafson{SerialFraction: sxy / sxx, Points: len(xs), SerialFractionSE: math.NaN()}
	if len(xs) > 1 {
		var rss float64
		for i := range xs {
			r := ys[i] - g.SerialFraction*xs[i]
			rss += r * r
		}
		g.SerialFractionSE = math.Sqrt(rss / float64(len(xs)-1) / sxx)
	}
	return g, nil
}
