package collective

// Reduce by Rabenseifner's algorithm (MPICH's
// reduce_intra_reduce_scatter_gather): after the non-power-of-two fold, a
// reduce-scatter by recursive halving leaves each of the p' ranks one
// reduced block, and a binomial gather brings the blocks to the root
// (halving.go). Increasing masks keep rank order, so any associative
// operation works. When the root sat the fold out, the rank it folded into
// gathers in its place and forwards the result.
//
// Cost, p a power of two: 2 lg p·α + 2n(p−1)/p·β + n(p−1)/p·γ, against the
// binomial tree's lg p·(α + nβ + nγ): better for long vectors from p = 4.

func (x *reduction[T]) reduceRabenseifner(send, recv []T, root int) error {
	pof := floorPow2(x.size)
	rem := x.size - pof
	acc := send // ranks that sit the fold out only send it
	if x.rank == root || newRank(x.rank, rem) >= 0 {
		acc = x.own(send, recv)
	}
	nr, err := x.foldIn(acc)
	if err != nil {
		return err
	}
	stand := root // who gathers: the root, or the rank it folded into
	if newRank(root, rem) < 0 {
		stand = root + 1
	}
	if nr >= 0 {
		n := len(acc)
		b := vecBlocks{n: n, parts: pof}
		h := newHalving(nr, pof, rem, true)
		w, err := x.reduceScatter(&h, acc, x.scratch(halfMax(b, pof)), b)
		if err != nil {
			return err
		}
		if err := x.gather(&h, acc, b, w, newRank(stand, rem)); err != nil {
			return err
		}
	}
	switch {
	case stand == root:
		return nil
	case x.rank == stand:
		return x.send(acc, root, roleExtra)
	case x.rank == root:
		return x.recv(recv, stand, roleExtra)
	}
	return nil
}
