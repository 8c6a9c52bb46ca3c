package sweep_test

import (
	"fmt"

	"github.com/spmd-go/spmd/bench/sweep"
)

// A weak-scaling 2-D grid: the side grows as √p so each rank keeps the
// same number of cells.
func ExampleParseTemplate() {
	t, err := sweep.ParseTemplate("-n={round(1024*sqrt(p))}")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range []int{1, 2, 4, 8} {
		s, _ := t.Expand(sweep.Vars{P: p, Nodes: 1, PPN: p})
		fmt.Println(p, s)
	}
	_, err = sweep.ParseTemplate("{round(1024*sqrt(q))}")
	fmt.Println(err)
	// Output:
	// 1 -n=1024
	// 2 -n=1448
	// 4 -n=2048
	// 8 -n=2896
	// argument "{round(1024*sqrt(q))}": bad placeholder expression {round(1024*sqrt(q))}: at offset 16: unknown name "q" (want p, nodes, ppn, or a function: sqrt, cbrt, floor, ceil, round)
}

func ExampleParseNP() {
	np, _ := sweep.ParseNP("1-64")
	fmt.Println(np)
	np, _ = sweep.ParseNP("3-20,1")
	fmt.Println(np)
	// Output:
	// [1 2 4 8 16 32 64]
	// [1 3 6 12 20]
}
