package scalestat

import (
	"math"
	"slices"
)

// Median returns the median of xs (the mean of the middle two for an even
// count), or NaN for none. xs is not modified.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return sortedQuantile(s, 0.5)
}

// sortedQuantile returns the q-quantile of sorted s by linear
// interpolation between order statistics.
func sortedQuantile(s []float64, q float64) float64 {
	h := q * float64(len(s)-1)
	lo := int(math.Floor(h))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}

// CI is a confidence interval for a median.
type CI struct {
	Lo, Hi float64
	// Coverage is the interval's exact coverage probability; at least the
	// level asked for unless Short.
	Coverage float64
	// Short is true when the sample is too small for the level asked: the
	// interval is then the sample's range, and Coverage says what it
	// covers (see the package documentation).
	Short bool
}

// MedianCI returns the distribution-free confidence interval for the
// median of xs between order statistics X(j) and X(n+1−j), with the
// largest j whose coverage is at least level (e.g. 0.95). For a sample
// too small to reach level it returns the range with Short set; for an
// empty sample, NaNs.
func MedianCI(xs []float64, level float64) CI {
	n := len(xs)
	if n == 0 {
		return CI{Lo: math.NaN(), Hi: math.NaN(), Short: true}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	best, cov := 0, 0.0
	for j := 1; j <= n/2; j++ {
		c := orderCoverage(n, j)
		if c < level {
			break
		}
		best, cov = j, c
	}
	if best == 0 {
		return CI{Lo: s[0], Hi: s[n-1], Coverage: orderCoverage(n, 1), Short: true}
	}
	return CI{Lo: s[best-1], Hi: s[n-best], Coverage: cov}
}

// orderCoverage is P(X(j) ≤ median < X(n+1−j)) for a continuous
// distribution: P(j ≤ B ≤ n−j) with B ~ Binomial(n, ½). It is 0 when
// j > n−j.
func orderCoverage(n, j int) float64 {
	if j > n-j {
		return 0
	}
	// Sum the pmf in log space: n can be large.
	sum := 0.0
	for i := j; i <= n-j; i++ {
		sum += math.Exp(logChoose(n, i) - float64(n)*math.Ln2)
	}
	return math.Min(sum, 1)
}

func logChoose(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}

// MinRunsFor returns the fewest runs whose range covers the median with
// at least level (6 for 0.95).
func MinRunsFor(level float64) int {
	n := 1
	for orderCoverage(n, 1) < level && n < 1000 {
		n++
	}
	return n
}
