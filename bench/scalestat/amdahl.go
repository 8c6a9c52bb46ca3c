package scalestat

import (
	"errors"
	"math"
)

// ErrFit is returned when the data cannot determine a fit: too few
// observations or process counts, or a degenerate result.
var ErrFit = errors.New("scalestat: not enough data to fit")

// Observation is one run's time at p ranks.
type Observation struct {
	P    int
	Time float64 // seconds
}

// Amdahl is a fit of T(p) = A + B/p (see the package documentation).
type Amdahl struct {
	A, B               float64 // seconds
	StderrA, StderrB   float64
	SerialFraction     float64 // A/(A+B)
	SerialFractionSE   float64 // by the delta method
	R2                 float64
	N                  int // observations fitted
	DistinctP          int
	MaxSpeedup         float64 // 1/SerialFraction; +Inf when it is 0 or below
	ResidualStdDevSecs float64
}

// Predict returns the fitted time at p ranks.
func (f Amdahl) Predict(p float64) float64 { return f.A + f.B/p }

// FitAmdahl fits T(p) = a + b/p to obs by ordinary least squares. It needs
// observations at two or more distinct p, and more observations than two
// for standard errors (which are NaN otherwise).
func FitAmdahl(obs []Observation) (Amdahl, error) {
	xs := make([]float64, len(obs))
	ys := make([]float64, len(obs))
	distinct := map[int]bool{}
	for i, o := range obs {
		xs[i], ys[i] = 1/float64(o.P), o.Time
		distinct[o.P] = true
	}
	if len(distinct) < 2 {
		return Amdahl{}, ErrFit
	}
	l, err := fitLine(xs, ys)
	if err != nil {
		return Amdahl{}, err
	}
	f := Amdahl{A: l.intercept, B: l.slope, StderrA: l.seIntercept, StderrB: l.seSlope,
		R2: l.r2, N: len(obs), DistinctP: len(distinct), ResidualStdDevSecs: math.Sqrt(l.s2)}
	t1 := f.A + f.B
	if t1 <= 0 {
		return f, ErrFit
	}
	f.SerialFraction = f.A / t1
	// ∇f = (B, −A)/(A+B)²; Var f = ∇fᵀ Σ ∇f.
	ga, gb := f.B/(t1*t1), -f.A/(t1*t1)
	v := ga*ga*l.varIntercept + gb*gb*l.varSlope + 2*ga*gb*l.cov
	f.SerialFractionSE = math.Sqrt(math.Max(v, 0))
	f.MaxSpeedup = math.Inf(1)
	if f.SerialFraction > 0 {
		f.MaxSpeedup = 1 / f.SerialFraction
	}
	return f, nil
}

// line is an ordinary least-squares fit y = intercept + slope·x.
type line struct {
	intercept, slope     float64
	varIntercept         float64
	varSlope, cov        float64
	seIntercept, seSlope float64
	s2, r2               float64
}

func fitLine(xs, ys []float64) (line, error) {
	n := float64(len(xs))
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx /= n
	my /= n
	var sxx, sxy, syy float64
	for i := range xs {
		dx, dy := xs[i]-mx, ys[i]-my
		sxx += dx * dx
		sxy += dx * dy
		syy += dy * dy
	}
	if sxx == 0 {
		return line{}, ErrFit
	}
	var l line
	l.slope = sxy / sxx
	l.intercept = my - l.slope*mx
	var rss float64
	for i := range xs {
		r := ys[i] - l.intercept - l.slope*xs[i]
		rss += r * r
	}
	l.r2 = 1.0
	if syy > 0 {
		l.r2 = 1 - rss/syy
	}
	if len(xs) > 2 {
		l.s2 = rss / (n - 2)
		l.varSlope = l.s2 / sxx
		l.varIntercept = l.s2 * (1/n + mx*mx/sxx)
		l.cov = -mx * l.s2 / sxx
	} else {
		l.s2, l.varSlope, l.varIntercept, l.cov = math.NaN(), math.NaN(), math.NaN(), math.NaN()
	}
	l.seSlope, l.seIntercept = math.Sqrt(l.varSlope), math.Sqrt(l.varIntercept)
	return l, nil
}
