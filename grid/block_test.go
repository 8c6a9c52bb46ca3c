package grid_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/collective"
	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
	"github.com/spmd-go/spmd/grid"
)

// TestBlockTiles: on 6 ranks as 3×2, the blocks of a 7×9 grid (and of a
// 2×1 grid, which leaves some ranks empty) cover every point exactly
// once, each block's extents differ from the others' in its dimension by
// at most one, and the longer ones come first.
func TestBlockTiles(t *testing.T) {
	require.NoError(t, commtest.Run(6, func(w *comm.Comm) error {
		c, err := comm.CartCreate(w, []int{3, 2}, []bool{false, true}, false)
		if err != nil {
			return err
		}
		for _, global := range [][]int{{7, 9}, {2, 1}, {0, 5}} {
			start, count, err := grid.Block(c, global)
			if err != nil {
				return err
			}
			all := make([]int, 4*c.Size())
			if err := collective.Allgather(c, []int{start[0], start[1], count[0], count[1]}, all); err != nil {
				return err
			}
			cover := make([]int, global[0]*global[1])
			for r := range c.Size() {
				b := all[4*r : 4*r+4]
				coords, _ := c.CartCoords(r)
				for i := range 2 {
					q := global[i] / []int{3, 2}[i]
					long := coords[i] < global[i]%[]int{3, 2}[i]
					if want := q + btoi(long); b[2+i] != want {
						return fmt.Errorf("global %v: rank %d at %v has extent %d in dimension %d, want %d", global, r, coords, b[2+i], i, want)
					}
				}
				for y := b[0]; y < b[0]+b[2]; y++ {
					for x := b[1]; x < b[1]+b[3]; x++ {
						cover[y*global[1]+x]++
					}
				}
			}
			for i, n := range cover {
				if n != 1 {
					return fmt.Errorf("global %v: point %d covered %d times", global, i, n)
				}
			}
		}
		if _, _, err := grid.Block(c, []int{4}); !errors.Is(err, comm.ErrArg) {
			return fmt.Errorf("1-d shape on a 2-d grid: %v", err)
		}
		if _, _, err := grid.Block(c, []int{4, -1}); !errors.Is(err, comm.ErrArg) {
			return fmt.Errorf("negative extent: %v", err)
		}
		if _, _, err := grid.Block(w, []int{4}); !errors.Is(err, comm.ErrTopology) {
			return fmt.Errorf("world: %v", err)
		}
		return nil
	}, commtest.Timeout(60*time.Second)))
}

// The block of a 10×7 grid that each of 4 ranks on a 2×2 grid owns.
func ExampleBlock() {
	err := commtest.Run(4, func(w *comm.Comm) error {
		c, err := comm.CartCreate(w, []int{2, 2}, []bool{false, false}, false)
		if err != nil {
			return err
		}
		start, count, err := grid.Block(c, []int{10, 7})
		if err != nil {
			return err
		}
		// Print in rank order.
		for r := range c.Size() {
			if r == c.Rank() {
				fmt.Println("rank", r, "start", start, "count", count)
			}
			if err := collective.Barrier(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// rank 0 start [0 0] count [5 4]
	// rank 1 start [0 4] count [5 3]
	// rank 2 start [5 0] count [5 4]
	// rank 3 start [5 4] count [5 3]
}
