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

// The application kernels join the programs TestMain builds.
func init() {
	programs = append(programs,
		"github.com/spmd-go/spmd/examples/stencil",
		"github.com/spmd-go/spmd/examples/transpose")
}

var (
	stencilHead = regexp.MustCompile(`^stencil: grid (\d+)x(\d+), radius 2 \(star\), (\d+) ranks as (\d+)x(\d+) tiles, (\d+) iterations$`)
	stencilOK   = regexp.MustCompile(`^stencil: Solution validates \(L1 norm (\S+), reference (\S+)\)$`)
	rateLine    = regexp.MustCompile(`^(stencil|transpose): Rate \((MFlops|MB)/s\): (\S+) Avg time \(s\): (\S+) Total time \(s\): (\S+) Comm time \(s\): (\S+)$`)
	transHead   = regexp.MustCompile(`^transpose: matrix order (\d+), (\d+) ranks, (\d+) iterations, tile size (\d+)$`)
	transOK     = regexp.MustCompile(`^transpose: Solution validates \(summed error (\S+)\)$`)
)

// checkRate checks the rate line: positive figures, total ≥ comm, and
// the rate consistent with work/avg.
func checkRate(t *testing.T, line, prog string, work float64, iterations int) {
	t.Helper()
	m := rateLine.FindStringSubmatch(line)
	require.NotNil(t, m, "rate line %q", line)
	assert.Equal(t, prog, m[1])
	var f [4]float64
	for i := range f {
		v, err := strconv.ParseFloat(m[3+i], 64)
		require.NoError(t, err)
		f[i] = v
	}
	rate, avg, total, comm := f[0], f[1], f[2], f[3]
	assert.Greater(t, total, 0.0)
	assert.GreaterOrEqual(t, total, comm)
	assert.Greater(t, rate, 0.0)
	if avg >= 1e-3 { // printed to 6 decimals: only long enough averages pin the figures
		assert.InEpsilon(t, total/float64(iterations), avg, 0.01, "avg = total/iterations")
		assert.InEpsilon(t, 1e-6*work/avg, rate, 0.01, "rate = work/avg")
	}
}

func checkStencil(t *testing.T, r result, ranks, n, iterations, px, py int) {
	t.Helper()
	require.Equal(t, 0, r.code, r)
	assert.Empty(t, r.stderr)
	ls := lines(r.stdout)
	require.Len(t, ls, 3, "rank 0 reports three lines:\n%s", r.stdout)
	h := stencilHead.FindStringSubmatch(ls[0])
	require.NotNil(t, h, "header %q", ls[0])
	assert.Equal(t, []int{n, n, ranks, px, py, iterations},
		[]int{atoi(t, h[1]), atoi(t, h[2]), atoi(t, h[3]), atoi(t, h[4]), atoi(t, h[5]), atoi(t, h[6])})
	v := stencilOK.FindStringSubmatch(ls[1])
	require.NotNil(t, v, "validation line %q", ls[1])
	want := strconv.Itoa(2 * (iterations + 1)) // PRK's reference norm
	assert.Equal(t, []string{want, want}, v[1:])
	checkRate(t, ls[2], "stencil", 19*float64(n-4)*float64(n-4), iterations)
}

// TestStencil runs the stencil on 1 to 6 ranks; 23 points split unevenly
// over every grid of ranks, and tiles stay at least 2 wide.
func TestStencil(t *testing.T) {
	tiles := map[int][2]int{1: {1, 1}, 2: {1, 2}, 3: {1, 3}, 4: {2, 2}, 6: {2, 3}}
	for _, np := range []int{1, 2, 3, 4, 6} {
		t.Run(fmt.Sprintf("n=%d", np), func(t *testing.T) {
			checkStencil(t, spmdrun(t, np, nil, "stencil", "-n", "23", "-iterations", "3"), np, 23, 3, tiles[np][0], tiles[np][1])
		})
	}
	t.Run("direct", func(t *testing.T) {
		checkStencil(t, run(t, nil, "stencil", "-n", "9", "-iterations", "2"), 1, 9, 2, 1, 1)
	})
	t.Run("tile smaller than the radius", func(t *testing.T) {
		// 5 rows over 3 tile rows leave one of them 1 row high.
		r := spmdrun(t, 6, nil, "stencil", "-n", "5", "-iterations", "1")
		assert.NotEqual(t, 0, r.code, r)
		assert.Contains(t, r.stderr, "smaller than the radius")
	})
}

func checkTranspose(t *testing.T, r result, ranks, order, iterations, tile int) {
	t.Helper()
	require.Equal(t, 0, r.code, r)
	assert.Empty(t, r.stderr)
	ls := lines(r.stdout)
	require.Len(t, ls, 3, "rank 0 reports three lines:\n%s", r.stdout)
	h := transHead.FindStringSubmatch(ls[0])
	require.NotNil(t, h, "header %q", ls[0])
	assert.Equal(t, []int{order, ranks, iterations, tile}, []int{atoi(t, h[1]), atoi(t, h[2]), atoi(t, h[3]), atoi(t, h[4])})
	v := transOK.FindStringSubmatch(ls[1])
	require.NotNil(t, v, "validation line %q", ls[1])
	assert.Equal(t, "0", v[1], "the sums are exact integers")
	checkRate(t, ls[2], "transpose", 16*float64(order)*float64(order), iterations)
}

// TestTranspose runs the transpose on 1 to 6 ranks with tiles that do
// not divide the blocks.
func TestTranspose(t *testing.T) {
	for _, np := range []int{1, 2, 3, 4, 6} {
		t.Run(fmt.Sprintf("n=%d", np), func(t *testing.T) {
			checkTranspose(t, spmdrun(t, np, nil, "transpose", "-order", "60", "-iterations", "3", "-tile", "7"), np, 60, 3, 7)
		})
	}
	t.Run("large blocks", func(t *testing.T) {
		// 2 ranks, blocks of 128×128 float64: above the eager limit.
		checkTranspose(t, spmdrun(t, 2, nil, "transpose", "-order", "256", "-iterations", "2"), 2, 256, 2, 32)
	})
	t.Run("direct", func(t *testing.T) {
		checkTranspose(t, run(t, nil, "transpose", "-order", "17", "-iterations", "1", "-tile", "100"), 1, 17, 1, 100)
	})
	t.Run("order not a multiple", func(t *testing.T) {
		r := spmdrun(t, 4, nil, "transpose", "-order", "10")
		assert.Equal(t, 2, r.code, r)
		assert.Empty(t, r.stdout)
		assert.Contains(t, r.stderr, "not a multiple of the 4 ranks")
	})
}

func TestAppsBadFlags(t *testing.T) {
	for _, c := range [][]string{
		{"stencil", "-n", "4"},
		{"stencil", "-iterations", "0"},
		{"stencil", "extra"},
		{"transpose", "-order", "0"},
		{"transpose", "-tile", "-1"},
		{"transpose", "-iterations", "x"},
	} {
		t.Run(strings.Join(c, " "), func(t *testing.T) {
			r := run(t, nil, c[0], c[1:]...)
			assert.Equal(t, 2, r.code, r)
			assert.Empty(t, r.stdout)
			assert.NotEmpty(t, r.stderr)
		})
	}
}
