package comm_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
	"github.com/stretchr/testify/require"
)

// run runs f on n in-process ranks with a bound, failing the test on error.
func run(t *testing.T, n int, f func(c *comm.Comm) error, opts ...commtest.Option) {
	t.Helper()
	opts = append([]commtest.Option{commtest.Timeout(60 * time.Second)}, opts...)
	require.NoError(t, commtest.Run(n, f, opts...))
}

// pattern fills a slice with values that depend on seed and index, so a
// misplaced or stale byte shows.
func pattern(n int, seed int) []int64 {
	s := make([]int64, n)
	for i := range s {
		s[i] = int64(seed)*1_000_003 + int64(i)*7919
	}
	return s
}

func check(cond bool, format string, args ...any) error {
	if !cond {
		return fmt.Errorf(format, args...)
	}
	return nil
}

func checkPattern(got []int64, seed int) error {
	want := pattern(len(got), seed)
	for i := range got {
		if got[i] != want[i] {
			return fmt.Errorf("element %d of %d: got %d, want %d (seed %d)", i, len(got), got[i], want[i], seed)
		}
	}
	return nil
}
