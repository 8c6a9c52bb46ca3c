package main

import (
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
)

// TestMergeKeepsCompensation: merging compensated sums loses nothing that a
// single compensated sum of all the terms would keep, where adding the
// rounded partial sums would.
func TestMergeKeepsCompensation(t *testing.T) {
	var a, b sum
	a.add(1e16)
	a.add(1) // 1e16+1 rounds to 1e16: the 1 is kept in lo
	b.add(-1e16)
	b.add(1)
	got := a.merge(b)
	assert.Equal(t, 2.0, got.value())
	assert.Equal(t, got, unpack(got.pack()))
	assert.Equal(t, 0.0, a.value()+b.value(), "the naive combination loses the small terms")
}

// TestReduceToRoot sums known partial sums over an in-process job.
func TestReduceToRoot(t *testing.T) {
	const n = 4
	var mu sync.Mutex
	var got sum
	err := commtest.Run(n, func(c *comm.Comm) error {
		var s sum
		s.add(math.Copysign(1e16, float64(1-2*(c.Rank()%2)))) // ±1e16, cancelling
		s.add(1)                                              // lost in hi, kept in lo
		total, err := reduceToRoot(c, s)
		if c.Rank() == 0 {
			mu.Lock()
			got = total
			mu.Unlock()
		}
		return err
	}, commtest.Timeout(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, 4.0, got.value())
}
