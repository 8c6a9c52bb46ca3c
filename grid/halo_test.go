package grid_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
	"github.com/spmd-go/spmd/grid"
)

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// value is the test field at global index g: distinct everywhere.
func value(g []int) float64 {
	v := 0.0
	for _, x := range g {
		v = v*100 + float64(x)
	}
	return v + 0.5
}

const ghostMark = -1e9

type haloCase struct {
	global  []int
	width   int
	periods []bool
	corners bool
}

func (hc haloCase) String() string {
	return fmt.Sprintf("global %v width %d periods %v corners %v", hc.global, hc.width, hc.periods, hc.corners)
}

// checkHalo runs one configuration on the ranks of w: it splits the
// global grid over a DimsCreate grid, fills each interior with value(),
// exchanges twice (the second time with the interior changed after Start,
// which must not change what is sent), and checks every point of the
// padded array: interior unchanged, each ghost either the value of the
// global point it mirrors (wrapped in periodic dimensions) or untouched
// where MPI users expect that: beyond an open edge, and at edges and
// corners when only faces are exchanged.
func checkHalo(w *comm.Comm, hc haloCase) error {
	n := len(hc.global)
	dims, err := comm.DimsCreate(w.Size(), make([]int, n))
	if err != nil {
		return err
	}
	c, err := comm.CartCreate(w, dims, hc.periods, false)
	if err != nil {
		return err
	}
	me, err := c.CartCoords(c.Rank())
	if err != nil {
		return err
	}
	start, local, err := grid.Block(c, hc.global)
	if err != nil {
		return err
	}
	var opts []grid.Option
	if hc.corners {
		opts = append(opts, grid.Corners())
	}
	h, err := grid.NewHalo[float64](c, local, hc.width, opts...)
	if err != nil {
		return err
	}
	shape := h.Shape()
	u := make([]float64, h.Len())
	for round := range 2 {
		idx := make([]int, n)
		g := make([]int, n)
		// Fill: interior with value()+round, ghosts with the mark.
		for o := range u {
			unravel(o, shape, idx)
			inside := true
			for i := range n {
				g[i] = start[i] + idx[i] - hc.width
				inside = inside && idx[i] >= hc.width && idx[i] < hc.width+local[i]
			}
			u[o] = ghostMark
			if inside {
				u[o] = value(g) + float64(round)
			}
		}
		if err := h.Start(u); err != nil {
			return err
		}
		if round == 1 {
			// Written after Start: must not reach the neighbours.
			for o := range u {
				if u[o] != ghostMark {
					u[o] += 1000
				}
			}
		}
		if err := h.Wait(); err != nil {
			return err
		}
		for o := range u {
			unravel(o, shape, idx)
			out, ok := 0, true
			for i := range n {
				g[i] = start[i] + idx[i] - hc.width
				if idx[i] < hc.width || idx[i] >= hc.width+local[i] {
					out++
				}
				if g[i] < 0 || g[i] >= hc.global[i] {
					if !hc.periods[i] {
						ok = false
					}
					g[i] = (g[i] + hc.global[i]) % hc.global[i]
				}
			}
			var want float64
			switch {
			case out == 0:
				want = value(g) + float64(round) + 1000*float64(round)
			case !ok || (out > 1 && !hc.corners):
				want = ghostMark
			default:
				want = value(g) + float64(round)
			}
			if u[o] != want {
				return fmt.Errorf("rank %d at %v (block at %v of %v), round %d: point %v (global %v) = %v, want %v",
					c.Rank(), me, start, local, round, idx, g, u[o], want)
			}
		}
	}
	return nil
}

func unravel(o int, shape, idx []int) {
	for i := len(shape) - 1; i >= 0; i-- {
		idx[i] = o % shape[i]
		o /= shape[i]
	}
}

// TestHalo runs 2-D and 3-D grids, periodic, open and mixed, faces only
// and with corners, widths 1 and 2, on 1, 2, 3, 4 and 6 ranks. Uneven
// splits (7 and 9 points over 2 or 3 ranks) give blocks of different
// extents.
func TestHalo(t *testing.T) {
	var cases []haloCase
	for _, corners := range []bool{false, true} {
		for _, periods := range [][]bool{{false, false}, {true, true}, {true, false}} {
			cases = append(cases,
				haloCase{[]int{7, 9}, 1, periods, corners},
				haloCase{[]int{8, 9}, 2, periods, corners})
		}
		for _, periods := range [][]bool{{false, false, false}, {true, true, true}, {false, true, false}} {
			cases = append(cases, haloCase{[]int{5, 6, 4}, 1, periods, corners})
		}
	}
	for _, np := range []int{1, 2, 3, 4, 6} {
		t.Run(fmt.Sprint(np), func(t *testing.T) {
			require.NoError(t, commtest.Run(np, func(w *comm.Comm) error {
				for _, hc := range cases {
					if err := checkHalo(w, hc); err != nil {
						return fmt.Errorf("%v: %w", hc, err)
					}
				}
				return nil
			}, commtest.Timeout(90*time.Second)))
		})
	}
}

func TestHaloErrors(t *testing.T) {
	require.NoError(t, commtest.Run(4, func(w *comm.Comm) error {
		if _, err := grid.NewHalo[float64](w, []int{4}, 1); !errors.Is(err, comm.ErrTopology) {
			return fmt.Errorf("world: %v, want ErrTopology", err)
		}
		c, err := comm.CartCreate(w, []int{2, 2}, []bool{false, true}, false)
		if err != nil {
			return err
		}
		me, _ := c.CartCoords(c.Rank())
		// One rank's block disagrees with its neighbours: every rank fails.
		local := []int{4, 4}
		if c.Rank() == 3 {
			local = []int{4, 5}
		}
		if _, err := grid.NewHalo[float64](c, local, 1); !errors.Is(err, comm.ErrArg) {
			return fmt.Errorf("mismatched faces: %v, want ErrArg", err)
		}
		// Bad arguments on one rank only: every rank fails.
		width := 1
		if c.Rank() == 0 {
			width = 0
		}
		if _, err := grid.NewHalo[float64](c, []int{4, 4}, width); !errors.Is(err, comm.ErrArg) {
			return fmt.Errorf("width 0 on rank 0: %v, want ErrArg", err)
		}
		if _, err := grid.NewHalo[float64](c, []int{4}, 1); !errors.Is(err, comm.ErrArg) {
			return fmt.Errorf("1-d block on 2-d grid: %v, want ErrArg", err)
		}
		// Too thin for the width, along a dimension with neighbours.
		if _, err := grid.NewHalo[float64](c, []int{4, 1}, 2); !errors.Is(err, comm.ErrArg) {
			return fmt.Errorf("thin block: %v, want ErrArg", err)
		}
		// And a good one, misused.
		h, err := grid.NewHalo[int](c, []int{3, 2}, 1)
		if err != nil {
			return err
		}
		if err := h.Wait(); !errors.Is(err, comm.ErrArg) {
			return fmt.Errorf("Wait before Start: %v", err)
		}
		if err := h.Start(make([]int, h.Len()-1)); !errors.Is(err, comm.ErrArg) {
			return fmt.Errorf("short array: %v", err)
		}
		u := make([]int, h.Len())
		for i := range u {
			u[i] = 10 * c.Rank()
		}
		if err := h.Start(u); err != nil {
			return err
		}
		if err := h.Start(u); !errors.Is(err, comm.ErrArg) {
			return fmt.Errorf("second Start: %v", err)
		}
		if err := h.Wait(); err != nil {
			return err
		}
		// The ghost row above a rank in the top row stays (open edge);
		// the one below holds the lower neighbour's values.
		row := h.Shape()[1]
		above, below := u[1], u[(h.Shape()[0]-1)*row+1]
		wantAbove, wantBelow := 10*c.Rank(), 10*(c.Rank()+2)
		if me[0] == 1 {
			wantAbove, wantBelow = 10*(c.Rank()-2), 10*c.Rank()
		}
		if above != wantAbove || below != wantBelow {
			return fmt.Errorf("rank %d: ghost rows %d, %d; want %d, %d", c.Rank(), above, below, wantAbove, wantBelow)
		}
		return h.Exchange(u)
	}, commtest.Timeout(60*time.Second)))
}

// A halo exchange on a 2×2 periodic grid of 3×3 blocks with one ghost
// layer: rank 0's right ghost column holds rank 1's left interior column.
func ExampleHalo() {
	err := commtest.Run(4, func(w *comm.Comm) error {
		c, err := comm.CartCreate(w, []int{2, 2}, []bool{true, true}, false)
		if err != nil {
			return err
		}
		h, err := grid.NewHalo[float64](c, []int{3, 3}, 1)
		if err != nil {
			return err
		}
		u := make([]float64, h.Len()) // 5×5 with the ghosts
		for i := range u {
			u[i] = float64(c.Rank())
		}
		if err := h.Start(u); err != nil {
			return err
		}
		// … update the points that need no ghost …
		if err := h.Wait(); err != nil {
			return err
		}
		if c.Rank() == 0 {
			col := make([]float64, 3)
			if _, err := grid.Pack(col, u, h.Shape(), []int{1, 4}, []int{3, 1}); err != nil {
				return err
			}
			fmt.Println("rank 0's right ghost column:", col)
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: rank 0's right ghost column: [1 1 1]
}
