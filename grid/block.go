package grid

import (
	"fmt"

	"github.com/spmd-go/spmd/comm"
)

// Block returns the block of a global grid of shape global that the
// calling rank of the Cartesian communicator c owns: in each dimension i
// the grid's global[i] points are cut into dims[i] consecutive ranges
// (dims from c.CartDims) whose lengths differ by at most one, the longer
// ones first, and the rank at coordinate x takes range x. start and count
// are global indices in the form Pack, NewHalo and HDF5 hyperslabs take:
// NewHalo(c, count, w) makes the matching halo.
//
// Blocks may be empty when a dimension has fewer points than ranks.
//
// Errors: c nil (comm.ErrComm) or without a Cartesian topology
// (comm.ErrTopology); global with the wrong number of dimensions or a
// negative extent (comm.ErrArg).
func Block(c *comm.Comm, global []int) (start, count []int, err error) {
	if c == nil {
		return nil, nil, fmt.Errorf("grid: block: nil communicator: %w", comm.ErrComm)
	}
	dims, _, ok := c.CartDims()
	if !ok {
		return nil, nil, fmt.Errorf("grid: block: %v: %w", c, comm.ErrTopology)
	}
	if len(global) != len(dims) {
		return nil, nil, fmt.Errorf("grid: block: global shape %v on a %d-dimensional grid: %w", global, len(dims), comm.ErrArg)
	}
	me, err := c.CartCoords(c.Rank())
	if err != nil {
		return nil, nil, fmt.Errorf("grid: block: %w", err)
	}
	start, count = make([]int, len(dims)), make([]int, len(dims))
	for i, n := range global {
		if n < 0 {
			return nil, nil, fmt.Errorf("grid: block: global shape %v: %w", global, comm.ErrArg)
		}
		start[i], count[i] = split(n, dims[i], me[i])
	}
	return start, count, nil
}

// split returns the start and extent of part p of n points cut into
// parts consecutive pieces, the first n%parts of them one point longer.
func split(n, parts, p int) (start, count int) {
	q, r := n/parts, n%parts
	if p < r {
		return p * (q + 1), q + 1
	}
	return r*(q+1) + (p-r)*q, q
}
