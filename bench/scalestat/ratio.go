package scalestat

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Ratio is the ratio of two medians with a bootstrap interval.
type Ratio struct {
	Value       float64 // median(b)/median(a)
	Lo, Hi      float64
	Significant bool // the interval excludes 1
}

// bootstrapRounds is the number of resamples RatioCI draws.
const bootstrapRounds = 4000

// RatioCI returns median(b)/median(a) with its percentile-bootstrap
// interval at level, from resamples drawn with seed. Either sample empty
// gives NaNs.
func RatioCI(a, b []float64, level float64, seed uint64) Ratio {
	if len(a) == 0 || len(b) == 0 {
		return Ratio{Value: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	r := Ratio{Value: Median(b) / Median(a)}
	rng := rand.New(rand.NewPCG(seed, 0x5ca1e))
	ra, rb := make([]float64, len(a)), make([]float64, len(b))
	ratios := make([]float64, bootstrapRounds)
	for k := range ratios {
		for i := range ra {
			ra[i] = a[rng.IntN(len(a))]
		}
		for i := range rb {
			rb[i] = b[rng.IntN(len(b))]
		}
		ratios[k] = Median(rb) / Median(ra)
	}
	slices.Sort(ratios)
	alpha := (1 - level) / 2
	r.Lo, r.Hi = sortedQuantile(ratios, alpha), sortedQuantile(ratios, 1-alpha)
	r.Significant = r.Lo > 1 || r.Hi < 1
	return r
}
