package collective

import (
	"fmt"

	"github.com/spmd-go/spmd/comm"
)

// Scatter algorithms, the values of SPMD_COLL_SCATTER; Scatterv shares
// them.
func init() {
	register("scatter", "binomial", "linear")
}

// scatterLongBytes: Scatter uses the binomial tree up to this many bytes
// scattered in all, the linear algorithm above; the rationale is
// Gather's (gatherLongBytes). A first guess, to be tuned with spmd's
// benchmarks.
const scatterLongBytes = 512 << 10

// chooseScatter picks Scatter's algorithm for p ranks and a total of bytes.
func chooseScatter(p, bytes int) string {
	if p > 2 && bytes <= scatterLongBytes {
		return "binomial"
	}
	return "linear"
}

// Scatter sends block i of root's send, send[i*n:(i+1)*n] with
// n = len(recv), to rank i's recv (MPI_Scatter). Every rank receives the
// same n; send (at least p*n long) matters only at the root and may be nil
// elsewhere.
//
// In place: a root that passes a nil recv keeps its own block in send, and
// n = len(send)/p.
//
// Algorithms: binomial tree for totals up to 512 KiB on 3 ranks or more,
// linear otherwise;
// SPMD_COLL_SCATTER=binomial|linear forces one.
//
// Errors: nil c (comm.ErrComm), root outside c (comm.ErrRank), a root's
// send too short or (in place) not a multiple of p (comm.ErrArg), all
// before any message; lengths that differ between ranks, as comm.ErrTruncate
// or ErrMismatch where noticed; point-to-point errors.
func Scatter[T comm.Scalar](c *comm.Comm, send, recv []T, root int) error {
	var x call
	if err := x.begin(c, "scatter"); err != nil {
		return err
	}
	x.note(sizeOf(recv), root)
	if err := x.checkRoot(root); err != nil {
		return err
	}
	p, me := x.size, x.rank
	inPlace := me == root && recv == nil
	n := len(recv)
	if me == root {
		var err error
		if n, err = x.checkBlocks("send", len(send), n, inPlace); err != nil {
			return err
		}
	}
	alg, err := x.forced("scatter")
	if err != nil {
		return err
	}
	if alg == "" {
		alg = chooseScatter(p, p*n*comm.SizeOf[T]())
	}
	off := equalOffsets(p, n)
	switch {
	case p == 1:
		if !inPlace {
			copyHot(recv, send)
		}
	case alg == "binomial":
		scatterBinomial(&x, send, recv, off, off, root, 0, inPlace)
	default:
		scatterLinearRoot(&x, send, recv, off, root, 0, inPlace)
	}
	return x.done(alg, nil)
}

// Scatterv is Scatter with blocks of different lengths (MPI_Scatterv): rank
// i receives counts[i] elements, taken from root's send at displacement
// counts[0]+…+counts[i-1] (blocks back to back in rank order; there are no
// explicit displacements), into its recv, whose length must be counts[i].
// send and counts matter only at the root and may be nil elsewhere. A root
// that passes a nil recv keeps its block in send.
//
// Algorithm: linear by default, as in MPICH and Open MPI (only the root
// knows the sizes); SPMD_COLL_SCATTER=binomial forces a binomial tree that
// first scatters the counts.
//
// Errors as Scatter's; at the root also counts of the wrong length or
// negative or a send shorter than their sum (comm.ErrArg, before any
// message), and a recv whose length is not counts[root] (comm.ErrArg,
// reported after the call has run so that the others are not left
// waiting).
func Scatterv[T comm.Scalar](c *comm.Comm, send []T, counts []int, recv []T, root int) error {
	var x call
	if err := x.begin(c, "scatterv"); err != nil {
		return err
	}
	x.note(sizeOf(recv), root)
	if err := x.checkRoot(root); err != nil {
		return err
	}
	p, me := x.size, x.rank
	inPlace := me == root && recv == nil
	if me == root {
		if err := x.checkCountedBlocks("send", len(send), counts); err != nil {
			return err
		}
	}
	alg, err := x.forced("scatter")
	if err != nil {
		return err
	}
	if alg == "" {
		alg = "linear"
	}
	if me == root && !inPlace && len(recv) != counts[root] {
		// Reported after the call has run, so that no rank waits for ever.
		x.keep(fmt.Errorf("root receives %d elements, counts[%d] = %d: %w", len(recv), root, counts[root], comm.ErrArg))
	}
	switch {
	case p == 1:
		if !inPlace {
			copyHot(recv, send)
		}
	case alg == "binomial":
		scattervBinomial(&x, send, recv, counts, root, 0, inPlace)
	default:
		var off []int
		if me == root {
			off = blockOffsets(counts)
		}
		scatterLinearRoot(&x, send, recv, off, root, 0, inPlace)
	}
	return x.done(alg, nil)
}

// scatterLinearRoot runs scatterLinear on real ranks, the root keeping its
// own block (unless in place).
func scatterLinearRoot[T comm.Scalar](x *call, send, recv []T, off []int, root, role int, inPlace bool) {
	if x.rank != root {
		scatterLinear(x, recv, nil, root, role)
		return
	}
	scatterLinear(x, send, off, root, role)
	if !inPlace {
		copyHot(recv, send[off[root]:off[root+1]])
	}
}
