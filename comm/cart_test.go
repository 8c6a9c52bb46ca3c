package comm_test

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
	"github.com/stretchr/testify/require"
)

// runOnce runs f on n in-process ranks over the default transports (one
// pass, not one per transport: the Cartesian calls add no traffic of
// their own beyond Split's).
func runOnce(t *testing.T, n int, f func(c *comm.Comm) error) {
	t.Helper()
	require.NoError(t, commtest.Run(n, f, commtest.Timeout(60*time.Second)))
}

// TestCartRowMajor lays 6 ranks on a 3×2 grid, periodic in the first
// dimension only, and checks coordinates, ranks and shifts against the
// row-major numbering written out by hand.
func TestCartRowMajor(t *testing.T) {
	runOnce(t, 6, func(w *comm.Comm) error {
		c, err := comm.CartCreate(w, []int{3, 2}, []bool{true, false}, false)
		if err != nil {
			return err
		}
		if c.Rank() != w.Rank() || c.Size() != 6 {
			return fmt.Errorf("rank %d of %d in the grid, %d in the world", c.Rank(), c.Size(), w.Rank())
		}
		coords := [][]int{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {2, 0}, {2, 1}}
		for r, want := range coords {
			got, err := c.CartCoords(r)
			if err != nil || !slices.Equal(got, want) {
				return fmt.Errorf("CartCoords(%d) = %v, %v; want %v", r, got, err, want)
			}
			back, err := c.CartRank(want)
			if err != nil || back != r {
				return fmt.Errorf("CartRank(%v) = %d, %v; want %d", want, back, err, r)
			}
		}
		// Periodic dimension 0 wraps, in either direction and by more
		// than one lap.
		for _, tc := range []struct {
			coords []int
			want   int
		}{{[]int{-1, 1}, 5}, {[]int{3, 0}, 0}, {[]int{7, 1}, 3}, {[]int{-4, 0}, 4}} {
			if got, err := c.CartRank(tc.coords); err != nil || got != tc.want {
				return fmt.Errorf("CartRank(%v) = %d, %v; want %d", tc.coords, got, err, tc.want)
			}
		}
		// Non-periodic dimension 1 does not.
		for _, bad := range [][]int{{0, 2}, {0, -1}, {1}, {0, 0, 0}} {
			if _, err := c.CartRank(bad); !errors.Is(err, comm.ErrArg) {
				return fmt.Errorf("CartRank(%v): %v, want ErrArg", bad, err)
			}
		}
		// Shifts: +1 along the periodic dimension wraps, along the
		// other one it falls off the edge.
		me := c.Rank()
		row, col := me/2, me%2
		src, dst, err := c.CartShift(0, 1)
		if err != nil || src != (row+2)%3*2+col || dst != (row+1)%3*2+col {
			return fmt.Errorf("rank %d: CartShift(0, 1) = %d, %d, %v", me, src, dst, err)
		}
		src, dst, err = c.CartShift(1, 1)
		wantSrc, wantDst := comm.ProcNull, me+1
		if col == 1 {
			wantSrc, wantDst = me-1, comm.ProcNull
		}
		if err != nil || src != wantSrc || dst != wantDst {
			return fmt.Errorf("rank %d: CartShift(1, 1) = %d, %d, %v; want %d, %d", me, src, dst, err, wantSrc, wantDst)
		}
		src, dst, err = c.CartShift(0, -4) // −4 ≡ −1 (mod 3)
		if err != nil || src != (row+1)%3*2+col || dst != (row+2)%3*2+col {
			return fmt.Errorf("rank %d: CartShift(0, -4) = %d, %d, %v", me, src, dst, err)
		}
		// Displacements near the ends of int neither overflow nor wrap
		// a non-periodic dimension.
		if src, dst, err := c.CartShift(1, math.MaxInt); err != nil || src != comm.ProcNull || dst != comm.ProcNull {
			return fmt.Errorf("rank %d: CartShift(1, MaxInt) = %d, %d, %v", me, src, dst, err)
		}
		// MaxInt = 3·(MaxInt/3) + 1 since MaxInt ≡ 1 (mod 3).
		if src, dst, err := c.CartShift(0, math.MaxInt); err != nil || src != (row+2)%3*2+col || dst != (row+1)%3*2+col {
			return fmt.Errorf("rank %d: CartShift(0, MaxInt) = %d, %d, %v", me, src, dst, err)
		}
		// MinInt ≡ −2 ≡ 1 (mod 3): the same as +1.
		if src, dst, err := c.CartShift(0, math.MinInt); err != nil || src != (row+2)%3*2+col || dst != (row+1)%3*2+col {
			return fmt.Errorf("rank %d: CartShift(0, MinInt) = %d, %d, %v", me, src, dst, err)
		}
		if src, dst, err := c.CartShift(1, 0); err != nil || src != me || dst != me {
			return fmt.Errorf("rank %d: CartShift(1, 0) = %d, %d, %v", me, src, dst, err)
		}
		if _, _, err := c.CartShift(2, 1); !errors.Is(err, comm.ErrArg) {
			return fmt.Errorf("CartShift(2, 1): %v, want ErrArg", err)
		}
		dims, periods, ok := c.CartDims()
		if !ok || !slices.Equal(dims, []int{3, 2}) || !slices.Equal(periods, []bool{true, false}) {
			return fmt.Errorf("CartDims() = %v, %v, %v", dims, periods, ok)
		}
		// A shift really moves data: everyone sends its rank down
		// dimension 0 and receives from above.
		src, dst, _ = c.CartShift(0, 1)
		in := []int{-1}
		if _, err := comm.Sendrecv(c, []int{me}, dst, 0, in, src, 0); err != nil {
			return err
		}
		if in[0] != src {
			return fmt.Errorf("rank %d received %d from %d", me, in[0], src)
		}
		return nil
	})
}

// TestCartCreateLeftOver: ranks beyond the grid get a nil communicator,
// and the world's traffic is not disturbed.
func TestCartCreateLeftOver(t *testing.T) {
	runOnce(t, 7, func(w *comm.Comm) error {
		c, err := comm.CartCreate(w, []int{3, 2}, []bool{false, false}, true)
		if err != nil {
			return err
		}
		if w.Rank() == 6 {
			if c != nil {
				return fmt.Errorf("rank 6 got %v, want nil", c)
			}
			if _, _, ok := c.CartDims(); ok {
				return errors.New("CartDims of nil reports a grid")
			}
			if _, _, err := c.CartShift(0, 1); !errors.Is(err, comm.ErrComm) {
				return fmt.Errorf("CartShift on nil: %v", err)
			}
			return nil
		}
		if c.Size() != 6 || c.Rank() != w.Rank() {
			return fmt.Errorf("rank %d: grid rank %d of %d", w.Rank(), c.Rank(), c.Size())
		}
		return nil
	})
}

// TestCartCreateErrors: bad or disagreeing arguments are an error on
// every rank (none is left waiting), and the communicator stays usable.
func TestCartCreateErrors(t *testing.T) {
	runOnce(t, 4, func(w *comm.Comm) error {
		mine := []int{2, 2}
		if w.Rank() == 2 {
			mine = []int{4, 1} // rank 2 alone asks for another shape: all must fail
		}
		bad := []int{2, 2}
		if w.Rank() == 1 {
			bad = []int{-1, 2} // rank 1 alone passes nonsense: all must fail
		}
		cases := []struct {
			name    string
			dims    []int
			periods []bool
		}{
			{"too many points", []int{3, 2}, []bool{false, false}},
			{"zero extent", []int{0, 2}, []bool{false, false}},
			{"periods length", []int{2, 2}, []bool{false}},
			{"disagreeing", mine, []bool{false, false}},
			{"one rank's bad dims", bad, []bool{false, false}},
		}
		for _, tc := range cases {
			c, err := comm.CartCreate(w, tc.dims, tc.periods, false)
			if !errors.Is(err, comm.ErrArg) || c != nil {
				return fmt.Errorf("%s: got %v, %v; want ErrArg", tc.name, c, err)
			}
		}
		if _, err := comm.CartCreate(nil, []int{1}, []bool{false}, false); !errors.Is(err, comm.ErrComm) {
			return fmt.Errorf("nil comm: %v", err)
		}
		if _, err := w.CartCoords(0); !errors.Is(err, comm.ErrTopology) {
			return fmt.Errorf("CartCoords on the world: %v", err)
		}
		if _, err := w.CartSub([]bool{true}); !errors.Is(err, comm.ErrTopology) {
			return fmt.Errorf("CartSub on the world: %v", err)
		}
		// After all that, a good call works.
		c, err := comm.CartCreate(w, []int{2, 2}, []bool{true, true}, false)
		if err != nil {
			return err
		}
		if _, err := c.CartCoords(4); !errors.Is(err, comm.ErrRank) {
			return fmt.Errorf("CartCoords(4): %v", err)
		}
		_, err = c.CartSub([]bool{true})
		if !errors.Is(err, comm.ErrArg) {
			return fmt.Errorf("CartSub with 1 flag on 2 dims: %v", err)
		}
		d, err := c.Dup()
		if err != nil {
			return err
		}
		dims, _, ok := d.CartDims()
		if !ok || !slices.Equal(dims, []int{2, 2}) {
			return fmt.Errorf("Dup lost the topology: %v %v", dims, ok)
		}
		return nil
	})
}

// TestCartSub splits a 2×3×2 grid (12 ranks) by keeping dimensions 0 and
// 2: three 2×2 grids, each rank at its coordinates with dimension 1
// dropped, the periods carried over.
func TestCartSub(t *testing.T) {
	runOnce(t, 12, func(w *comm.Comm) error {
		c, err := comm.CartCreate(w, []int{2, 3, 2}, []bool{true, false, false}, false)
		if err != nil {
			return err
		}
		me, _ := c.CartCoords(c.Rank())
		s, err := c.CartSub([]bool{true, false, true})
		if err != nil {
			return err
		}
		dims, periods, ok := s.CartDims()
		if !ok || !slices.Equal(dims, []int{2, 2}) || !slices.Equal(periods, []bool{true, false}) {
			return fmt.Errorf("sub grid %v %v %v", dims, periods, ok)
		}
		got, err := s.CartCoords(s.Rank())
		if err != nil || !slices.Equal(got, []int{me[0], me[2]}) {
			return fmt.Errorf("rank %d at %v: sub coords %v, %v", c.Rank(), me, got, err)
		}
		// The members of a sub grid share coordinate 1: sum it over
		// the sub grid with a ring and compare.
		p, r := s.Size(), s.Rank()
		in := []int{-1}
		if _, err := comm.Sendrecv(s, []int{me[1]}, (r+1)%p, 0, in, (r-1+p)%p, 0); err != nil {
			return err
		}
		if in[0] != me[1] {
			return fmt.Errorf("rank %d (y=%d) heard y=%d within its sub grid", c.Rank(), me[1], in[0])
		}
		// Dropping everything leaves each rank alone on a 0-d grid.
		one, err := c.CartSub([]bool{false, false, false})
		if err != nil {
			return err
		}
		if d, _, ok := one.CartDims(); !ok || len(d) != 0 || one.Size() != 1 {
			return fmt.Errorf("all dropped: %v %v, size %d", d, ok, one.Size())
		}
		// Keeping everything is a copy.
		all, err := c.CartSub([]bool{true, true, true})
		if err != nil {
			return err
		}
		if all.Size() != 12 || all.Rank() != c.Rank() {
			return fmt.Errorf("all kept: rank %d of %d", all.Rank(), all.Size())
		}
		return nil
	})
}

// A 2-D periodic grid over 6 ranks, each rank finding its neighbours.
func ExampleCartCreate() {
	err := commtest.Run(6, func(w *comm.Comm) error {
		dims, err := comm.DimsCreate(w.Size(), []int{0, 0}) // [3 2]
		if err != nil {
			return err
		}
		c, err := comm.CartCreate(w, dims, []bool{true, false}, false)
		if err != nil {
			return err
		}
		if c.Rank() == 3 {
			coords, _ := c.CartCoords(c.Rank())
			up, down, _ := c.CartShift(0, 1)
			left, right, _ := c.CartShift(1, 1)
			fmt.Println("grid", dims, "rank 3 at", coords)
			fmt.Println("dim 0:", up, down, "dim 1:", left, right == comm.ProcNull)
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// grid [3 2] rank 3 at [1 1]
	// dim 0: 1 5 dim 1: 2 true
}
