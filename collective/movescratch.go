package collective

import "github.com/spmd-go/spmd/comm"

// Scratch buffers for the data-movement algorithms (binomial trees at
// intermediate ranks, Bruck's rotated copies, in-place Alltoall) come from
// the same per-communicator pool as the reductions' (scratch.go), so that
// repeated collectives do not allocate.

// scratchFor returns a buffer of n elements of type T (contents undefined)
// and a function that hands it back; concurrent collectives on one
// communicator each get their own buffer.
func scratchFor[T comm.Scalar](cc *comm.Comm, n int) ([]T, func()) {
	if n == 0 {
		return nil, func() {}
	}
	s := reductionStateOf(cc)
	w := s.get(wordsFor[T](n))
	return typed[T](w, n), func() { s.put(w) }
}
