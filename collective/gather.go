package collective

import (
	"fmt"

	"github.com/spmd-go/spmd/comm"
)

// Gather algorithms, the values of SPMD_COLL_GATHER; Gatherv shares them.
func init() {
	register("gather", "binomial", "linear")
}

// gatherLongBytes: Gather uses the binomial tree up to this many bytes
// gathered in all, the linear algorithm above. MPICH always uses the tree,
// which saves latency (⌈lg p⌉ messages at the root instead of p−1) at the
// same bandwidth term; for large totals its store-and-forward through
// inner ranks costs extra copies and scratch of up to half the total,
// which is why Open MPI's decision rules turn linear for large blocks.
// A first guess, to be tuned with spmd's benchmarks.
const gatherLongBytes = 512 << 10

// chooseGather picks Gather's algorithm for p ranks and a total of bytes.
func chooseGather(p, bytes int) string {
	if p > 2 && bytes <= gatherLongBytes {
		return "binomial"
	}
	return "linear"
}

// Gather collects send from every rank into root's recv, rank i's block at
// recv[i*n:(i+1)*n] with n = len(send) (MPI_Gather). Every rank sends the
// same n; recv (at least p*n long) matters only at the root and may be nil
// elsewhere.
//
// In place: a root that passes a nil send has its own block already in
// recv, and n = len(recv)/p.
//
// Algorithms: binomial tree for totals up to 512 KiB on 3 ranks or more,
// linear otherwise;
// SPMD_COLL_GATHER=binomial|linear forces one.
//
// Errors: nil c (comm.ErrComm), root outside c (comm.ErrRank), a root's
// recv too short or (in place) not a multiple of p (comm.ErrArg), all
// before any message; lengths that differ between ranks, as comm.ErrTruncate
// or ErrMismatch where noticed; point-to-point errors.
func Gather[T comm.Scalar](c *comm.Comm, send, recv []T, root int) error {
	var x call
	if err := x.begin(c, "gather"); err != nil {
		return err
	}
	x.note(sizeOf(send), root)
	if err := x.checkRoot(root); err != nil {
		return err
	}
	p, me := x.size, x.rank
	inPlace := me == root && send == nil
	n := len(send)
	if me == root {
		var err error
		if n, err = x.checkBlocks("recv", len(recv), n, inPlace); err != nil {
			return err
		}
	}
	alg, err := x.forced("gather")
	if err != nil {
		return err
	}
	if alg == "" {
		alg = chooseGather(p, p*n*comm.SizeOf[T]())
	}
	off := equalOffsets(p, n)
	switch {
	case p == 1:
		if !inPlace {
			copyHot(recv, send)
		}
	case alg == "binomial":
		gatherBinomial(&x, send, recv, off, off, root, 0, inPlace)
	default:
		gatherLinearRoot(&x, send, recv, off, root, 0, inPlace)
	}
	return x.done(alg, nil)
}

// Gatherv is Gather with blocks of different lengths (MPI_Gatherv): rank i
// sends len(send) = counts[i] elements, which land in root's recv at
// displacement counts[0]+…+counts[i-1] (blocks back to back in rank order;
// there are no explicit displacements). counts and recv matter only at the
// root and may be nil elsewhere. A root that passes a nil send has its
// block already in place in recv.
//
// Algorithm: linear by default, as in MPICH and Open MPI (only the root
// knows the sizes, so the ranks cannot agree on a size-based choice
// without more messages); SPMD_COLL_GATHER=binomial forces a binomial tree
// that first gathers the counts.
//
// Errors as Gather's; at the root also counts of the wrong length or
// negative or a recv shorter than their sum (comm.ErrArg, before any
// message), and a send whose length is not counts[root] (comm.ErrArg,
// reported after the call has run so that the others are not left
// waiting).
func Gatherv[T comm.Scalar](c *comm.Comm, send, recv []T, counts []int, root int) error {
	var x call
	if err := x.begin(c, "gatherv"); err != nil {
		return err
	}
	x.note(sizeOf(send), root)
	if err := x.checkRoot(root); err != nil {
		return err
	}
	p, me := x.size, x.rank
	inPlace := me == root && send == nil
	if me == root {
		if err := x.checkCountedBlocks("recv", len(recv), counts); err != nil {
			return err
		}
	}
	alg, err := x.forced("gather")
	if err != nil {
		return err
	}
	if alg == "" {
		alg = "linear"
	}
	if me == root && !inPlace && len(send) != counts[root] {
		// Reported after the call has run, so that no rank waits for ever.
		x.keep(fmt.Errorf("root sends %d elements, counts[%d] = %d: %w", len(send), root, counts[root], comm.ErrArg))
		send = send[:min(len(send), counts[root])]
	}
	switch {
	case p == 1:
		if !inPlace {
			copyHot(recv, send)
		}
	case alg == "binomial":
		gathervBinomial(&x, send, recv, counts, root, 0, inPlace)
	default:
		var off []int
		if me == root {
			off = blockOffsets(counts)
		}
		gatherLinearRoot(&x, send, recv, off, root, 0, inPlace)
	}
	return x.done(alg, nil)
}

// gatherLinearRoot runs gatherLinear on real ranks: the root places its
// own block, then collects the others into recv laid out by off (read at
// the root only).
func gatherLinearRoot[T comm.Scalar](x *call, send, recv []T, off []int, root, role int, inPlace bool) {
	me := x.rank
	if me != root {
		gatherLinear(x, send, nil, me, root, 0, role)
		return
	}
	if !inPlace {
		copyHot(recv[off[root]:off[root+1]], send)
	}
	gatherLinear(x, recv, off, me, root, 0, role)
}
