package profile

import (
	"math"
	"testing"
)

func TestSpreadOf(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ranks  []int
		values []float64
		want   spread
	}{
		{"one", []int{3}, []float64{2}, spread{Min: 2, Mean: 2, Max: 2, MinRank: 3, MaxRank: 3}},
		{"even", []int{0, 1}, []float64{1, 1}, spread{Min: 1, Mean: 1, Max: 1}},
		// Population standard deviation 1 around a mean of 2.
		{"skewed", []int{0, 2, 5}, []float64{3, 1, 2}, spread{Min: 1, Mean: 2, Max: 3, MinRank: 2, MaxRank: 0, CV: math.Sqrt(2.0/3) / 2}},
		{"zeros", []int{0, 1}, []float64{0, 0}, spread{}},
	} {
		got := spreadOf(tc.ranks, tc.values)
		if math.Abs(got.CV-tc.want.CV) > 1e-12 {
			t.Errorf("%s: CV %v, want %v", tc.name, got.CV, tc.want.CV)
		}
		got.CV = tc.want.CV
		if got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
