package collective

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/comm"
)

func bcastCase[T comm.Scalar](c *comm.Comm, alg string, root, n, seed int) error {
	want := inputOf[T](n, seed, root)
	buf := garbage[T](n)
	if c.Rank() == root {
		copy(buf, want)
	}
	if err := Bcast(forcing(c, "bcast", alg), buf, root); err != nil {
		return err
	}
	return sameElems(fmt.Sprintf("bcast %s %T root %d n %d", alg, buf, root, n), buf, want)
}

// TestBcast checks every algorithm (a subtest each) against the root's
// data, on 1…8 ranks, every root, several sizes and element types.
func TestBcast(t *testing.T) {
	eachAlgorithm(t, algorithmsOf(t, "bcast"), func(t *testing.T, alg string) {
		for p := 1; p <= 8; p++ {
			t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
				onRanks(t, p, func(c *comm.Comm) error {
					seed := 0
					for root := range p {
						for _, n := range testSizes {
							seed++
							if err := errors.Join(
								bcastCase[int32](c, alg, root, n, seed),
								bcastCase[float64](c, alg, root, n, seed),
								bcastCase[complex128](c, alg, root, n, seed),
								bcastCase[uint8](c, alg, root, n, seed),
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

// TestIbcast starts broadcasts from every root at once and waits for them
// all: their messages must not mix.
func TestIbcast(t *testing.T) {
	for _, p := range []int{1, 3, 4} {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			onRanks(t, p, func(c *comm.Comm) error {
				bufs := make([][]float64, p)
				reqs := make([]*comm.Request, p)
				for root := range p {
					bufs[root] = garbage[float64](1000)
					if c.Rank() == root {
						fillInput(bufs[root], 7, root)
					}
					req, err := Ibcast(c, bufs[root], root)
					if err != nil {
						return err
					}
					reqs[root] = req
				}
				if err := comm.WaitAll(reqs...); err != nil {
					return err
				}
				for root := range p {
					if err := sameElems("ibcast", bufs[root], inputOf[float64](1000, 7, root)); err != nil {
						return err
					}
				}
				_, err := Ibcast(c, bufs[0], p)
				if !errors.Is(err, comm.ErrRank) {
					return fmt.Errorf("Ibcast with root %d: %v, want ErrRank", p, err)
				}
				return nil
			})
		})
	}
}

func TestChooseBcast(t *testing.T) {
	require.Equal(t, "binomial", chooseBcast(4, 1<<20))
	require.Equal(t, "binomial", chooseBcast(16, bcastShortBytes))
	require.Equal(t, "scatter_allgather", chooseBcast(16, bcastShortBytes+1))
	require.Equal(t, "scatter_ring", chooseBcast(16, bcastLongBytes+1))
	require.Equal(t, "scatter_ring", chooseBcast(12, bcastShortBytes+1))
}
