package collective

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/comm"
)

// mvAllgatherCase gathers n elements from every rank on every rank;
// inPlace passes a nil send with the own block already in recv.
func mvAllgatherCase[T comm.Scalar](c *comm.Comm, alg string, n, seed int, inPlace bool) error {
	p, me := c.Size(), c.Rank()
	send := mvInput[T](n, seed, me)
	recv := mvGarbage[T](p * n)
	var want []T
	for r := range p {
		want = append(want, mvInput[T](n, seed, r)...)
	}
	if inPlace {
		copy(recv[me*n:], send)
		send = nil
	}
	if err := allgather(c, send, recv, alg); err != nil {
		return err
	}
	return mvEqual(fmt.Sprintf("allgather %s %T n %d in place %v", alg, recv, n, inPlace), recv, want)
}

// mvAllgathervCase gathers uneven blocks (some empty) on every rank.
func mvAllgathervCase[T comm.Scalar](c *comm.Comm, alg string, n, seed int, inPlace bool) error {
	p, me := c.Size(), c.Rank()
	counts := mvUneven(p, n, seed)
	off := moveOffsets(counts)
	send := mvInput[T](counts[me], seed, me)
	recv := mvGarbage[T](off[p])
	var want []T
	for r := range p {
		want = append(want, mvInput[T](counts[r], seed, r)...)
	}
	if inPlace {
		copy(recv[off[me]:], send)
		send = nil
	}
	if err := allgatherv(c, send, recv, counts, alg); err != nil {
		return err
	}
	return mvEqual(fmt.Sprintf("allgatherv %s %T counts %v in place %v", alg, recv, counts, inPlace), recv, want)
}

// TestAllgather checks Allgather and Allgatherv, every algorithm, on 1…8
// ranks, several sizes and types, and in place.
func TestAllgather(t *testing.T) {
	algs := mvAlgs(t, "allgather")
	for p := 1; p <= 8; p++ {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			mvRun(t, p, func(c *comm.Comm) error {
				seed := 0
				for _, alg := range algs {
					for _, n := range mvSizes {
						for rep := range 2 { // vary the zero-count pattern
							seed++
							if err := errors.Join(
								mvAllgatherCase[int32](c, alg, n, seed, rep == 1),
								mvAllgatherCase[float64](c, alg, n, seed, false),
								mvAllgatherCase[complex128](c, alg, n, seed, rep == 0),
								mvAllgatherCase[uint8](c, alg, n, seed, false),
								mvAllgathervCase[int32](c, alg, n, seed, false),
								mvAllgathervCase[float64](c, alg, n, seed, true),
								mvAllgathervCase[uint8](c, alg, n, seed, rep == 1),
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

func TestAllgatherDecide(t *testing.T) {
	require.Equal(t, "recursive_doubling", allgatherDecide(8, 1000))
	require.Equal(t, "ring", allgatherDecide(8, allgatherLongBytes+1))
	require.Equal(t, "recursive_doubling", allgatherDecide(4, 4<<20))
	require.Equal(t, "ring", allgatherDecide(3, 1000), "3 ranks: Bruck saves no step")
	require.Equal(t, "bruck", allgatherDecide(6, 1000))
	require.Equal(t, "ring", allgatherDecide(6, allgatherShortBytes))
}
