package collective_test

import (
	"fmt"

	"github.com/spmd-go/spmd/collective"
	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
)

// Four ranks sum their vectors; every rank gets the same result.
func ExampleAllreduce() {
	err := commtest.Run(4, func(c *comm.Comm) error {
		local := []float64{float64(c.Rank()), 1}
		global := make([]float64, 2)
		if err := collective.Allreduce(c, local, global, collective.Sum); err != nil {
			return err
		}
		if c.Rank() == 0 {
			fmt.Println(global) // 0+1+2+3, 1+1+1+1
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: [6 4]
}

// A user operation that is not commutative is applied in rank order:
// here, composing affine maps x ↦ m·x + a, each rank contributing one.
func ExampleNewOp() {
	type affine = complex128 // m + a·i, for brevity
	compose := collective.NewOp(func(inout, in []affine) {
		for i, f := range inout { // apply f, then in[i]
			g := in[i]
			inout[i] = complex(real(f)*real(g), real(g)*imag(f)+imag(g))
		}
	}, false)
	err := commtest.Run(3, func(c *comm.Comm) error {
		mine := []affine{complex(2, float64(c.Rank()))} // x ↦ 2x + rank
		all := make([]affine, 1)
		if err := collective.Allreduce(c, mine, all, compose); err != nil {
			return err
		}
		if c.Rank() == 2 {
			f := all[0] // ((2x+0)·2+1)·2+2 = 8x + 4
			fmt.Printf("x ↦ %vx + %v\n", real(f), imag(f))
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: x ↦ 8x + 4
}

// Exscan gives each rank the offset of its part in a global array.
func ExampleExscan() {
	err := commtest.Run(4, func(c *comm.Comm) error {
		mine := []int{10 * (c.Rank() + 1)} // 10, 20, 30, 40 items
		offset := []int{0}                 // rank 0 keeps its 0
		if err := collective.Exscan(c, mine, offset, collective.Sum); err != nil {
			return err
		}
		all, err := collective.AllreduceObj(c, fmt.Sprintf("%d:%d ", c.Rank(), offset[0]), func(a, b string) string { return a + b })
		if c.Rank() == 0 {
			fmt.Println(all)
		}
		return err
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: 0:0 1:10 2:30 3:60
}
