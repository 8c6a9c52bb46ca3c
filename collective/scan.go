package collective

import "github.com/spmd-go/spmd/comm"

// Scan and Exscan algorithms (SPMD_COLL_SCAN and SPMD_COLL_EXSCAN values).
const (
	scanRecursiveDoubling = "recursive_doubling"
	scanLinear            = "linear"
)

func init() {
	register("scan", scanRecursiveDoubling, scanLinear)
	register("exscan", scanRecursiveDoubling, scanLinear)
}

// Scan computes the inclusive prefix reduction: rank r gets in recv
// send₀ ∘ send₁ ∘ … ∘ send_r, in rank order, so non-commutative operations
// work. send and recv have the same length on every rank; in place: pass a
// nil send (or the same slice as both).
//
// The algorithm is recursive doubling (MPICH's scan_intra_recursive_doubling)
// whatever the size, as in MPICH; SPMD_COLL_SCAN=linear forces the
// reference chain. Errors as for Allreduce.
func Scan[T comm.Scalar](c *comm.Comm, send, recv []T, op Op) error {
	return scan(c, send, recv, op, false)
}

// Exscan computes the exclusive prefix reduction: rank r > 0 gets in recv
// send₀ ∘ … ∘ send_{r−1}; rank 0's recv is left unchanged (MPI leaves it
// undefined). Otherwise as Scan; SPMD_COLL_EXSCAN forces the algorithm.
func Exscan[T comm.Scalar](c *comm.Comm, send, recv []T, op Op) error {
	return scan(c, send, recv, op, true)
}

func scan[T comm.Scalar](c *comm.Comm, send, recv []T, op Op, exclusive bool) error {
	name := "scan"
	if exclusive {
		name = "exscan"
	}
	var x reduction[T]
	alg, err := x.start(c, op, name)
	if err != nil {
		return err
	}
	x.note(sizeOf(recv), -1)
	send = inPlace(send, recv)
	if err := checkLengths(send, recv, name); err != nil {
		return err
	}
	if alg == "" {
		alg = scanRecursiveDoubling
	}
	switch alg {
	case scanRecursiveDoubling:
		err = x.scanRecursiveDoubling(send, recv, exclusive)
	default:
		err = x.scanLinear(send, recv, exclusive)
	}
	return x.done(alg, err)
}

// scanRecursiveDoubling: in step k rank r exchanges with r xor 2^k (when
// that rank exists) its partial, the reduction over the aligned run of 2^k
// ranks it belongs to. A partial from below (the run just before r's) is
// folded in on the left of both the partial and the result; one from above
// only on the right of the partial. After ⌈lg p⌉ steps the result covers
// ranks 0 … r (or 0 … r−1, exclusive), in rank order.
//
// Cost: ⌈lg p⌉·(α + nβ) + up to 2n⌈lg p⌉·γ.
func (x *reduction[T]) scanRecursiveDoubling(send, recv []T, exclusive bool) error {
	n := len(send)
	partial := x.scratch(n)
	copyHot(partial, send)
	have := !exclusive // recv holds a value
	if have {
		if same, _ := aliasing(send, recv); !same {
			copyHot(recv, send)
		}
	}
	tmp := x.scratch(n)
	for mask := 1; mask < x.size; mask <<= 1 {
		peer := x.rank ^ mask
		if peer >= x.size {
			continue
		}
		if err := x.sendrecv(partial, peer, tmp, peer, roleCore); err != nil {
			return err
		}
		if peer > x.rank {
			if err := x.right(partial, tmp); err != nil {
				return err
			}
			continue
		}
		if !have {
			copyHot(recv, tmp)
			have = true
		} else if err := x.left(tmp, recv); err != nil {
			return err
		}
		if err := x.left(tmp, partial); err != nil {
			return err
		}
	}
	return nil
}

// scanLinear is the reference: a chain in which rank r receives the
// reduction over ranks 0 … r−1 from r−1, combines its own vector and passes
// the result to r+1. Cost: (p−1)·(α + nβ + nγ).
func (x *reduction[T]) scanLinear(send, recv []T, exclusive bool) error {
	n := len(send)
	var prefix []T // ranks 0 … r−1
	if x.rank > 0 {
		prefix = x.scratch(n)
		if err := x.recv(prefix, x.rank-1, roleCore); err != nil {
			return err
		}
	}
	last := x.rank+1 == x.size
	if exclusive {
		if !last {
			out := x.scratch(n)
			copyHot(out, send)
			if prefix != nil {
				copyHot(out, prefix)
				if err := x.right(out, send); err != nil {
					return err
				}
			}
			if err := x.send(out, x.rank+1, roleCore); err != nil {
				return err
			}
		}
		if prefix != nil {
			copyHot(recv, prefix)
		}
		return nil
	}
	if same, _ := aliasing(send, recv); !same {
		copyHot(recv, send)
	}
	if prefix != nil {
		if err := x.left(prefix, recv); err != nil {
			return err
		}
	}
	if last {
		return nil
	}
	return x.send(recv, x.rank+1, roleCore)
}
