package collective

// Allreduce by Rabenseifner's algorithm (MPICH's
// allreduce_intra_reduce_scatter_allgather): after the non-power-of-two
// fold, a reduce-scatter by recursive halving leaves each of the p' ranks
// one reduced block of n/p' elements, and an allgather by recursive
// doubling hands every block to every rank (halving.go). The halving runs
// with increasing masks, which keeps rank order, so non-commutative
// operations work; each block is reduced on one rank only and then copied,
// so every rank gets the same bits.
//
// Cost, p a power of two: 2 lg p·α + 2n(p−1)/p·β + n(p−1)/p·γ, about half
// recursive doubling's bandwidth term from p = 4 up; otherwise
// (2⌊lg p⌋+2)α + (2(p'−1)/p' + 2)nβ + n(1+(p'−1)/p')γ. Best for long
// vectors.

func (x *reduction[T]) allreduceRabenseifner(acc []T) error {
	pof := floorPow2(x.size)
	nr, err := x.foldIn(acc)
	if err != nil {
		return err
	}
	if nr >= 0 {
		b := vecBlocks{n: len(acc), parts: pof}
		h := newHalving(nr, pof, x.size-pof, true)
		w, err := x.reduceScatter(&h, acc, x.scratch(halfMax(b, pof)), b)
		if err != nil {
			return err
		}
		if err := x.allgather(&h, acc, b, w); err != nil {
			return err
		}
	}
	return x.foldOut(acc)
}
