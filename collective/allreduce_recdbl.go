package collective

// Allreduce by recursive doubling (MPICH's allreduce_intra_recursive_doubling):
// after the non-power-of-two fold, in step k = 0 … lg p'−1 each rank
// exchanges its whole partial vector with new rank nr xor 2^k and combines
// the two. Before step k a rank's partial covers the aligned run of 2^k
// consecutive ranks it belongs to, and its partner's the adjacent run, so
// combining lower ∘ higher keeps rank order. Both partners compute that
// same expression from the same two operands in the same operand order, so
// they get the same bits, and by induction so does every rank: the
// floating-point result is identical everywhere.
//
// Cost: lg p·α + n lg p·β + n lg p·γ (plus 2α + 2nβ + nγ for the fold when
// p is not a power of two). Best for short vectors, where latency
// dominates.

func (x *reduction[T]) allreduceRecursiveDoubling(acc []T) error {
	pof := floorPow2(x.size)
	rem := x.size - pof
	nr, err := x.foldIn(acc)
	if err != nil {
		return err
	}
	if nr >= 0 {
		var tmp []T
		for mask := 1; mask < pof; mask <<= 1 {
			pn := nr ^ mask
			partner := oldRank(pn, rem)
			own := x.mine(acc) // the send buffer in the first step
			if x.src != nil && x.op.kind != opUser {
				// acc is free while own is the send buffer: take the
				// partner's vector there and combine in place, without
				// scratch (on 2 ranks, the whole call).
				if err := x.sendrecv(own, partner, acc, partner, roleCore); err != nil {
					return err
				}
				if err := x.combineOver(acc, own, nr < pn); err != nil {
					return err
				}
				x.src = nil
				continue
			}
			if tmp == nil {
				tmp = x.scratch(len(acc))
			}
			if err := x.sendrecv(own, partner, tmp, partner, roleCore); err != nil {
				return err
			}
			if err := x.combineInto(acc, own, tmp, nr < pn); err != nil {
				return err
			}
			x.src = nil
		}
	}
	return x.foldOut(acc)
}
