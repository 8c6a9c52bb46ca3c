package collective

import (
	"fmt"

	"github.com/spmd-go/spmd/comm"
)

// ReduceScatter algorithms (SPMD_COLL_REDUCE_SCATTER and
// SPMD_COLL_REDUCE_SCATTER_BLOCK values).
const (
	reduceScatterHalving  = "recursive_halving"
	reduceScatterPairwise = "pairwise"
)

func init() {
	register("reduce_scatter", reduceScatterHalving, reduceScatterPairwise)
	register("reduce_scatter_block", reduceScatterHalving, reduceScatterPairwise)
}

// reduceScatterLongBytes: from this many bytes (the whole vector) on,
// pairwise exchange's p−1 rounds of one block each beat recursive halving,
// whose non-power-of-two fold moves the whole vector twice and whose
// partners are far apart (MPICH's REDSCAT_COMMUTATIVE_LONG_MSG_SIZE).
// To be tuned with spmdbench.
const reduceScatterLongBytes = 512 << 10

// chooseReduceScatter is the decision function for ReduceScatter and
// ReduceScatterBlock. Non-commutative operations always take recursive
// halving, which keeps rank order (pairwise exchange does not).
func chooseReduceScatter(bytes int, commutative bool) string {
	if !commutative || bytes < reduceScatterLongBytes {
		return reduceScatterHalving
	}
	return reduceScatterPairwise
}

// ReduceScatter reduces send (the same length on every rank) with op, like
// Allreduce, and scatters the result: rank i gets in recv the counts[i]
// elements that start at counts[0]+…+counts[i−1]. counts (one entry per
// rank, each ≥ 0, summing to len(send)) must be the same on every rank, and
// len(recv) == counts[rank]. In place (MPI_IN_PLACE): pass a nil send and
// the whole vector in recv; the rank's counts[rank] elements of the result
// then replace the start of recv, whose other elements become undefined.
// Equivalently, recv may be send[:counts[rank]] (slices that start at the
// same element).
//
// Algorithms: recursive halving (any associative op; for a commutative one,
// a variant that needs no reordering), pairwise exchange for long vectors
// and commutative ops; SPMD_COLL_REDUCE_SCATTER forces one (a forced
// pairwise with a non-commutative op gives way to halving). Errors as for
// Allreduce.
func ReduceScatter[T comm.Scalar](c *comm.Comm, send, recv []T, counts []int, op Op) error {
	var x reduction[T]
	alg, err := x.start(c, op, "reduce_scatter")
	if err != nil {
		return err
	}
	x.note(max(sizeOf(send), sizeOf(recv)), -1)
	p, r := c.Size(), c.Rank()
	if len(counts) != p {
		return fmt.Errorf("collective: reduce_scatter: %d counts for %d ranks: %w", len(counts), p, comm.ErrArg)
	}
	total := 0
	for i, k := range counts {
		if k < 0 {
			return fmt.Errorf("collective: reduce_scatter: counts[%d] = %d: %w", i, k, comm.ErrArg)
		}
		total += k
	}
	if send == nil && len(recv) == total { // in place
		send, recv = recv, recv[:counts[r]]
	}
	if total != len(send) || len(recv) != counts[r] {
		return fmt.Errorf("collective: reduce_scatter: counts sum to %d and counts[%d] = %d, but len(send) = %d and len(recv) = %d: %w",
			total, r, counts[r], len(send), len(recv), comm.ErrArg)
	}
	if _, overlap := aliasing(send, recv); overlap {
		return errOverlap("reduce_scatter")
	}
	return x.reduceScatterRun("reduce_scatter", alg, send, recv, counts)
}

// ReduceScatterBlock is ReduceScatter with equal blocks: len(send) is
// len(recv) times the number of ranks, and rank i gets the i-th block of
// len(recv) elements of the reduction. In place: pass a nil send and the
// whole vector (p blocks) in recv, whose first block receives the result;
// or, equivalently, recv = send[:len(send)/p]. SPMD_COLL_REDUCE_SCATTER_BLOCK forces the algorithm.
func ReduceScatterBlock[T comm.Scalar](c *comm.Comm, send, recv []T, op Op) error {
	var x reduction[T]
	alg, err := x.start(c, op, "reduce_scatter_block")
	if err != nil {
		return err
	}
	x.note(max(sizeOf(send), sizeOf(recv)), -1)
	p := c.Size()
	if send == nil { // in place: the whole vector is in recv
		send, recv = recv, recv[:len(recv)/p]
	}
	if len(send) != p*len(recv) {
		return fmt.Errorf("collective: reduce_scatter_block: len(send) = %d is not %d ranks × len(recv) = %d: %w",
			len(send), p, len(recv), comm.ErrArg)
	}
	if _, overlap := aliasing(send, recv); overlap {
		return errOverlap("reduce_scatter_block")
	}
	counts := x.ints(p)
	for i := range counts {
		counts[i] = len(recv)
	}
	return x.reduceScatterRun("reduce_scatter_block", alg, send, recv, counts)
}

func (x *reduction[T]) reduceScatterRun(name, alg string, send, recv []T, counts []int) error {
	n := len(send)
	if alg == "" || (alg == reduceScatterPairwise && !x.op.Commutative()) {
		alg = chooseReduceScatter(n*comm.SizeOf[T](), x.op.Commutative())
	}
	disp := x.ints(x.size + 1)
	for i, k := range counts {
		disp[i+1] = disp[i] + k
	}
	var err error
	switch {
	case x.size == 1:
		if same, _ := aliasing(send, recv); !same {
			copyHot(recv, send)
		}
	case alg == reduceScatterHalving:
		err = x.reduceScatterHalving(send, recv, counts, disp)
	default:
		err = x.reduceScatterPairwise(send, recv, disp)
	}
	return x.done(alg, err)
}

// ints returns n zeroed ints of scratch, given back by done.
func (x *reduction[T]) ints(n int) []int {
	b := x.st.get(wordsFor[int](n))
	clear(b)
	x.hold(b)
	return typed[int](b, n)
}
