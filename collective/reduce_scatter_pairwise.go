package collective

// ReduceScatter by pairwise exchange (MPICH's
// reduce_scatter_intra_pairwise): in step i = 1 … p−1 rank r sends the
// block of rank r+i to it and receives its own block from rank r−i,
// combining as it goes. The combination order is cyclic (r, r−1, r−2, …),
// so the operation must be commutative.
//
// Cost: (p−1)α + n(p−1)/p·β + n(p−1)/p·γ: optimal bandwidth, no fold,
// more rounds than halving. Best for long vectors.

func (x *reduction[T]) reduceScatterPairwise(send, recv []T, disp []int) error {
	p, r := x.size, x.rank
	if same, _ := aliasing(send, recv); same {
		// recv overwrites the start of send, which others still need.
		s := x.scratch(len(send))
		copyHot(s, send)
		send = s
	}
	copyHot(recv, send[disp[r]:disp[r+1]])
	tmp := x.scratch(len(recv))
	for i := 1; i < p; i++ {
		dst, src := (r+i)%p, (r-i+p)%p
		if err := x.sendrecv(send[disp[dst]:disp[dst+1]], dst, tmp, src, roleCore); err != nil {
			return err
		}
		if err := x.right(recv, tmp); err != nil {
			return err
		}
	}
	return nil
}
