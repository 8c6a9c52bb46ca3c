package compare

import (
	"maps"
	"slices"
)

// Runs gathers the values of several rounds, by implementation and size.
// The zero value is empty and ready to use.
type Runs struct {
	vals   map[string]map[int][]float64
	rounds map[string]int
}

// Add records one round of impl.
func (r *Runs) Add(impl string, pts []Point) {
	if r.vals == nil {
		r.vals, r.rounds = map[string]map[int][]float64{}, map[string]int{}
	}
	m := r.vals[impl]
	if m == nil {
		m = map[int][]float64{}
		r.vals[impl] = m
	}
	for _, p := range pts {
		m[p.Size] = append(m[p.Size], p.Value)
	}
	r.rounds[impl]++
}

// Rounds is the number of rounds recorded for impl.
func (r *Runs) Rounds(impl string) int { return r.rounds[impl] }

// Median is the median of impl's values at size, and whether there are any.
func (r *Runs) Median(impl string, size int) (float64, bool) {
	v := r.vals[impl][size]
	if len(v) == 0 {
		return 0, false
	}
	return Median(v), true
}

// Sizes lists every size any implementation has a value for, ascending.
func (r *Runs) Sizes() []int {
	set := map[int]bool{}
	for _, m := range r.vals {
		for s := range m {
			set[s] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// Median returns the median of xs (the mean of the middle two for an even
// count); xs is not changed. It is 0 for no values.
func Median(xs []float64) float64 {
	n := len(xs)
	if n == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
