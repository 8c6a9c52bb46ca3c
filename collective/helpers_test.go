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

// The tests' helpers: clusters of in-process ranks, each algorithm as a
// subtest, seeded inputs that every rank can regenerate for any rank, and
// comparisons. The reductions' serial reference is in
// helpers_reduction_test.go.

// testSizes are the element counts every collective is tested on.
var testSizes = []int{0, 1, 7, 1000}

// testRanks are the rank counts every reduction is tested on.
var testRanks = []int{1, 2, 3, 4, 5, 6, 7, 8}

// onRanks runs f on an in-process cluster of p ranks, bounded in time.
func onRanks(t *testing.T, p int, f func(c *comm.Comm) error) {
	t.Helper()
	require.NoError(t, commtest.Run(p, f, commtest.Timeout(90*time.Second)))
}

// onEachRankCount runs f on every rank count of counts as parallel
// subtests named p=N.
func onEachRankCount(t *testing.T, counts []int, f func(c *comm.Comm) error) {
	for _, p := range counts {
		t.Run(fmt.Sprintf("p=%d", p), func(t *testing.T) {
			t.Parallel()
			onRanks(t, p, f)
		})
	}
}

// eachAlgorithm runs f for every algorithm of algs as a subtest named
// after it ("" is the decision function's choice, named default), so that
// go test -run 'TestAllreduce/ring' selects one algorithm's cases.
func eachAlgorithm(t *testing.T, algs []string, f func(t *testing.T, alg string)) {
	for _, alg := range algs {
		name := alg
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) { f(t, alg) })
	}
}

// forcing forces alg for op on c ("": the decision function's choice) and
// returns c, for a call that is to run alg.
func forcing(c *comm.Comm, op, alg string) *comm.Comm {
	setOverride(c, op, alg)
	return c
}

// fillInput fills buf with values determined by (seed, rank): the input that
// rank contributes in a test, which every rank can recompute.
func fillInput[T comm.Scalar](buf []T, seed, rank int) {
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
		panic(fmt.Sprintf("fillInput: no generator for %T", buf))
	}
}

// inputOf is fillInput into a new slice of n. Large inputs are generated once
// per process (the ranks of a cluster share it) and copied, which keeps
// the 10^6-element tests quick under the race detector.
func inputOf[T comm.Scalar](n, seed, rank int) []T {
	if n < 100_000 {
		buf := make([]T, n)
		fillInput(buf, seed, rank)
		return buf
	}
	key := fmt.Sprintf("%T/%d/%d/%d", []T(nil), n, seed, rank)
	v, ok := inputCache.Load(key)
	if !ok {
		buf := make([]T, n)
		fillInput(buf, seed, rank)
		v, _ = inputCache.LoadOrStore(key, buf)
	}
	return slices.Clone(v.([]T))
}

var inputCache sync.Map // "type/n/seed/rank" → a large input, never modified

// garbage returns a slice of n that a correct collective overwrites.
func garbage[T comm.Scalar](n int) []T {
	buf := make([]T, n)
	for i := range buf {
		buf[i] = T(99)
	}
	return buf
}

// sameElems returns an error naming the first difference of got and want.
func sameElems[T comm.Scalar](what string, got, want []T) error {
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

// unevenCounts returns per-rank counts around n, some zero: counts differ
// from rank to rank and depend on seed.
func unevenCounts(p, n, seed int) []int {
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

// algorithmsOf returns op's registered algorithms.
func algorithmsOf(t testing.TB, op string) []string {
	algs := Algorithms()[op]
	require.NotEmpty(t, algs, op)
	return algs
}
