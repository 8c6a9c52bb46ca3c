package collective

import (
	"fmt"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/internal/commhook"
)

// AllreduceObj combines v from every rank with f and returns the result on
// every rank: f(…f(f(v₀, v₁), v₂)…, v_{p−1}) up to associativity, the
// values in rank order (f is treated as non-commutative; it must be
// associative). Values travel as comm.SendObj sends them, on the
// communicator's collective context: fast for []byte, strings, numeric
// slices and scalars and BinaryMarshaler values, else with gob, whose type
// descriptions go once per pair of ranks, not with every call; a gob T
// must survive a gob round trip (exported fields, registered interface
// types). A nil f is an error wrapping comm.ErrArg.
//
// f must not keep a or b beyond its result: AllreduceObj may receive a
// later value into the memory of a received slice that f's result does
// not hold.
//
// The algorithm is recursive doubling with MPICH's non-power-of-two fold
// (as Allreduce's recursive_doubling): ⌈lg p⌉ + 2 rounds, each partner computing
// f(lower, higher) on the same values, so every rank gets the same result
// for a deterministic f.
func AllreduceObj[T any](c *comm.Comm, v T, f func(a, b T) T) (T, error) {
	var x call
	if err := x.begin(c, "allreduce_obj"); err != nil {
		return v, err
	}
	if f == nil {
		return v, fmt.Errorf("collective: allreduce_obj: nil function: %w", comm.ErrArg)
	}
	acc, err := allreduceObj(&x, v, f)
	return acc, x.done("", err)
}

func allreduceObj[T any](x *call, acc T, f func(a, b T) T) (T, error) {
	cc, tag := x.cc, x.tag
	p, r := x.size, x.rank
	pof := floorPow2(p)
	rem := p - pof
	nr := newRank(r, rem)
	pool := objScratchPool[T]()
	in := objHolder[T](pool) // what partners send is received here
	defer releaseHolder(pool, in)
	switch {
	case r >= 2*rem:
	case nr < 0:
		if err := comm.SendObj(cc, acc, r+1, tag+roleFold); err != nil {
			return acc, err
		}
	default:
		if _, err := comm.RecvObj(cc, in, r-1, tag+roleFold); err != nil {
			return acc, err
		}
		acc = f(*in, acc)
		forgetIfShared(pool, in, &acc)
	}
	if nr >= 0 {
		for mask := 1; mask < pof; mask <<= 1 {
			pn := nr ^ mask
			partner := oldRank(pn, rem)
			// Both partners send and receive at once: one trip per
			// round, and no order needed between crossing rendezvous.
			if err := commhook.SendrecvObj(cc, any(acc), partner, tag+roleCore, in, partner, tag+roleCore); err != nil {
				return acc, err
			}
			if nr < pn {
				acc = f(acc, *in)
			} else {
				acc = f(*in, acc)
			}
			forgetIfShared(pool, in, &acc)
		}
	}
	switch {
	case r >= 2*rem:
	case nr < 0:
		var out T
		if _, err := comm.RecvObj(cc, &out, r+1, tag+roleUnfold); err != nil {
			return acc, err
		}
		acc = out
	default:
		if err := comm.SendObj(cc, acc, r-1, tag+roleUnfold); err != nil {
			return acc, err
		}
	}
	return acc, nil
}
