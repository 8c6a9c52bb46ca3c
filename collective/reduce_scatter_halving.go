package collective

import "math/bits"

// ReduceScatter by recursive halving (MPICH's
// reduce_scatter_intra_recursive_halving and, for non-commutative
// operations, the bit-reversal idea of its reduce_scatter_intra_noncommutative):
// after the non-power-of-two fold, the p' ranks left run the halving steps
// of halving.go over p' blocks, new rank i's block being the blocks of the
// one or two ranks it stands for; at the end each hands the block of the
// rank that sat out back to it.
//
// Commutative operations use decreasing masks, after which new rank i holds
// block i. Non-commutative ones need increasing masks (rank order), after
// which new rank i holds the block at position bitreverse(i); so the blocks
// are first laid out in bit-reversed order (one local copy), which puts
// block i there.
//
// Cost: lg p'·α + n(p'−1)/p'·(β+γ), plus 2α + nβ + nγ + n/p·β for the fold
// when p is not a power of two.

func (x *reduction[T]) reduceScatterHalving(send, recv []T, counts, disp []int) error {
	p, n := x.size, len(send)
	pof := floorPow2(p)
	rem := p - pof
	nr := newRank(x.rank, rem)
	acc := send // a rank that sits out only hands it over
	if nr >= 0 {
		acc = x.scratch(n)
		copyHot(acc, send)
	}
	if _, err := x.foldIn(acc); err != nil {
		return err
	}
	if nr < 0 {
		return x.recv(recv, x.rank+1, roleUnfold)
	}

	// core(i) is where new rank i's block starts in the natural layout.
	core := func(i int) int {
		switch {
		case i >= pof:
			return n
		case i < rem: // ranks 2i and 2i+1
			return disp[2*i]
		}
		return disp[i+rem]
	}
	commutative := x.op.Commutative()
	pdisp := x.ints(pof + 1)
	h := newHalving(nr, pof, rem, !commutative)
	rev := func(q int) int { return int(bits.Reverse64(uint64(q)) >> (64 - h.steps)) }
	if h.steps == 0 {
		rev = func(int) int { return 0 }
	}
	if commutative {
		for i := range pof + 1 {
			pdisp[i] = core(i)
		}
	} else {
		src := acc
		acc = x.scratch(n)
		for q := range pof {
			blk := rev(q)
			pdisp[q+1] = pdisp[q] + copyHot(acc[pdisp[q]:], src[core(blk):core(blk+1)])
		}
	}
	b := vecBlocks{n: n, parts: pof, disp: pdisp}
	w, err := x.reduceScatter(&h, acc, x.scratch(n), b)
	if err != nil {
		return err
	}
	mine := span(acc, b, w)
	if nr < rem { // the first counts[rank−1] elements belong to rank−1
		k := min(counts[x.rank-1], len(mine))
		if err := x.send(mine[:k], x.rank-1, roleUnfold); err != nil {
			return err
		}
		mine = mine[k:]
	}
	copyHot(recv, mine)
	return nil
}
