package collective

import (
	"errors"
	"fmt"
	"testing"

	"github.com/spmd-go/spmd/comm"
)

// scatterCase scatters n elements per rank from root; inPlace makes the
// root pass a nil recv.
func scatterCase[T comm.Scalar](c *comm.Comm, alg string, root, n, seed int, inPlace bool) error {
	p, me := c.Size(), c.Rank()
	all := inputOf[T](p*n, seed, root)
	var send []T
	recv := garbage[T](n)
	if me == root {
		send = all
		if inPlace {
			recv = nil
		}
	}
	if err := Scatter(forcing(c, "scatter", alg), send, recv, root); err != nil {
		return err
	}
	what := fmt.Sprintf("scatter %s %T root %d n %d in place %v", alg, recv, root, n, inPlace)
	if me == root {
		// The root's send is unchanged.
		if err := sameElems(what+" (send)", send, inputOf[T](p*n, seed, root)); err != nil {
			return err
		}
		if inPlace {
			return nil
		}
	}
	return sameElems(what, recv, all[me*n:(me+1)*n])
}

// scattervCase scatters uneven blocks (some empty) from root.
func scattervCase[T comm.Scalar](c *comm.Comm, alg string, root, n, seed int, inPlace bool) error {
	p, me := c.Size(), c.Rank()
	counts := unevenCounts(p, n, seed)
	off := blockOffsets(counts)
	all := inputOf[T](off[p], seed, root)
	var send []T
	var rootCounts []int
	recv := garbage[T](counts[me])
	if me == root {
		send, rootCounts = all, counts
		if inPlace {
			recv = nil
		}
	}
	if err := Scatterv(forcing(c, "scatter", alg), send, rootCounts, recv, root); err != nil {
		return err
	}
	if me == root && inPlace {
		return nil
	}
	return sameElems(fmt.Sprintf("scatterv %s %T root %d counts %v", alg, recv, root, counts), recv, all[off[me]:off[me+1]])
}

// TestScatter checks Scatter and Scatterv, every algorithm (a subtest
// each), on 1…8 ranks, every root, several sizes and types, and in place.
func TestScatter(t *testing.T) {
	eachAlgorithm(t, algorithmsOf(t, "scatter"), func(t *testing.T, alg string) {
		for p := 1; p <= 8; p++ {
			t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
				onRanks(t, p, func(c *comm.Comm) error {
					seed := 0
					for root := range p {
						for _, n := range testSizes {
							seed++
							if err := errors.Join(
								scatterCase[int32](c, alg, root, n, seed, false),
								scatterCase[float64](c, alg, root, n, seed, true),
								scatterCase[complex128](c, alg, root, n, seed, false),
								scatterCase[uint8](c, alg, root, n, seed, false),
								scattervCase[int32](c, alg, root, n, seed, false),
								scattervCase[complex128](c, alg, root, n, seed, true),
								scattervCase[uint8](c, alg, root, n, seed+1, false),
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
