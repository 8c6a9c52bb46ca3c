package scalestat_test

import (
	"fmt"

	"github.com/spmd-go/spmd/bench/scalestat"
)

// A program with 0.1 s of serial work and 0.9 s that divides among ranks.
func ExampleFitAmdahl() {
	var obs []scalestat.Observation
	for _, p := range []int{1, 2, 4, 8} {
		obs = append(obs, scalestat.Observation{P: p, Time: 0.1 + 0.9/float64(p)})
	}
	f, _ := scalestat.FitAmdahl(obs)
	fmt.Printf("serial fraction %.2f, speedup at most %.0f, r² %.2f\n", f.SerialFraction, f.MaxSpeedup, f.R2)
	// Output: serial fraction 0.10, speedup at most 10, r² 1.00
}

// Five runs are too few for a 95 % interval: the range is returned, marked.
func ExampleMedianCI() {
	ci := scalestat.MedianCI([]float64{1.02, 0.98, 1.00, 1.31, 0.99}, 0.95)
	fmt.Printf("[%.2f, %.2f] covers %.2f%%, short: %v\n", ci.Lo, ci.Hi, 100*ci.Coverage, ci.Short)
	ci = scalestat.MedianCI([]float64{1.02, 0.98, 1.00, 1.31, 0.99, 1.01, 1.00, 0.97, 1.03}, 0.95)
	fmt.Printf("[%.2f, %.2f] covers %.2f%%, short: %v\n", ci.Lo, ci.Hi, 100*ci.Coverage, ci.Short)
	// Output:
	// [0.98, 1.31] covers 93.75%, short: true
	// [0.98, 1.03] covers 96.09%, short: false
}
