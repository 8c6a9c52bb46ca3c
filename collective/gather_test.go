package collective

import (
	"errors"
	"fmt"
	"testing"

	"github.com/spmd-go/spmd/comm"
)

// mvGatherCase gathers n elements from every rank to root; inPlace makes
// the root pass a nil send with its block already in recv.
func mvGatherCase[T comm.Scalar](c *comm.Comm, alg string, root, n, seed int, inPlace bool) error {
	p, me := c.Size(), c.Rank()
	send := mvInput[T](n, seed, me)
	var recv, want []T
	if me == root {
		recv = mvGarbage[T](p * n)
		for r := range p {
			want = append(want, mvInput[T](n, seed, r)...)
		}
		if inPlace {
			copy(recv[me*n:], send)
			send = nil
		}
	}
	if err := gather(c, send, recv, root, alg); err != nil {
		return err
	}
	if me != root {
		return nil
	}
	return mvEqual(fmt.Sprintf("gather %s %T root %d n %d in place %v", alg, recv, root, n, inPlace), recv, want)
}

// mvGathervCase gathers uneven blocks (some empty) to root.
func mvGathervCase[T comm.Scalar](c *comm.Comm, alg string, root, n, seed int, inPlace bool) error {
	p, me := c.Size(), c.Rank()
	counts := mvUneven(p, n, seed)
	send := mvInput[T](counts[me], seed, me)
	var recv, want []T
	var rootCounts []int
	if me == root {
		rootCounts = counts
		off := moveOffsets(counts)
		recv = mvGarbage[T](off[p])
		for r := range p {
			want = append(want, mvInput[T](counts[r], seed, r)...)
		}
		if inPlace {
			copy(recv[off[me]:], send)
			send = nil
		}
	}
	if err := gatherv(c, send, recv, rootCounts, root, alg); err != nil {
		return err
	}
	if me != root {
		return nil
	}
	return mvEqual(fmt.Sprintf("gatherv %s %T root %d counts %v in place %v", alg, recv, root, counts, inPlace), recv, want)
}

// TestGather checks Gather and Gatherv, every algorithm, on 1…8 ranks,
// every root, several sizes and types, and in place.
func TestGather(t *testing.T) {
	algs := mvAlgs(t, "gather")
	for p := 1; p <= 8; p++ {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			mvRun(t, p, func(c *comm.Comm) error {
				seed := 0
				for _, alg := range algs {
					for root := range p {
						for _, n := range mvSizes {
							seed++
							if err := errors.Join(
								mvGatherCase[int32](c, alg, root, n, seed, false),
								mvGatherCase[float64](c, alg, root, n, seed, false),
								mvGatherCase[complex128](c, alg, root, n, seed, true),
								mvGatherCase[uint8](c, alg, root, n, seed, false),
								mvGathervCase[int32](c, alg, root, n, seed, false),
								mvGathervCase[float64](c, alg, root, n, seed, true),
								mvGathervCase[uint8](c, alg, root, n, seed+1, false),
							); err != nil {
								return err
							}
						}
					}
				}
				return nil
			})
		})
	}
}
