package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMergeRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, counts := range [][]int{{}, {0}, {5}, {3, 0}, {0, 4}, {2, 3, 1}, {4, 4, 4, 4}, {1, 0, 7, 2, 5}, {0, 0, 0}, {9, 1, 1, 1, 1, 1, 1, 1}} {
		t.Run(fmt.Sprint(counts), func(t *testing.T) {
			var keys []int64
			for _, c := range counts {
				run := make([]int64, c)
				for i := range run {
					run[i] = rng.Int64N(10) - 5 // duplicates on purpose
				}
				slices.Sort(run)
				keys = append(keys, run...)
			}
			want := slices.Sorted(slices.Values(keys))
			got := mergeRuns(slices.Clone(keys), counts)
			if len(want) == 0 {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, want, got)
		})
	}
}

func TestUpperBound(t *testing.T) {
	keys := []int64{1, 3, 3, 3, 7}
	for x, want := range map[int64]int{0: 0, 1: 1, 2: 1, 3: 4, 5: 4, 7: 5, 9: 5} {
		assert.Equal(t, want, upperBound(keys, x), "x=%d", x)
	}
}
