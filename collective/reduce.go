package collective

import (
	"fmt"

	"github.com/spmd-go/spmd/comm"
)

// Reduce algorithms (SPMD_COLL_REDUCE values).
const (
	reduceBinomial     = "binomial"
	reduceRabenseifner = "rabenseifner"
	reduceLinear       = "linear"
)

func init() {
	register("reduce", reduceBinomial, reduceRabenseifner, reduceLinear)
}

// reduceShortBytes: up to this many bytes the binomial tree's lg p rounds
// of whole vectors beat Rabenseifner's 2 lg p rounds of shrinking blocks
// (MPICH's REDUCE_SHORT_MSG_SIZE); below p' elements Rabenseifner's blocks
// would be empty. To be tuned with spmdbench.
const reduceShortBytes = 2048

// chooseReduce is the decision function for Reduce. Unlike MPICH, it picks
// Rabenseifner for non-commutative operations too: our halving keeps rank
// order (halving.go).
func chooseReduce(bytes, count, p int) string {
	if bytes <= reduceShortBytes || count < floorPow2(p) {
		return reduceBinomial
	}
	return reduceRabenseifner
}

// Reduce combines send from every rank with op and leaves the result in
// recv on rank root: recv[i] = send₀[i] ∘ send₁[i] ∘ … ∘ send_{p−1}[i], in
// rank order. recv is significant only at the root (it may be nil
// elsewhere); there it has len(send) elements. In place at the root: pass a
// nil send (or the same slice as send and recv); the root's input is then
// read from recv.
//
// Algorithms: a binomial tree for short vectors, Rabenseifner's
// reduce-scatter + gather for long ones, linear as the reference;
// SPMD_COLL_REDUCE forces one. A root outside the communicator fails on
// every rank with an error wrapping comm.ErrRank, before any message.
// Other errors as for Allreduce.
func Reduce[T comm.Scalar](c *comm.Comm, send, recv []T, op Op, root int) error {
	var x reduction[T]
	alg, err := x.start(c, op, "reduce")
	if err != nil {
		return err
	}
	x.note(max(sizeOf(send), sizeOf(recv)), root)
	if root < 0 || root >= c.Size() {
		return fmt.Errorf("collective: reduce: root %d of %d ranks: %w", root, c.Size(), comm.ErrRank)
	}
	if c.Rank() == root {
		send = inPlace(send, recv)
		if len(send) != len(recv) {
			return fmt.Errorf("collective: reduce: len(send) = %d but len(recv) = %d at the root: %w", len(send), len(recv), comm.ErrArg)
		}
		if _, overlap := aliasing(send, recv); overlap {
			return errOverlap("reduce")
		}
	}
	if alg == "" {
		alg = chooseReduce(len(send)*comm.SizeOf[T](), len(send), x.size)
	}
	if x.rank != root {
		recv = nil
	}
	switch {
	case x.size == 1:
		copyHot(recv, send)
	case alg == reduceBinomial:
		err = x.reduceBinomial(send, recv, root)
	case alg == reduceRabenseifner:
		err = x.reduceRabenseifner(send, recv, root)
	default:
		err = x.reduceLinear(send, recv, root)
	}
	return x.done(alg, err)
}
