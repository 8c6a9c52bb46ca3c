package collective

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/comm"
)

// mvAlltoallCase exchanges blocks of n between every pair; inPlace passes
// a nil send with the data in recv.
func mvAlltoallCase[T comm.Scalar](c *comm.Comm, alg string, n, seed int, inPlace bool) error {
	p, me := c.Size(), c.Rank()
	send := mvInput[T](p*n, seed, me)
	recv := mvGarbage[T](p * n)
	var want []T
	for r := range p {
		want = append(want, mvInput[T](p*n, seed, r)[me*n:(me+1)*n]...)
	}
	if inPlace {
		copy(recv, send)
		send = nil
	}
	if err := alltoall(c, send, recv, alg); err != nil {
		return err
	}
	return mvEqual(fmt.Sprintf("alltoall %s %T n %d in place %v", alg, recv, n, inPlace), recv, want)
}

// mvA2AvCount is how many elements rank r sends rank i: uneven, some zero.
func mvA2AvCount(r, i, n, seed int) int {
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

// mvAlltoallvCase exchanges uneven blocks; inPlace passes a nil send (and
// nil sendCounts) with the data in recv, which requires symmetric counts.
func mvAlltoallvCase[T comm.Scalar](c *comm.Comm, alg string, n, seed int, inPlace bool) error {
	p, me := c.Size(), c.Rank()
	count := func(r, i int) int {
		if inPlace { // symmetric
			return mvA2AvCount(min(r, i), max(r, i), n, seed)
		}
		return mvA2AvCount(r, i, n, seed)
	}
	sendCounts, recvCounts := make([]int, p), make([]int, p)
	for i := range p {
		sendCounts[i], recvCounts[i] = count(me, i), count(i, me)
	}
	soff, roff := moveOffsets(sendCounts), moveOffsets(recvCounts)
	send := mvInput[T](soff[p], seed, me)
	recv := mvGarbage[T](roff[p])
	var want []T
	for r := range p {
		rc := make([]int, p)
		for i := range p {
			rc[i] = count(r, i)
		}
		ro := moveOffsets(rc)
		want = append(want, mvInput[T](ro[p], seed, r)[ro[me]:ro[me+1]]...)
	}
	if inPlace {
		copy(recv, send)
		send, sendCounts = nil, nil
	}
	if err := alltoallv(c, send, sendCounts, recv, recvCounts, alg); err != nil {
		return err
	}
	return mvEqual(fmt.Sprintf("alltoallv %s %T recvCounts %v in place %v", alg, recv, recvCounts, inPlace), recv, want)
}

// TestAlltoall checks Alltoall and Alltoallv, every algorithm, on 1…8
// ranks, several sizes and types, and in place.
func TestAlltoall(t *testing.T) {
	algs, valgs := mvAlgs(t, "alltoall"), mvAlgs(t, "alltoallv")
	for p := 1; p <= 8; p++ {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			mvRun(t, p, func(c *comm.Comm) error {
				seed := 0
				for _, alg := range algs {
					for _, n := range mvSizes {
						seed++
						if err := errors.Join(
							mvAlltoallCase[int32](c, alg, n, seed, false),
							mvAlltoallCase[float64](c, alg, n, seed, true),
							mvAlltoallCase[complex128](c, alg, n, seed, false),
							mvAlltoallCase[uint8](c, alg, n, seed, false),
						); err != nil {
							return err
						}
					}
				}
				for _, alg := range valgs {
					for _, n := range mvSizes {
						seed++
						if err := errors.Join(
							mvAlltoallvCase[int32](c, alg, n, seed, false),
							mvAlltoallvCase[float64](c, alg, n, seed, true),
							mvAlltoallvCase[complex128](c, alg, n, seed, false),
							mvAlltoallvCase[uint8](c, alg, n, seed+1, false),
						); err != nil {
							return err
						}
					}
				}
				return nil
			})
		})
	}
}

func TestAlltoallDecide(t *testing.T) {
	require.Equal(t, "bruck", alltoallDecide(8, alltoallShortBytes))
	require.Equal(t, "linear", alltoallDecide(4, alltoallShortBytes))
	require.Equal(t, "linear", alltoallDecide(8, alltoallMediumBytes))
	require.Equal(t, "pairwise", alltoallDecide(3, alltoallMediumBytes+1))
}
