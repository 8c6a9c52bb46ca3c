package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
)

func TestRowCounts(t *testing.T) {
	assert.Equal(t, []int{4, 3, 3}, rowCounts(10, 3))
	assert.Equal(t, []int{1, 1, 0, 0}, rowCounts(2, 4))
	assert.Equal(t, []int{12, 9, 9}, scaled(rowCounts(10, 3), 3))
}

// TestMultiply runs the distributed product on three ranks, m not a
// multiple of 3, and compares it with the serial one.
func TestMultiply(t *testing.T) {
	const m, k, n = 7, 4, 5
	rng := rand.New(rand.NewPCG(1, 2))
	a, b := random(rng, m*k), random(rng, k*n)
	var mu sync.Mutex
	var c []float64
	err := commtest.Run(3, func(w *comm.Comm) error {
		var myA, myB []float64
		if w.Rank() == 0 {
			myA, myB = a, slices.Clone(b)
		}
		got, err := multiply(w, myA, myB, m, k, n)
		if w.Rank() == 0 {
			mu.Lock()
			c = got
			mu.Unlock()
		} else {
			assert.Nil(t, got)
		}
		return err
	}, commtest.Timeout(time.Minute))
	require.NoError(t, err)
	require.Len(t, c, m*n)
	assert.LessOrEqual(t, maxRelError(a, b, c, m, k, n), 1e-15)
	for i := range m {
		for j := range n {
			var want float64
			for l := range k {
				want += a[i*k+l] * b[l*n+j]
			}
			assert.InDelta(t, want, c[i*n+j], 1e-14, "C[%d,%d]", i, j)
		}
	}
}

// TestMaxRelErrorDetects: the check sees a wrong element, and a NaN.
func TestMaxRelErrorDetects(t *testing.T) {
	a, b := []float64{1, 2, 3, 4}, []float64{1, 0, 0, 1} // 2×2 times identity
	c := []float64{1, 2, 3, 4}
	assert.Equal(t, 0.0, maxRelError(a, b, c, 2, 2, 2))
	c[3] = 4.5
	assert.InDelta(t, 0.5/4, maxRelError(a, b, c, 2, 2, 2), 1e-15)
	c[3] = math.NaN()
	assert.True(t, math.IsInf(maxRelError(a, b, c, 2, 2, 2), 1))
}
