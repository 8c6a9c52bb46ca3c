package collective

import (
	"errors"
	"fmt"
	"testing"

	"github.com/spmd-go/spmd/comm"
)

// gatherCase gathers n elements from every rank to root; inPlace makes
// the root pass a nil send with its block already in recv.
func gatherCase[T comm.Scalar](c *comm.Comm, alg string, root, n, seed int, inPlace bool) error {
	p, me := c.Size(), c.Rank()
	send := inputOf[T](n, seed, me)
	var recv, want []T
	if me == root {
		recv = garbage[T](p * n)
		for r := range p {
			want = append(want, inputOf[T](n, seed, r)...)
		}
		if inPlace {
			copy(recv[me*n:], send)
			send = nil
		}
	}
	if err := Gather(forcing(c, "gather", alg), send, recv, root); err != nil {
		return err
	}
	if me != root {
		return nil
	}
	return sameElems(fmt.Sprintf("gather %s %T root %d n %d in place %v", alg, recv, root, n, inPlace), recv, want)
}

// gathervCase gathers uneven blocks (some empty) to root.
func gathervCase[T comm.Scalar](c *comm.Comm, alg string, root, n, seed int, inPlace bool) error {
	p, me := c.Size(), c.Rank()
	counts := unevenCounts(p, n, seed)
	send := inputOf[T](counts[me], seed, me)
	var recv, want []T
	var rootCounts []int
	if me == root {
		rootCounts = counts
		off := blockOffsets(counts)
		recv = garbage[T](off[p])
		for r := range p {
			want = append(want, inputOf[T](counts[r], seed, r)...)
		}
		if inPlace {
			copy(recv[off[me]:], send)
			send = nil
		}
	}
	if err := Gatherv(forcing(c, "gather", alg), send, recv, rootCounts, root); err != nil {
		return err
	}
	if me != root {
		return nil
	}
	return sameElems(fmt.Sprintf("gatherv %s %T root %d counts %v in place %v", alg, recv, root, counts, inPlace), recv, want)
}

// TestGather checks Gather and Gatherv, every algorithm (a subtest each),
// on 1…8 ranks, every root, several sizes and types, and in place.
func TestGather(t *testing.T) {
	eachAlgorithm(t, algorithmsOf(t, "gather"), func(t *testing.T, alg string) {
		for p := 1; p <= 8; p++ {
			t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
				onRanks(t, p, func(c *comm.Comm) error {
					seed := 0
					for root := range p {
						for _, n := range testSizes {
							seed++
							if err := errors.Join(
								gatherCase[int32](c, alg, root, n, seed, false),
								gatherCase[float64](c, alg, root, n, seed, false),
								gatherCase[complex128](c, alg, root, n, seed, true),
								gatherCase[uint8](c, alg, root, n, seed, false),
								gathervCase[int32](c, alg, root, n, seed, false),
								gathervCase[float64](c, alg, root, n, seed, true),
								gathervCase[uint8](c, alg, root, n, seed+1, false),
							); err != nil {
								return err
							}
						}
					}
					return nil
				})
			})
		}
	})
}
