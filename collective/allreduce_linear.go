package collective

// Allreduce by the reference algorithm (Open MPI's "nonoverlapping" in its
// plainest form): rank 0 receives every other rank's vector in rank order
// and folds it in, acc = acc ∘ x_i, then sends the result to each rank.
// Cost: 2(p−1)α + 2(p−1)nβ + (p−1)nγ, all through rank 0. Kept as the
// reference the others are tested against, and for debugging.

func (x *reduction[T]) allreduceLinear(acc []T) error {
	x.settle(acc)
	if x.rank != 0 {
		if err := x.send(acc, 0, roleCore); err != nil {
			return err
		}
		return x.recv(acc, 0, roleGather)
	}
	tmp := x.scratch(len(acc))
	for r := 1; r < x.size; r++ {
		if err := x.recv(tmp, r, roleCore); err != nil {
			return err
		}
		if err := x.right(acc, tmp); err != nil {
			return err
		}
	}
	for r := 1; r < x.size; r++ {
		if err := x.send(acc, r, roleGather); err != nil {
			return err
		}
	}
	return nil
}
