package collective

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
)

// Helpers of the data-movement tests (prefixed mv to keep clear of the
// reduction tests' helpers in this package).

// mvSizes are the element counts every data-movement test covers.
var mvSizes = []int{0, 1, 7, 1000}

// mvRun runs f on an in-process cluster of p ranks, bounded in time.
func mvRun(t *testing.T, p int, f func(c *comm.Comm) error) {
	t.Helper()
	require.NoError(t, commtest.Run(p, f, commtest.Timeout(45*time.Second)))
}

// mvFill fills buf with values determined by (seed, rank): the input that
// rank contributes in a test, which every rank can recompute.
func mvFill[T comm.Scalar](buf []T, seed, rank int) {
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(rank)+1))
	switch b := any(buf).(type) {
	case []int32:
		for i := range b {
			b[i] = rng.Int32()
		}
	case []float64:
		for i := range b {
			b[i] = rng.NormFloat64()
		}
	case []complex128:
		for i := range b {
			b[i] = complex(rng.NormFloat64(), rng.NormFloat64())
		}
	case []uint8:
		for i := 0; i < len(b); i += 8 {
			x := rng.Uint64()
			for j := i; j < min(i+8, len(b)); j++ {
				b[j] = uint8(x >> (8 * (j - i)))
			}
		}
	default:
		panic(fmt.Sprintf("mvFill: no generator for %T", buf))
	}
}

// mvInput is mvFill into a new slice of n. Large inputs are generated once
// per process (the ranks of a cluster share it) and copied, which keeps
// the 10^6-element tests quick under the race detector.
func mvInput[T comm.Scalar](n, seed, rank int) []T {
	if n < 100_000 {
		buf := make([]T, n)
		mvFill(buf, seed, rank)
		return buf
	}
	key := fmt.Sprintf("%T/%d/%d/%d", []T(nil), n, seed, rank)
	v, ok := mvInputs.Load(key)
	if !ok {
		buf := make([]T, n)
		mvFill(buf, seed, rank)
		v, _ = mvInputs.LoadOrStore(key, buf)
	}
	return slices.Clone(v.([]T))
}

var mvInputs sync.Map // "type/n/seed/rank" → a large input, never modified

// mvGarbage returns a slice of n that a correct collective overwrites.
func mvGarbage[T comm.Scalar](n int) []T {
	buf := make([]T, n)
	for i := range buf {
		buf[i] = T(99)
	}
	return buf
}

// mvEqual returns an error naming the first difference of got and want.
func mvEqual[T comm.Scalar](what string, got, want []T) error {
	if slices.Equal(got, want) {
		return nil
	}
	if len(got) != len(want) {
		return fmt.Errorf("%s: length %d, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			return fmt.Errorf("%s: element %d of %d is %v, want %v", what, i, len(got), got[i], want[i])
		}
	}
	return nil
}

// mvUneven returns per-rank counts around n, some zero: counts differ
// from rank to rank and depend on seed.
func mvUneven(p, n, seed int) []int {
	counts := make([]int, p)
	for i := range counts {
		switch (i + seed) % 3 {
		case 0:
			counts[i] = 0
		case 1:
			counts[i] = n
		default:
			counts[i] = n/2 + 1
		}
	}
	return counts
}

// mvAlgs returns the registered algorithms of op.
func mvAlgs(t *testing.T, op string) []string {
	algs := Algorithms()[op]
	require.NotEmpty(t, algs, op)
	return algs
}
