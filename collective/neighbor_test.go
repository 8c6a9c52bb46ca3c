package collective_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/collective"
	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
)

// neighborGrids are the grids the neighbourhood tests run on: periodic
// dimensions of extent 1 and 2 (a rank is its own neighbour, or both
// neighbours are one rank), open edges, and three dimensions.
var neighborGrids = []struct {
	dims    []int
	periods []bool
}{
	{[]int{1}, []bool{true}},
	{[]int{2}, []bool{true}},
	{[]int{3, 2}, []bool{true, true}},
	{[]int{3, 2}, []bool{false, false}},
	{[]int{2, 1, 2}, []bool{false, true, true}},
	{[]int{2, 3}, []bool{true, false}},
}

// onGrids runs f on every grid of neighborGrids, on as many in-process
// ranks as the grid has points, with the neighbours in slot order.
func onGrids(t *testing.T, f func(c *comm.Comm, nbrs []int) error) {
	for _, g := range neighborGrids {
		t.Run(fmt.Sprint(g.dims, g.periods), func(t *testing.T) {
			n := 1
			for _, d := range g.dims {
				n *= d
			}
			require.NoError(t, commtest.Run(n, func(w *comm.Comm) error {
				c, err := comm.CartCreate(w, g.dims, g.periods, false)
				if err != nil {
					return err
				}
				var nbrs []int
				for d := range g.dims {
					src, dst, err := c.CartShift(d, 1)
					if err != nil {
						return err
					}
					nbrs = append(nbrs, src, dst)
				}
				return f(c, nbrs)
			}, commtest.Timeout(60*time.Second)))
		})
	}
}

// block is the value rank r puts in element i of its block for slot j.
func block(r, j, i int) float64 { return float64(1000*r + 10*j + i) }

const untouched = -7.5

func TestNeighborAlltoall(t *testing.T) {
	onGrids(t, func(c *comm.Comm, nbrs []int) error {
		const n = 3
		k, me := len(nbrs), c.Rank()
		send := make([]float64, k*n)
		for j := range k {
			for i := range n {
				send[j*n+i] = block(me, j, i)
			}
		}
		recv := slices.Repeat([]float64{untouched}, k*n)
		if err := collective.NeighborAlltoall(c, send, recv); err != nil {
			return err
		}
		for j, r := range nbrs {
			for i := range n {
				// The neighbour in slot j sent this block from its
				// opposite slot, j^1.
				want := block(r, j^1, i)
				if r == comm.ProcNull {
					want = untouched
				}
				if got := recv[j*n+i]; got != want {
					return fmt.Errorf("rank %d slot %d (rank %d) element %d: %v, want %v", me, j, r, i, got, want)
				}
			}
		}
		return nil
	})
}

// TestNeighborAlltoallShiftsRight is the issue's case: on a 3×2 periodic
// grid, the block each rank puts in its right slot (dimension 1,
// positive side) reaches its right neighbour, and nothing else arrives in
// that neighbour's left slot.
func TestNeighborAlltoallShiftsRight(t *testing.T) {
	require.NoError(t, commtest.Run(6, func(w *comm.Comm) error {
		c, err := comm.CartCreate(w, []int{3, 2}, []bool{true, true}, false)
		if err != nil {
			return err
		}
		me := c.Rank()
		send := make([]int, 4)
		send[3] = 100 + me // to the right
		recv := make([]int, 4)
		if err := collective.NeighborAlltoall(c, send, recv); err != nil {
			return err
		}
		row, col := me/2, me%2
		left := row*2 + (col+1)%2
		if recv[2] != 100+left {
			return fmt.Errorf("rank %d: left slot holds %d, want %d from rank %d", me, recv[2], 100+left, left)
		}
		return nil
	}, commtest.Timeout(60*time.Second)))
}

func TestNeighborAlltoallv(t *testing.T) {
	// count is how many elements rank r sends from its slot j.
	count := func(r, j int) int { return (r + 2*j) % 4 }
	onGrids(t, func(c *comm.Comm, nbrs []int) error {
		k, me := len(nbrs), c.Rank()
		sc, rc := make([]int, k), make([]int, k)
		var send []float64
		for j, r := range nbrs {
			sc[j] = count(me, j)
			if r != comm.ProcNull {
				rc[j] = count(r, j^1)
			}
			for i := range sc[j] {
				send = append(send, block(me, j, i))
			}
		}
		total := 0
		for _, v := range rc {
			total += v
		}
		recv := slices.Repeat([]float64{untouched}, total+2)
		if err := collective.NeighborAlltoallv(c, send, sc, recv, rc); err != nil {
			return err
		}
		at := 0
		for j, r := range nbrs {
			for i := range rc[j] {
				if got, want := recv[at+i], block(r, j^1, i); got != want {
					return fmt.Errorf("rank %d slot %d element %d: %v, want %v", me, j, i, got, want)
				}
			}
			at += rc[j]
		}
		if recv[total] != untouched || recv[total+1] != untouched {
			return fmt.Errorf("rank %d: wrote past the counted blocks", me)
		}
		return nil
	})
}

func TestNeighborAllgather(t *testing.T) {
	onGrids(t, func(c *comm.Comm, nbrs []int) error {
		const n = 2
		k, me := len(nbrs), c.Rank()
		send := []int32{int32(me), int32(-me)}
		recv := slices.Repeat([]int32{-99}, k*n)
		if err := collective.NeighborAllgather(c, send, recv); err != nil {
			return err
		}
		for j, r := range nbrs {
			want := []int32{int32(r), int32(-r)}
			if r == comm.ProcNull {
				want = []int32{-99, -99}
			}
			if got := recv[j*n : (j+1)*n]; !slices.Equal(got, want) {
				return fmt.Errorf("rank %d slot %d: %v, want %v", me, j, got, want)
			}
		}
		// The v-form: each rank sends me+1 elements.
		rc := make([]int, k)
		total := 0
		for j, r := range nbrs {
			if r != comm.ProcNull {
				rc[j] = r + 1
			}
			total += rc[j]
		}
		sendv := slices.Repeat([]int32{int32(me)}, me+1)
		recvv := make([]int32, total)
		if err := collective.NeighborAllgatherv(c, sendv, recvv, rc); err != nil {
			return err
		}
		at := 0
		for j, r := range nbrs {
			if got, want := recvv[at:at+rc[j]], slices.Repeat([]int32{int32(r)}, rc[j]); !slices.Equal(got, want) {
				return fmt.Errorf("rank %d slot %d: %v, want %v", me, j, got, want)
			}
			at += rc[j]
		}
		return nil
	})
}

func TestNeighborErrors(t *testing.T) {
	require.NoError(t, commtest.Run(2, func(w *comm.Comm) error {
		buf := make([]float64, 4)
		if err := collective.NeighborAlltoall(w, buf, buf); !errors.Is(err, comm.ErrTopology) {
			return fmt.Errorf("world: %v, want ErrTopology", err)
		}
		for _, bad := range []*comm.Comm{nil, new(comm.Comm)} {
			for name, err := range map[string]error{
				"NeighborAlltoall":   collective.NeighborAlltoall(bad, buf, buf),
				"NeighborAlltoallv":  collective.NeighborAlltoallv(bad, buf, []int{1}, buf, []int{1}),
				"NeighborAllgather":  collective.NeighborAllgather(bad, buf, buf),
				"NeighborAllgatherv": collective.NeighborAllgatherv(bad, buf, buf, []int{1}),
			} {
				if !errors.Is(err, comm.ErrComm) {
					return fmt.Errorf("%s on %v: %v, want ErrComm", name, bad, err)
				}
			}
		}
		c, err := comm.CartCreate(w, []int{2}, []bool{false}, false)
		if err != nil {
			return err
		}
		for name, err := range map[string]error{
			"alltoall odd length":  collective.NeighborAlltoall(c, make([]float64, 3), buf),
			"alltoall short recv":  collective.NeighborAlltoall(c, buf, make([]float64, 3)),
			"alltoall nil send":    collective.NeighborAlltoall(c, nil, buf),
			"alltoallv counts":     collective.NeighborAlltoallv(c, buf, []int{1}, buf, []int{1, 1}),
			"alltoallv negative":   collective.NeighborAlltoallv(c, buf, []int{1, -1}, buf, []int{1, 1}),
			"alltoallv long":       collective.NeighborAlltoallv(c, buf, []int{4, 1}, buf, []int{1, 1}),
			"allgather short recv": collective.NeighborAllgather(c, buf, buf[:3]),
			"allgatherv counts":    collective.NeighborAllgatherv(c, buf, buf, []int{9, 0}),
		} {
			if !errors.Is(err, comm.ErrArg) {
				return fmt.Errorf("%s: %v, want ErrArg", name, err)
			}
		}
		// After the errors the ranks are still in step: a real call works.
		send, recv := []float64{1, float64(c.Rank())}, []float64{-1, -1}
		if err := collective.NeighborAlltoall(c, send, recv); err != nil {
			return err
		}
		want := []float64{-1, -1}
		if c.Rank() == 0 {
			want[1] = 1 // rank 1's slot-0 block
		} else {
			want[0] = 0 // rank 0's slot-1 block
		}
		if !slices.Equal(recv, want) {
			return fmt.Errorf("rank %d: %v, want %v", c.Rank(), recv, want)
		}
		return nil
	}, commtest.Timeout(60*time.Second)))
}

// A neighbour all-to-all on a 3×2 periodic grid: every rank sends its
// rank to the right and receives its left neighbour's.
func ExampleNeighborAlltoall() {
	err := commtest.Run(6, func(w *comm.Comm) error {
		c, err := comm.CartCreate(w, []int{3, 2}, []bool{true, true}, false)
		if err != nil {
			return err
		}
		// Slots: up, down (dimension 0), left, right (dimension 1).
		send := []int{-1, -1, -1, c.Rank()}
		recv := make([]int, 4)
		if err := collective.NeighborAlltoall(c, send, recv); err != nil {
			return err
		}
		if c.Rank() == 4 {
			fmt.Println("rank 4 heard from its left:", recv[2])
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output: rank 4 heard from its left: 5
}
