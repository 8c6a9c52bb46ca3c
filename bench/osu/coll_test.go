package osu

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
)

// tinyColl is a quick collective run: a few sizes, a few iterations, up
// to a size above the large-message threshold.
func tinyColl(k Kind) Options {
	o := DefaultOptions(k)
	o.MaxSize = 16 << 10
	o.Warmup, o.Iters, o.WarmupLarge, o.ItersLarge = 1, 3, 1, 2
	return o
}

// runRanks runs k on an in-process job of n ranks and returns each rank's
// results.
func runRanks(t *testing.T, n int, k Kind, o Options) [][]Result {
	t.Helper()
	var mu sync.Mutex
	got := make([][]Result, n)
	err := commtest.Run(n, func(c *comm.Comm) error {
		res, err := Run(c, k, o)
		mu.Lock()
		got[c.Rank()] = res
		mu.Unlock()
		return err
	}, commtest.Timeout(time.Minute))
	require.NoError(t, err)
	return got
}

func TestRunEachCollective(t *testing.T) {
	for _, k := range CollectiveKinds {
		t.Run(string(k), func(t *testing.T) {
			o := tinyColl(k)
			got := runRanks(t, 3, k, o)
			sizes := Sizes(o.MinSize, o.MaxSize)
			if k == Barrier {
				sizes = []int{0}
			}
			for rank, res := range got {
				require.Len(t, res, len(sizes), "rank %d", rank)
				for i, r := range res {
					assert.Equal(t, sizes[i], r.Size)
					_, want := o.counts(r.Size)
					assert.Equal(t, want, r.Iters, "size %d", r.Size)
					assert.Positive(t, r.Min, "size %d", r.Size)
					assert.LessOrEqual(t, r.Min, r.Value, "size %d", r.Size)
					assert.LessOrEqual(t, r.Value, r.Max, "size %d", r.Size)
					assert.Equal(t, got[0][i], r, "every rank gets the same combined values")
				}
			}
		})
	}
}

// TestRunCollectiveRankCounts covers one rank (every collective is local)
// and a power of two, with the reduction whose counts split unevenly.
func TestRunCollectiveRankCounts(t *testing.T) {
	for _, n := range []int{1, 4} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			o := tinyColl(ReduceScatter)
			o.MaxSize = 64 // 1..8 float64 over n ranks
			got := runRanks(t, n, ReduceScatter, o)
			assert.Len(t, got[n-1], len(Sizes(8, 64)))
		})
	}
}

func TestRunCollectiveTarget(t *testing.T) {
	o := tinyColl(Allreduce)
	o.MaxSize = 16
	o.Target = time.Millisecond
	o.MinIters, o.MaxIters = 2, 20
	got := runRanks(t, 2, Allreduce, o)
	for i, r := range got[0] {
		assert.Equal(t, r.Iters, got[1][i].Iters, "every rank runs rank 0's count")
		assert.GreaterOrEqual(t, r.Iters, 2)
		assert.LessOrEqual(t, r.Iters, 20)
	}
}

// TestForcedAlgorithm runs allgather with each of its algorithms forced.
func TestForcedAlgorithm(t *testing.T) {
	for _, alg := range []string{"ring", "bruck", "linear"} {
		t.Run(alg, func(t *testing.T) {
			t.Setenv(AlgorithmVar(Allgather), "")
			require.NoError(t, ForceAlgorithm(Allgather, alg))
			o := tinyColl(Allgather)
			o.MaxSize = 64
			got := runRanks(t, 3, Allgather, o)
			assert.Len(t, got[0], len(Sizes(1, 64)))
		})
	}
}

func TestForceAlgorithmErrors(t *testing.T) {
	assert.ErrorIs(t, ForceAlgorithm(Latency, "ring"), ErrOptions)
	assert.ErrorIs(t, ForceAlgorithm(Allreduce, "nope"), ErrOptions)
	assert.Equal(t, "SPMD_COLL_REDUCE_SCATTER", AlgorithmVar(ReduceScatter))
}

func TestListAlgorithms(t *testing.T) {
	lines := ListAlgorithms()
	assert.Contains(t, lines, "barrier: dissemination")
	assert.IsIncreasing(t, lines)
}

func TestSplitCounts(t *testing.T) {
	assert.Equal(t, []int{3, 3, 2}, splitCounts(8, 3))
	assert.Equal(t, []int{1, 0, 0, 0}, splitCounts(1, 4))
}
