package collective

// Reduce by a binomial tree (MPICH's reduce_intra_binomial): with ranks
// renumbered relative to the root, v = (rank − root) mod p, in step k a rank
// whose bit k is set sends its partial vector to v − 2^k and is done; the
// others receive from v + 2^k (if it exists) and combine. A partial then
// covers the ranks v … v+2^k−1 and the one received the run after it, so
// combining acc ∘ received keeps the relative order; for a non-commutative
// operation the tree is rooted at rank 0 (relative order = rank order) and
// rank 0 forwards the result to the root.
//
// Cost: ⌈lg p⌉·(α + nβ + nγ) on the critical path. Best for short vectors.

func (x *reduction[T]) reduceBinomial(send, recv []T, root int) error {
	p, n := x.size, len(send)
	vroot := root
	if !x.op.Commutative() {
		vroot = 0
	}
	vr := (x.rank - vroot + p) % p
	acc := send // read only until the first combine
	owned := false
	var tmp []T
	for mask := 1; mask < p; mask <<= 1 {
		if vr&mask != 0 {
			if err := x.send(acc, (vr-mask+vroot)%p, roleCore); err != nil {
				return err
			}
			break
		}
		src := vr | mask
		if src >= p {
			continue
		}
		if !owned {
			acc = x.own(send, recv)
			owned = true
			tmp = x.scratch(n)
		}
		if err := x.recv(tmp, (src+vroot)%p, roleCore); err != nil {
			return err
		}
		if err := x.right(acc, tmp); err != nil {
			return err
		}
	}
	switch {
	case x.rank == root && vroot == root:
		if !owned {
			x.own(send, recv)
		}
		return nil
	case x.rank == vroot:
		return x.send(acc, root, roleExtra)
	case x.rank == root:
		return x.recv(recv, vroot, roleExtra)
	}
	return nil
}

// own returns a writable copy of send to reduce into: recv at the root
// (send itself when in place), scratch elsewhere.
func (x *reduction[T]) own(send, recv []T) []T {
	dst := recv
	if dst == nil {
		dst = x.scratch(len(send))
	}
	if same, _ := aliasing(send, dst); !same {
		copyHot(dst, send)
	}
	return dst
}
