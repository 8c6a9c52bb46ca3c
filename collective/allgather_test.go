package collective

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/comm"
)

// allgatherCase gathers n elements from every rank on every rank;
// inPlace passes a nil send with the own block already in recv.
func allgatherCase[T comm.Scalar](c *comm.Comm, alg string, n, seed int, inPlace bool) error {
	p, me := c.Size(), c.Rank()
	send := inputOf[T](n, seed, me)
	recv := garbage[T](p * n)
	var want []T
	for r := range p {
		want = append(want, inputOf[T](n, seed, r)...)
	}
	if inPlace {
		copy(recv[me*n:], send)
		send = nil
	}
	if err := Allgather(forcing(c, "allgather", alg), send, recv); err != nil {
		return err
	}
	return sameElems(fmt.Sprintf("allgather %s %T n %d in place %v", alg, recv, n, inPlace), recv, want)
}

// allgathervCase gathers uneven blocks (some empty) on every rank.
func allgathervCase[T comm.Scalar](c *comm.Comm, alg string, n, seed int, inPlace bool) error {
	p, me := c.Size(), c.Rank()
	counts := unevenCounts(p, n, seed)
	off := blockOffsets(counts)
	send := inputOf[T](counts[me], seed, me)
	recv := garbage[T](off[p])
	var want []T
	for r := range p {
		want = append(want, inputOf[T](counts[r], seed, r)...)
	}
	if inPlace {
		copy(recv[off[me]:], send)
		send = nil
	}
	if err := Allgatherv(forcing(c, "allgather", alg), send, recv, counts); err != nil {
		return err
	}
	return sameElems(fmt.Sprintf("allgatherv %s %T counts %v in place %v", alg, recv, counts, inPlace), recv, want)
}

// TestAllgather checks Allgather and Allgatherv, every algorithm (a
// subtest each), on 1…8 ranks, several sizes and types, and in place.
func TestAllgather(t *testing.T) {
	eachAlgorithm(t, algorithmsOf(t, "allgather"), func(t *testing.T, alg string) {
		for p := 1; p <= 8; p++ {
			t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
				onRanks(t, p, func(c *comm.Comm) error {
					seed := 0
					for _, n := range testSizes {
						for rep := range 2 { // vary the zero-count pattern
							seed++
							if err := errors.Join(
								allgatherCase[int32](c, alg, n, seed, rep == 1),
								allgatherCase[float64](c, alg, n, seed, false),
								allgatherCase[complex128](c, alg, n, seed, rep == 0),
								allgatherCase[uint8](c, alg, n, seed, false),
								allgathervCase[int32](c, alg, n, seed, false),
								allgathervCase[float64](c, alg, n, seed, true),
								allgathervCase[uint8](c, alg, n, seed, rep == 1),
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

func TestChooseAllgather(t *testing.T) {
	require.Equal(t, "recursive_doubling", chooseAllgather(8, 1000))
	require.Equal(t, "ring", chooseAllgather(8, allgatherLongBytes+1))
	require.Equal(t, "recursive_doubling", chooseAllgather(4, 4<<20))
	require.Equal(t, "ring", chooseAllgather(3, 1000), "3 ranks: Bruck saves no step")
	require.Equal(t, "bruck", chooseAllgather(6, 1000))
	require.Equal(t, "ring", chooseAllgather(6, allgatherShortBytes))
}
