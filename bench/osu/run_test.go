package osu

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
)

// tiny is a quick run over sizes that cross the large-message threshold
// and the eager limit.
func tiny(k Kind) Options {
	o := DefaultOptions(k)
	o.MaxSize = 128 << 10
	o.Warmup, o.Iters, o.WarmupLarge, o.ItersLarge = 2, 5, 1, 3
	o.Window = 4
	return o
}

// runPair runs k on an in-process two-rank cluster and returns each rank's
// results.
func runPair(t *testing.T, k Kind, o Options) [2][]Result {
	t.Helper()
	var mu sync.Mutex
	var got [2][]Result
	err := commtest.Run(2, func(c *comm.Comm) error {
		res, err := Run(c, k, o)
		mu.Lock()
		got[c.Rank()] = res
		mu.Unlock()
		return err
	}, commtest.Timeout(time.Minute))
	require.NoError(t, err)
	return got
}

func TestRunEachKind(t *testing.T) {
	for _, k := range Kinds {
		t.Run(string(k), func(t *testing.T) {
			o := tiny(k)
			got := runPair(t, k, o)
			sizes := Sizes(o.MinSize, o.MaxSize)
			for rank, res := range got {
				require.Len(t, res, len(sizes), "rank %d", rank)
				for i, r := range res {
					assert.Equal(t, sizes[i], r.Size)
					_, want := o.counts(r.Size)
					assert.Equal(t, want, r.Iters, "size %d", r.Size)
					assert.Positive(t, r.Value, "size %d", r.Size)
				}
			}
		})
	}
}

func TestRunTarget(t *testing.T) {
	o := tiny(Latency)
	o.MaxSize = 64
	o.Target = 2 * time.Millisecond
	o.MinIters, o.MaxIters = 2, 50
	got := runPair(t, Latency, o)
	for i, r := range got[0] {
		assert.Equal(t, r.Iters, got[1][i].Iters, "both ranks run rank 0's count")
		assert.GreaterOrEqual(t, r.Iters, 2)
		assert.LessOrEqual(t, r.Iters, 50)
	}
}

func TestRunNeedsTwoRanks(t *testing.T) {
	err := commtest.Run(3, func(c *comm.Comm) error {
		_, err := Run(c, Latency, tiny(Latency))
		if assert.ErrorIs(t, err, ErrOptions) {
			return nil
		}
		return err
	}, commtest.Timeout(time.Minute))
	require.NoError(t, err)
}

func TestRunBadOptions(t *testing.T) {
	err := commtest.Run(2, func(c *comm.Comm) error {
		o := tiny(Latency)
		o.Iters = 0
		_, err := Run(c, Latency, o)
		assert.ErrorIs(t, err, ErrOptions)
		_, err = Run(c, Kind("nope"), tiny(Latency))
		assert.ErrorIs(t, err, ErrOptions)
		return nil
	}, commtest.Timeout(time.Minute))
	require.NoError(t, err)
}
