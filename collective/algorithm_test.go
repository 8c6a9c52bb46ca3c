package collective

import (
	"errors"
	"fmt"
	"testing"

	"github.com/spmd-go/spmd/comm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestForcedByEnv: SPMD_COLL_<OP> forces an algorithm; an unknown name
// fails on every rank with ErrAlgorithm, and the call still counts
// (t.Setenv: not parallel).
func TestForcedByEnv(t *testing.T) {
	t.Setenv("SPMD_COLL_ALLREDUCE", allreduceRing)
	t.Setenv("SPMD_COLL_REDUCE_SCATTER_BLOCK", reduceScatterPairwise)
	onRanks(t, 3, func(c *comm.Comm) error {
		return eachCase(c, 1000, 21, allreduceCase[float64]{only: "sum"}, allreduceCase[uint64]{}, reduceScatterCase[int32]{block: true})
	})
	t.Setenv("SPMD_COLL_SCAN", "bogus")
	onRanks(t, 2, func(c *comm.Comm) error {
		err := Scan(c, []int{1}, []int{0}, Sum)
		if !errors.Is(err, ErrAlgorithm) {
			return fmt.Errorf("got %v", err)
		}
		return eachCase(c, 7, 1, allreduceCase[float64]{only: "sum"}) // the call still counted
	})
	t.Setenv("SPMD_COLL_ALLGATHER", "ring")
	onRanks(t, 3, func(c *comm.Comm) error {
		return allgatherCase[float64](c, "", 1000, 3, false)
	})
	t.Setenv("SPMD_COLL_BCAST", "bogus")
	onRanks(t, 2, func(c *comm.Comm) error {
		if err := Bcast(c, []int{1}, 0); !errors.Is(err, ErrAlgorithm) {
			return fmt.Errorf("bogus bcast algorithm: %v", err)
		}
		return eachCase(c, 7, 1, allreduceCase[float64]{only: "sum"}) // the call still counted
	})
}

func TestAlgorithmsRegistered(t *testing.T) {
	algs := Algorithms()
	assert.Equal(t, []string{"binomial", "scatter_allgather", "scatter_ring", "linear"}, algs["bcast"])
	assert.Equal(t, []string{"binomial", "linear"}, algs["scatter"])
	assert.Equal(t, []string{"binomial", "linear"}, algs["gather"])
	assert.Equal(t, []string{"recursive_doubling", "bruck", "ring", "linear"}, algs["allgather"])
	assert.Equal(t, []string{"bruck", "pairwise", "linear"}, algs["alltoall"])
	assert.Equal(t, []string{"pairwise", "linear"}, algs["alltoallv"])
	assert.Equal(t, []string{"recursive_doubling", "rabenseifner", "ring", "linear"}, algs["allreduce"])
	assert.Equal(t, []string{"binomial", "rabenseifner", "linear"}, algs["reduce"])
	assert.Equal(t, []string{"recursive_halving", "pairwise"}, algs["reduce_scatter"])
	assert.Equal(t, []string{"recursive_halving", "pairwise"}, algs["reduce_scatter_block"])
	assert.Equal(t, []string{"recursive_doubling", "linear"}, algs["scan"])
	assert.Equal(t, []string{"recursive_doubling", "linear"}, algs["exscan"])
	assert.Equal(t, []string{"dissemination"}, algs["barrier"])
}

// TestScratchReuse: buffers come back from the per-communicator list,
// the smallest that fits, and oversized ones are not kept.
func TestScratchReuse(t *testing.T) {
	var s state
	a := s.get(100)
	s.put(a)
	b := s.get(50)
	require.Equal(t, &a[:1][0], &b[:1][0], "reused")
	require.Len(t, b, 50)
	s.put(b)
	big := s.get(maxKeptScratchWords + 1)
	s.put(big)
	require.Len(t, s.free, 1, "the oversized buffer was dropped")
	for range 2 * maxFreeScratch {
		s.put(make([]uint64, 8))
	}
	require.Len(t, s.free, maxFreeScratch)
	assert.Empty(t, typed[float64](nil, 0))
	assert.Equal(t, 2, wordsFor[complex128](1))
	assert.Equal(t, 1, wordsFor[uint8](3))
}
