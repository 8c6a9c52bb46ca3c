package examples_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jobSizes are the rank counts the examples built on collectives run with:
// one rank, powers of two and not, and more ranks than cores.
var jobSizes = []int{1, 2, 3, 4, 8}

var matmulLine = regexp.MustCompile(`^matmul: C\((\d+)×(\d+)\) = A\((\d+)×(\d+)\)·B\((\d+)×(\d+)\) on (\d+) ranks? in (\S+) s, (\S+) GFLOP/s, max relative error (\S+) \(limit (\S+)\)$`)

// checkMatmul checks rank 0's report of a successful m×k·k×n matmul run on
// n ranks.
func checkMatmul(t *testing.T, r result, ranks, m, k, n int) {
	t.Helper()
	require.Equal(t, 0, r.code, r)
	assert.Empty(t, r.stderr)
	ls := lines(r.stdout)
	require.Len(t, ls, 1, "only rank 0 reports:\n%s", r.stdout)
	g := matmulLine.FindStringSubmatch(ls[0])
	require.NotNil(t, g, "unexpected line %q", ls[0])
	assert.Equal(t, []int{m, n, m, k, k, n, ranks}, []int{atoi(t, g[1]), atoi(t, g[2]), atoi(t, g[3]), atoi(t, g[4]), atoi(t, g[5]), atoi(t, g[6]), atoi(t, g[7])})
	e, err := strconv.ParseFloat(g[10], 64)
	require.NoError(t, err)
	limit, err := strconv.ParseFloat(g[11], 64)
	require.NoError(t, err)
	assert.InEpsilon(t, 1e-12*float64(k), limit, 0.05, "limit (printed to 2 digits)")
	assert.LessOrEqual(t, e, limit)
	gflops, err := strconv.ParseFloat(g[9], 64)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, gflops, 0.0) // tiny products print as 0.00
}

func TestMatmul(t *testing.T) {
	// 37 rows leave uneven blocks on every rank count but 1; 5 rows give
	// some of 8 ranks nothing.
	for _, n := range jobSizes {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			checkMatmul(t, spmdrun(t, n, nil, "matmul", "-m", "37", "-k", "24", "-n", "19", "-seed", "7"), n, 37, 24, 19)
		})
	}
	t.Run("fewer rows than ranks", func(t *testing.T) {
		checkMatmul(t, spmdrun(t, 8, nil, "matmul", "-m", "5", "-k", "3", "-n", "4"), 8, 5, 3, 4)
	})
	t.Run("large blocks", func(t *testing.T) {
		// B of 256 KiB and blocks of A and C above the eager limit.
		checkMatmul(t, spmdrun(t, 3, nil, "matmul", "-m", "150", "-k", "128", "-n", "256"), 3, 150, 128, 256)
	})
}

var samplesortLine = regexp.MustCompile(`^samplesort: (\d+) keys on (\d+) ranks? in (\S+) s, largest share (\d+) keys \((\S+) × n\); sorted: (.*)$`)

// checkSamplesort checks rank 0's report of a successful samplesort run
// of n keys on each of ranks ranks.
func checkSamplesort(t *testing.T, r result, ranks, n int) {
	t.Helper()
	require.Equal(t, 0, r.code, r)
	assert.Empty(t, r.stderr)
	ls := lines(r.stdout)
	require.Len(t, ls, 1, "only rank 0 reports:\n%s", r.stdout)
	g := samplesortLine.FindStringSubmatch(ls[0])
	require.NotNil(t, g, "unexpected line %q", ls[0])
	assert.Equal(t, ranks*n, atoi(t, g[1]), "total keys")
	assert.Equal(t, ranks, atoi(t, g[2]), "ranks")
	largest := atoi(t, g[4])
	assert.GreaterOrEqual(t, largest, n, "the fullest rank has at least the average")
	assert.LessOrEqual(t, largest, 2*n, "regular sampling bounds the imbalance")
	assert.Equal(t, "ok", g[6])
}

func TestSamplesort(t *testing.T) {
	for _, n := range jobSizes {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			// 20 000 keys (160 KB) per rank: parts above the eager limit.
			checkSamplesort(t, spmdrun(t, n, nil, "samplesort", "-n", "20000"), n, 20000)
		})
	}
	t.Run("fewer keys than ranks", func(t *testing.T) {
		r := spmdrun(t, 8, nil, "samplesort", "-n", "3", "-seed", "5")
		require.Equal(t, 0, r.code, r)
		assert.True(t, strings.HasSuffix(strings.TrimSpace(r.stdout), "sorted: ok"), r.stdout)
	})
}
