package scalestat

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{3, 1}, 2},
		{[]float64{5, 1, 3}, 3},
		{[]float64{9, 1, 2, 100}, 5.5},
	} {
		assert.Equal(t, tc.want, Median(tc.in), "%v", tc.in)
	}
	assert.True(t, math.IsNaN(Median(nil)))
	in := []float64{3, 1, 2}
	Median(in)
	assert.Equal(t, []float64{3, 1, 2}, in, "input untouched")
}

func TestMedianCIOrderStatistics(t *testing.T) {
	seq := func(n int) []float64 {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(n - i) // reversed: MedianCI sorts
		}
		return xs
	}
	for _, tc := range []struct {
		n        int
		lo, hi   float64 // 1-based ranks of the bounds
		short    bool
		coverage float64
	}{
		{1, 1, 1, true, 0},
		{2, 1, 2, true, 0.5},
		{5, 1, 5, true, 0.9375},
		{6, 1, 6, false, 0.96875},
		{8, 1, 8, false, 0.9921875},
		{9, 2, 8, false, 0.9609375},
		{10, 2, 9, false, 0.978515625},
		{20, 6, 15, false, 0.9586105346679688},
	} {
		ci := MedianCI(seq(tc.n), 0.95)
		assert.Equal(t, tc.lo, ci.Lo, "n=%d lo", tc.n)
		assert.Equal(t, tc.hi, ci.Hi, "n=%d hi", tc.n)
		assert.Equal(t, tc.short, ci.Short, "n=%d short", tc.n)
		assert.InDelta(t, tc.coverage, ci.Coverage, 1e-12, "n=%d coverage", tc.n)
	}
	assert.Equal(t, 6, MinRunsFor(0.95))
	ci := MedianCI(nil, 0.95)
	assert.True(t, ci.Short && math.IsNaN(ci.Lo))
}

// The interval covers the true median about as often as it claims.
func TestMedianCICoversAtItsLevel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const trials, n = 4000, 15
	hits := 0
	for range trials {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = rng.ExpFloat64() // skewed; true median ln 2
		}
		ci := MedianCI(xs, 0.95)
		if ci.Lo <= math.Ln2 && math.Ln2 <= ci.Hi {
			hits++
		}
	}
	cov := MedianCI(make([]float64, n), 0.95).Coverage
	assert.InDelta(t, cov, float64(hits)/trials, 0.02)
}

func TestFitAmdahlRecoversKnownLaw(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const a, b = 0.05, 0.4 // serial fraction 0.05/0.45
	var obs []Observation
	for _, p := range []int{1, 2, 4, 8} {
		for range 5 {
			obs = append(obs, Observation{P: p, Time: a + b/float64(p) + 0.002*rng.NormFloat64()})
		}
	}
	f, err := FitAmdahl(obs)
	require.NoError(t, err)
	truth := a / (a + b)
	assert.InDelta(t, truth, f.SerialFraction, 0.01)
	assert.Less(t, math.Abs(f.SerialFraction-truth), 3*f.SerialFractionSE, "stderr covers the truth")
	assert.Greater(t, f.R2, 0.99)
	assert.InDelta(t, 1/truth, f.MaxSpeedup, 1)
	assert.Equal(t, 20, f.N)
	assert.Equal(t, 4, f.DistinctP)
	assert.InDelta(t, a+b/3, f.Predict(3), 0.005)
}

func TestFitAmdahlExactDataAndErrors(t *testing.T) {
	f, err := FitAmdahl([]Observation{{1, 3}, {2, 2}, {4, 1.5}})
	require.NoError(t, err)
	assert.InDelta(t, 1, f.A, 1e-12)
	assert.InDelta(t, 2, f.B, 1e-12)
	assert.InDelta(t, 1.0/3, f.SerialFraction, 1e-12)
	assert.InDelta(t, 0, f.SerialFractionSE, 1e-9)
	assert.InDelta(t, 1, f.R2, 1e-12)

	_, err = FitAmdahl([]Observation{{4, 1}, {4, 2}})
	assert.ErrorIs(t, err, ErrFit, "one p")
	_, err = FitAmdahl(nil)
	assert.ErrorIs(t, err, ErrFit)
	two, err := FitAmdahl([]Observation{{1, 2}, {2, 1.5}})
	require.NoError(t, err)
	assert.True(t, math.IsNaN(two.SerialFractionSE), "two points: no standard error")
}

func TestFitGustafson(t *testing.T) {
	const s, par = 0.05, 0.2 // serial seconds, parallel seconds per rank
	var pts []ScaledPoint
	for _, p := range []int{1, 2, 4, 8} {
		pts = append(pts, ScaledPoint{P: p, Time: s + par, SerialTime: s + float64(p)*par})
	}
	g, err := FitGustafson(pts)
	require.NoError(t, err)
	assert.InDelta(t, s/(s+par), g.SerialFraction, 1e-12)
	assert.InDelta(t, 0, g.SerialFractionSE, 1e-9)
	assert.Equal(t, 3, g.Points)
	_, err = FitGustafson(pts[:1])
	assert.ErrorIs(t, err, ErrFit, "p=1 alone says nothing")
}

func TestSpeedupEfficiencyKarpFlatt(t *testing.T) {
	for _, tc := range []struct {
		p0    int
		t0, t float64
		p     int
		s, e  float64
		kf    float64
		kfNaN bool
	}{
		{1, 10, 10, 1, 1, 1, 0, true},
		{1, 10, 5, 2, 2, 1, 0, false}, // ideal: no serial fraction
		{1, 10, 10.0 / 3.9, 4, 3.9, 0.975, 0.1 / 3.9 / 3, false},
		{2, 8, 4, 4, 4, 1, 0, false},                                                   // baseline at p0=2
		{1, 1, 0.1 + 0.9/8, 8, 1 / (0.1 + 0.9/8), (1 / (0.1 + 0.9/8)) / 8, 0.1, false}, // Amdahl f=0.1
	} {
		s := Speedup(tc.p0, tc.t0, tc.t)
		assert.InDelta(t, tc.s, s, 1e-12)
		assert.InDelta(t, tc.e, Efficiency(s, tc.p), 1e-12)
		kf := KarpFlatt(s, tc.p)
		if tc.kfNaN {
			assert.True(t, math.IsNaN(kf))
		} else {
			assert.InDelta(t, tc.kf, kf, 1e-12, "p=%d S=%v", tc.p, s)
		}
	}
	// The published mistake (1/S − 1)/(1/p − 1) gives a very different
	// number on the same data; the formula here is Karp and Flatt's.
	s := 1 / (0.039 + 0.961/16)
	assert.InDelta(t, 0.039, KarpFlatt(s, 16), 1e-12)
}

func TestOverlapAndTarget(t *testing.T) {
	assert.True(t, Overlap(CI{Lo: 1, Hi: 2}, CI{Lo: 2, Hi: 3}))
	assert.False(t, Overlap(CI{Lo: 1, Hi: 2}, CI{Lo: 2.1, Hi: 3}))
	assert.True(t, WithinTarget(CI{Lo: 0.96, Hi: 1.04}, 1, 0.05))
	assert.False(t, WithinTarget(CI{Lo: 0.9, Hi: 1.04}, 1, 0.05))
	assert.False(t, WithinTarget(CI{Lo: 1, Hi: 1, Short: true}, 1, 0.05))
}

func TestRatioCI(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	gen := func(m float64) []float64 {
		xs := make([]float64, 10)
		for i := range xs {
			xs[i] = m * (1 + 0.02*rng.NormFloat64())
		}
		return xs
	}
	a, b := gen(1), gen(1.5)
	r := RatioCI(a, b, 0.95, 7)
	assert.InDelta(t, 1.5, r.Value, 0.05)
	assert.True(t, r.Lo < r.Value && r.Value < r.Hi)
	assert.True(t, r.Significant)
	shuffled := append([]float64(nil), a...)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	same := RatioCI(a, shuffled, 0.95, 7)
	assert.False(t, same.Significant, "%+v", same)
	assert.Equal(t, r, RatioCI(a, b, 0.95, 7), "seeded: reproducible")
	assert.True(t, math.IsNaN(RatioCI(nil, b, 0.95, 1).Value))
}
