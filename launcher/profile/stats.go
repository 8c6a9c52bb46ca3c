package profile

import "math"

// spread summarises one quantity across ranks: its smallest and largest
// value and where they occur, its mean, and its coefficient of variation
// (standard deviation over mean, 0 when the mean is 0), mpiP's measure of
// imbalance.
type spread struct {
	Min, Mean, Max   float64
	MinRank, MaxRank int
	CV               float64
}

// spreadOf summarises values[i], the value of rank ranks[i]; it needs at
// least one value.
func spreadOf(ranks []int, values []float64) spread {
	s := spread{Min: values[0], Max: values[0], MinRank: ranks[0], MaxRank: ranks[0]}
	sum := 0.0
	for i, v := range values {
		sum += v
		if v < s.Min {
			s.Min, s.MinRank = v, ranks[i]
		}
		if v > s.Max {
			s.Max, s.MaxRank = v, ranks[i]
		}
	}
	s.Mean = sum / float64(len(values))
	if s.Mean == 0 {
		return s
	}
	ss := 0.0
	for _, v := range values {
		ss += (v - s.Mean) * (v - s.Mean)
	}
	s.CV = math.Sqrt(ss/float64(len(values))) / s.Mean
	return s
}
