package collective

import (
	"errors"
	"fmt"
	"testing"

	"github.com/spmd-go/spmd/comm"
)

// mvScatterCase scatters n elements per rank from root; inPlace makes the
// root pass a nil recv.
func mvScatterCase[T comm.Scalar](c *comm.Comm, alg string, root, n, seed int, inPlace bool) error {
	p, me := c.Size(), c.Rank()
	all := mvInput[T](p*n, seed, root)
	var send []T
	recv := mvGarbage[T](n)
	if me == root {
		send = all
		if inPlace {
			recv = nil
		}
	}
	if err := scatter(c, send, recv, root, alg); err != nil {
		return err
	}
	what := fmt.Sprintf("scatter %s %T root %d n %d in place %v", alg, recv, root, n, inPlace)
	if me == root {
		// The root's send is unchanged.
		if err := mvEqual(what+" (send)", send, mvInput[T](p*n, seed, root)); err != nil {
			return err
		}
		if inPlace {
			return nil
		}
	}
	return mvEqual(what, recv, all[me*n:(me+1)*n])
}

// mvScattervCase scatters uneven blocks (some empty) from root.
func mvScattervCase[T comm.Scalar](c *comm.Comm, alg string, root, n, seed int, inPlace bool) error {
	p, me := c.Size(), c.Rank()
	counts := mvUneven(p, n, seed)
	off := moveOffsets(counts)
	all := mvInput[T](off[p], seed, root)
	var send []T
	var rootCounts []int
	recv := mvGarbage[T](counts[me])
	if me == root {
		send, rootCounts = all, counts
		if inPlace {
			recv = nil
		}
	}
	if err := scatterv(c, send, rootCounts, recv, root, alg); err != nil {
		return err
	}
	if me == root && inPlace {
		return nil
	}
	return mvEqual(fmt.Sprintf("scatterv %s %T root %d counts %v", alg, recv, root, counts), recv, all[off[me]:off[me+1]])
}

// TestScatter checks Scatter and Scatterv, every algorithm, on 1…8 ranks,
// every root, several sizes and types, and in place.
func TestScatter(t *testing.T) {
	algs := mvAlgs(t, "scatter")
	for p := 1; p <= 8; p++ {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			mvRun(t, p, func(c *comm.Comm) error {
				seed := 0
				for _, alg := range algs {
					for root := range p {
						for _, n := range mvSizes {
							seed++
							if err := errors.Join(
								mvScatterCase[int32](c, alg, root, n, seed, false),
								mvScatterCase[float64](c, alg, root, n, seed, true),
								mvScatterCase[complex128](c, alg, root, n, seed, false),
								mvScatterCase[uint8](c, alg, root, n, seed, false),
								mvScattervCase[int32](c, alg, root, n, seed, false),
								mvScattervCase[complex128](c, alg, root, n, seed, true),
								mvScattervCase[uint8](c, alg, root, n, seed+1, false),
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
