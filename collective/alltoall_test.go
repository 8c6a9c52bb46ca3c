package collective

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/comm"
)

// alltoallCase exchanges blocks of n between every pair; inPlace passes
// a nil send with the data in recv.
func alltoallCase[T comm.Scalar](c *comm.Comm, alg string, n, seed int, inPlace bool) error {
	p, me := c.Size(), c.Rank()
	send := inputOf[T](p*n, seed, me)
	recv := garbage[T](p * n)
	var want []T
	for r := range p {
		want = append(want, inputOf[T](p*n, seed, r)[me*n:(me+1)*n]...)
	}
	if inPlace {
		copy(recv, send)
		send = nil
	}
	if err := Alltoall(forcing(c, "alltoall", alg), send, recv); err != nil {
		return err
	}
	return sameElems(fmt.Sprintf("alltoall %s %T n %d in place %v", alg, recv, n, inPlace), recv, want)
}

// alltoallvCount is how many elements rank r sends rank i: uneven, some zero.
func alltoallvCount(r, i, n, seed int) int {
	switch (3*r + 5*i + seed) % 4 {
	case 0:
		return 0
	case 1:
		return n
	case 2:
		return n/3 + 1
	default:
		return 2 * n
	}
}

// alltoallvCase exchanges uneven blocks; inPlace passes a nil send (and
// nil sendCounts) with the data in recv, which requires symmetric counts.
func alltoallvCase[T comm.Scalar](c *comm.Comm, alg string, n, seed int, inPlace bool) error {
	p, me := c.Size(), c.Rank()
	count := func(r, i int) int {
		if inPlace { // symmetric
			return alltoallvCount(min(r, i), max(r, i), n, seed)
		}
		return alltoallvCount(r, i, n, seed)
	}
	sendCounts, recvCounts := make([]int, p), make([]int, p)
	for i := range p {
		sendCounts[i], recvCounts[i] = count(me, i), count(i, me)
	}
	soff, roff := blockOffsets(sendCounts), blockOffsets(recvCounts)
	send := inputOf[T](soff[p], seed, me)
	recv := garbage[T](roff[p])
	var want []T
	for r := range p {
		rc := make([]int, p)
		for i := range p {
			rc[i] = count(r, i)
		}
		ro := blockOffsets(rc)
		want = append(want, inputOf[T](ro[p], seed, r)[ro[me]:ro[me+1]]...)
	}
	if inPlace {
		copy(recv, send)
		send, sendCounts = nil, nil
	}
	if err := Alltoallv(forcing(c, "alltoallv", alg), send, sendCounts, recv, recvCounts); err != nil {
		return err
	}
	return sameElems(fmt.Sprintf("alltoallv %s %T recvCounts %v in place %v", alg, recv, recvCounts, inPlace), recv, want)
}

// TestAlltoall checks Alltoall and Alltoallv, every algorithm (a subtest
// each: Alltoall's under TestAlltoall/<alg>, Alltoallv's under
// TestAlltoall/v/<alg>), on 1…8 ranks, several sizes and types, and in
// place.
func TestAlltoall(t *testing.T) {
	eachAlgorithm(t, algorithmsOf(t, "alltoall"), func(t *testing.T, alg string) {
		for p := 1; p <= 8; p++ {
			t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
				onRanks(t, p, func(c *comm.Comm) error {
					for seed, n := range testSizes {
						if err := errors.Join(
							alltoallCase[int32](c, alg, n, seed, false),
							alltoallCase[float64](c, alg, n, seed, true),
							alltoallCase[complex128](c, alg, n, seed, false),
							alltoallCase[uint8](c, alg, n, seed, false),
						); err != nil {
							return err
						}
					}
					return nil
				})
			})
		}
	})
	t.Run("v", func(t *testing.T) {
		eachAlgorithm(t, algorithmsOf(t, "alltoallv"), func(t *testing.T, alg string) {
			for p := 1; p <= 8; p++ {
				t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
					onRanks(t, p, func(c *comm.Comm) error {
						for seed, n := range testSizes {
							if err := errors.Join(
								alltoallvCase[int32](c, alg, n, seed, false),
								alltoallvCase[float64](c, alg, n, seed, true),
								alltoallvCase[complex128](c, alg, n, seed, false),
								alltoallvCase[uint8](c, alg, n, seed+1, false),
							); err != nil {
								return err
							}
						}
						return nil
					})
				})
			}
		})
	})
}

func TestChooseAlltoall(t *testing.T) {
	require.Equal(t, "bruck", chooseAlltoall(8, alltoallShortBytes))
	require.Equal(t, "linear", chooseAlltoall(4, alltoallShortBytes))
	require.Equal(t, "linear", chooseAlltoall(8, alltoallMediumBytes))
	require.Equal(t, "pairwise", chooseAlltoall(3, alltoallMediumBytes+1))
}
