package collective

// Reduce by the reference algorithm: every rank sends its vector to the
// root, which folds them in rank order, acc = x0 ∘ x1 ∘ … ∘ x(p−1).
// Cost: (p−1)(α + nβ + nγ), all at the root. Kept as the reference the
// others are tested against.

func (x *reduction[T]) reduceLinear(send, recv []T, root int) error {
	if x.rank != root {
		return x.send(send, root, roleCore)
	}
	n := len(send)
	if same, _ := aliasing(send, recv); same && root != 0 {
		// recv first takes rank 0's vector: keep our own aside.
		send = x.own(send, x.scratch(n))
	}
	if root == 0 {
		x.own(send, recv)
	} else if err := x.recv(recv, 0, roleCore); err != nil {
		return err
	}
	tmp := x.scratch(n)
	for r := 1; r < x.size; r++ {
		in := send
		if r != root {
			in = tmp
			if err := x.recv(tmp, r, roleCore); err != nil {
				return err
			}
		}
		if err := x.right(recv, in); err != nil {
			return err
		}
	}
	return nil
}
