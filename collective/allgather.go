package collective

import (
	"fmt"

	"github.com/spmd-go/spmd/comm"
)

// Allgather algorithms, the values of SPMD_COLL_ALLGATHER; Allgatherv
// shares them.
func init() {
	register("allgather", "recursive_doubling", "bruck", "ring", "linear")
}

// Selection thresholds for Allgather(v), on the total gathered. Recursive
// doubling and Bruck take ⌈lg p⌉ steps, the ring p−1, all with the same
// n(p−1)/p·β; so the logarithmic ones win while latency matters:
// recursive doubling (power-of-two p, no extra copies) below
// allgatherLongBytes, Bruck (any p, two local copies of n) below
// allgatherShortBytes (MPICH's ALLGATHER_SHORT_MSG_SIZE). Above, the
// ring, which only ever talks to neighbours and keeps every link busy.
//
// Tuned over shared memory on 3 and 4 ranks (per-size medians of
// alternated runs of each algorithm; figures and commands in
// bench/results/2026-11-21-coll-shm-tuned/decisions.md):
//
// allgatherLongBytes: on 4 ranks recursive doubling is as fast as the ring
// or faster up to 1 MiB per rank, 4 MiB in all, where MPICH stops at
// 512 KiB in all. On 2 ranks both are one exchange.
//
// allgatherBruckMinP: on 3 ranks ⌈lg p⌉ = p−1 = 2 steps, and the ring did
// as well as Bruck or better at every size, so Bruck's extra copies buy
// nothing below 5 ranks.
const (
	allgatherShortBytes = 81920
	allgatherLongBytes  = 4 << 20
	allgatherBruckMinP  = 5
)

// chooseAllgather picks the algorithm for p ranks and a total of bytes.
func chooseAllgather(p, bytes int) string {
	switch {
	case isPow2(p) && bytes <= allgatherLongBytes:
		return "recursive_doubling"
	case !isPow2(p) && p >= allgatherBruckMinP && bytes < allgatherShortBytes:
		return "bruck"
	default:
		return "ring"
	}
}

// Allgather collects send from every rank into every rank's recv, rank i's
// block at recv[i*n:(i+1)*n] with n = len(send) (MPI_Allgather). Every
// rank sends the same n and passes a recv at least p*n long.
//
// In place: a rank that passes a nil send has its own block already in
// recv, and n = len(recv)/p.
//
// Algorithms as in MPICH, with thresholds tuned on shared memory (see
// the package documentation): recursive doubling (power-of-two p, up to
// 4 MiB in all), Bruck (other p from 5 ranks, under 80 KiB), ring (the rest), and a
// linear reference (gather, then broadcast);
// SPMD_COLL_ALLGATHER=recursive_doubling|bruck|ring|linear forces one
// (recursive doubling folds odd ranks in when p is not a power of two).
//
// Errors: nil c (comm.ErrComm), a recv too short or (in place) not a
// multiple of p (comm.ErrArg), before any message; lengths that differ
// between ranks, as comm.ErrTruncate or ErrMismatch where noticed;
// point-to-point errors.
func Allgather[T comm.Scalar](c *comm.Comm, send, recv []T) error {
	var x call
	if err := x.begin(c, "allgather"); err != nil {
		return err
	}
	x.note(sizeOf(send), -1)
	p, me := x.size, x.rank
	n, err := x.checkBlocks("recv", len(recv), len(send), send == nil)
	if err != nil {
		return err
	}
	alg, err := x.forced("allgather")
	if err != nil {
		return err
	}
	if alg == "" {
		alg = chooseAllgather(p, p*n*comm.SizeOf[T]())
	}
	switch {
	case send == nil || p == 1:
	case alg == "ring":
		allgatherRingFrom(&x, recv, equalOffsets(p, n), me, 0, send, 0)
		return x.done(alg, nil)
	case alg == "recursive_doubling" && isPow2(p):
		allgatherDoublingFrom(&x, recv, equalOffsets(p, n), me, 0, send, 0)
		return x.done(alg, nil)
	}
	if send != nil {
		copyHot(recv[me*n:], send)
	}
	allgatherRun(&x, recv, equalOffsets(p, n), 0, alg)
	return x.done(alg, nil)
}

// Allgatherv is Allgather with blocks of different lengths
// (MPI_Allgatherv): rank i sends counts[i] elements, which land in every
// rank's recv at displacement counts[0]+…+counts[i-1] (blocks back to back
// in rank order; there are no explicit displacements). Every rank passes
// the same counts. A rank that passes a nil send has its block already in
// place in recv.
//
// Algorithms and their choice as for Allgather, on the total
// (SPMD_COLL_ALLGATHER forces one).
//
// Errors as Allgather's; also counts of the wrong length or negative, or
// a recv shorter than their sum (comm.ErrArg, before any message), and a
// send whose length is not counts[rank] (comm.ErrArg, reported after the
// call has run so that the others are not left waiting).
func Allgatherv[T comm.Scalar](c *comm.Comm, send, recv []T, counts []int) error {
	var x call
	if err := x.begin(c, "allgatherv"); err != nil {
		return err
	}
	x.note(sizeOf(send), -1)
	p, me := x.size, x.rank
	sum, err := x.checkCounts("counts", counts)
	if err != nil {
		return err
	}
	if len(recv) < sum {
		return fmt.Errorf("collective: allgatherv: len(recv) = %d < %d counted: %w", len(recv), sum, comm.ErrArg)
	}
	alg, err := x.forced("allgather")
	if err != nil {
		return err
	}
	if alg == "" {
		alg = chooseAllgather(p, sum*comm.SizeOf[T]())
	}
	off := blockOffsets(counts)
	if send != nil {
		if len(send) != counts[me] {
			x.keep(fmt.Errorf("rank %d sends %d elements, counts[%d] = %d: %w", me, len(send), me, counts[me], comm.ErrArg))
		}
		copyHot(recv[off[me]:off[me+1]], send)
	}
	allgatherRun(&x, recv, off, 0, alg)
	return x.done(alg, nil)
}

// allgatherRun runs allgather algorithm alg on buf laid out by off, this
// rank's block in place; it uses roles role…role+2.
func allgatherRun[T comm.Scalar](x *call, buf []T, off []int, role int, alg string) {
	if x.size == 1 {
		return
	}
	me := x.rank
	switch alg {
	case "recursive_doubling":
		allgatherDoubling(x, buf, off, me, 0, role)
	case "bruck":
		allgatherBruck(x, buf, off, me, 0, role)
	case "ring":
		allgatherRing(x, buf, off, me, 0, role)
	case "linear":
		allgatherLinear(x, buf, off, me, 0, role)
	}
}
