package collective

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/comm"
)

// bcastWith is Bcast with algorithm alg.
func bcastWith[T comm.Scalar](c *comm.Comm, buf []T, root int, alg string) error {
	run, err := bcastStart(c, buf, root, alg)
	if err != nil {
		return err
	}
	return run()
}

func mvBcastCase[T comm.Scalar](c *comm.Comm, alg string, root, n, seed int) error {
	want := mvInput[T](n, seed, root)
	buf := mvGarbage[T](n)
	if c.Rank() == root {
		copy(buf, want)
	}
	if err := bcastWith(c, buf, root, alg); err != nil {
		return err
	}
	return mvEqual(fmt.Sprintf("bcast %s %T root %d n %d", alg, buf, root, n), buf, want)
}

// TestBcast checks every algorithm against the root's data, on 1…8 ranks,
// every root, several sizes and element types.
func TestBcast(t *testing.T) {
	algs := mvAlgs(t, "bcast")
	for p := 1; p <= 8; p++ {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			mvRun(t, p, func(c *comm.Comm) error {
				seed := 0
				for _, alg := range algs {
					for root := range p {
						for _, n := range mvSizes {
							seed++
							if err := errors.Join(
								mvBcastCase[int32](c, alg, root, n, seed),
								mvBcastCase[float64](c, alg, root, n, seed),
								mvBcastCase[complex128](c, alg, root, n, seed),
								mvBcastCase[uint8](c, alg, root, n, seed),
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

// TestIbcast starts broadcasts from every root at once and waits for them
// all: their messages must not mix.
func TestIbcast(t *testing.T) {
	for _, p := range []int{1, 3, 4} {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			mvRun(t, p, func(c *comm.Comm) error {
				bufs := make([][]float64, p)
				reqs := make([]*comm.Request, p)
				for root := range p {
					bufs[root] = mvGarbage[float64](1000)
					if c.Rank() == root {
						mvFill(bufs[root], 7, root)
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
					if err := mvEqual("ibcast", bufs[root], mvInput[float64](1000, 7, root)); err != nil {
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

func TestBcastDecide(t *testing.T) {
	require.Equal(t, "binomial", bcastDecide(4, 1<<20))
	require.Equal(t, "binomial", bcastDecide(16, bcastShortBytes))
	require.Equal(t, "scatter_allgather", bcastDecide(16, bcastShortBytes+1))
	require.Equal(t, "scatter_ring", bcastDecide(16, bcastLongBytes+1))
	require.Equal(t, "scatter_ring", bcastDecide(12, bcastShortBytes+1))
}
