//go:build cgo

package h5_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
	"github.com/spmd-go/spmd/h5"
)

// everyRank runs f on n ranks and returns each rank's error (commtest
// stops at the first; here every rank must report the error itself).
func everyRank(t *testing.T, n int, f func(c *comm.Comm) error) []error {
	t.Helper()
	errs := make([]error, n)
	var mu sync.Mutex
	require.NoError(t, commtest.Run(n, func(c *comm.Comm) error {
		err := f(c)
		mu.Lock()
		errs[c.Rank()] = err
		mu.Unlock()
		return nil
	}))
	return errs
}

// requireAll checks that every rank got an error wrapping want whose
// message contains each of parts, and that all ranks' messages are equal.
func requireAll(t *testing.T, errs []error, want error, parts ...string) {
	t.Helper()
	t.Logf("every rank: %v", errs[0])
	for r, err := range errs {
		require.Error(t, err, "rank %d", r)
		if want != nil {
			assert.ErrorIs(t, err, want, "rank %d", r)
		}
		var he *h5.Error
		assert.ErrorAs(t, err, &he, "rank %d", r)
		for _, p := range parts {
			assert.Contains(t, err.Error(), p, "rank %d", r)
		}
		assert.Equal(t, errs[0].Error(), err.Error(), "rank %d's message differs from rank 0's", r)
	}
}

// The layout errors: every rank reports the same error before anything
// is written, and no file appears.
func TestLayoutErrors(t *testing.T) {
	cases := []struct {
		name   string
		global []int
		block  func(r int) (start, count []int)
		local  func(r int, count []int) int // length of the local slice
		parts  []string
	}{
		{"overlap", []int{40, 30},
			func(r int) ([]int, []int) { return []int{r * 9, 0}, []int{11, 30} },
			nil, []string{"ranks 0 and 1 overlap in [9:11, 0:30]"}},
		{"holes", []int{40, 30},
			func(r int) ([]int, []int) { return []int{r * 10, 0}, []int{9, 30} },
			nil, []string{"cover 1080 of the 1200 elements", "holes"}},
		{"outside", []int{40, 30},
			func(r int) ([]int, []int) { return []int{r * 10, 5 * (r / 3)}, []int{10, 30} },
			nil, []string{"rank 3", "start [30 5] count [10 30] lies outside the global shape [40 30]"}},
		{"wrong dimensions", []int{40, 30},
			func(r int) ([]int, []int) { return []int{r * 10}, []int{10} },
			nil, []string{"rank 0", "one entry per dimension"}},
		{"local length", []int{40, 30},
			func(r int) ([]int, []int) { return []int{r * 10, 0}, []int{10, 30} },
			func(r int, count []int) int { return 300 - r/2 }, []string{"rank 2", "holds 300 elements but the local slice has 299"}},
		{"empty extent", []int{40, 0},
			func(r int) ([]int, []int) { return []int{r * 10, 0}, []int{10, 0} },
			nil, []string{"extent below 1"}},
		{"disagree", nil,
			func(r int) ([]int, []int) { return []int{r * 10, 0}, []int{10, 30} },
			nil, []string{"ranks 0 and 1 disagree on the global shape: [40 30] and [40 31]"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "x.h5")
			errs := everyRank(t, 4, func(c *comm.Comm) error {
				start, count := tc.block(c.Rank())
				n := 1
				for _, x := range count {
					n *= x
				}
				if tc.local != nil {
					n = tc.local(c.Rank(), count)
				}
				global := tc.global
				if global == nil { // ranks pass different global shapes
					global = []int{40, 30 + c.Rank()}
				}
				return h5.WriteArray(c, file, "T", global, start, count, make([]float64, n))
			})
			requireAll(t, errs, h5.ErrLayout, append(tc.parts, dir+"/x.h5:/T")...)
			assert.Empty(t, dirEntries(t, dir), "a failed write left files")
		})
	}
}

// An existing dataset of another shape or type is not touched.
func TestMismatchedDataset(t *testing.T) {
	file := tempFile(t, "m.h5")
	write := func(c *comm.Comm, global []int, v any) error {
		switch v := v.(type) {
		case []float64:
			return h5.WriteArray(c, file, "g/T", global, []int{c.Rank() * len(v)}, []int{len(v)}, v)
		case []float32:
			return h5.WriteArray(c, file, "g/T", global, []int{c.Rank() * len(v)}, []int{len(v)}, v)
		}
		return errors.New("bad test")
	}
	require.NoError(t, commtest.Run(2, func(c *comm.Comm) error { return write(c, []int{4}, []float64{1, 2}) }))
	errs := everyRank(t, 2, func(c *comm.Comm) error { return write(c, []int{6}, []float64{1, 2, 3}) })
	requireAll(t, errs, h5.ErrMismatch, "rank 0", "exists with shape [4], not [6]")
	errs = everyRank(t, 2, func(c *comm.Comm) error { return write(c, []int{4}, []float32{1, 2}) })
	requireAll(t, errs, h5.ErrMismatch, "exists with element type float64, not float32")
	errs = everyRank(t, 2, func(c *comm.Comm) error {
		return h5.WriteArray(c, file, "g", []int{2}, []int{c.Rank()}, []int{1}, []int{1})
	})
	requireAll(t, errs, h5.ErrMismatch, "/g exists and is not a dataset")
	require.NoError(t, commtest.Run(1, func(c *comm.Comm) error {
		got := make([]float64, 4)
		err := h5.ReadArray(c, file, "g/T", []int{0}, []int{4}, got)
		assert.Equal(t, []float64{1, 2, 1, 2}, got)
		return err
	}))
}

// Paths that cannot be written: a missing directory, a directory where
// the file should be, a file that is not HDF5. The library's message
// reaches every rank.
func TestUnwritablePaths(t *testing.T) {
	dir := t.TempDir()
	notHDF5 := filepath.Join(dir, "text.h5")
	require.NoError(t, os.WriteFile(notHDF5, []byte("not HDF5\n"), 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub.h5"), 0o755))
	for _, tc := range []struct{ path, part string }{
		{filepath.Join(dir, "missing", "x.h5"), "missing: no such file or directory"},
		{filepath.Join(notHDF5, "x.h5"), "text.h5 is not a directory"},
		{filepath.Join(dir, "sub.h5"), "cannot open the file for writing"},
		{notHDF5, "file signature not found"},
	} {
		errs := everyRank(t, 3, func(c *comm.Comm) error {
			return h5.WriteArray(c, tc.path, "T", []int{3}, []int{c.Rank()}, []int{1}, []float64{1})
		})
		requireAll(t, errs, h5.ErrIO, "rank 0", tc.path+":/T", tc.part)
	}
	assert.ElementsMatch(t, []string{"text.h5", "sub.h5"}, dirEntries(t, dir))
	b, _ := os.ReadFile(notHDF5)
	assert.Equal(t, "not HDF5\n", string(b))
}

// A write that fails after the data went out leaves no file and no
// dataset claiming to be complete: a new file is never renamed into
// place, a new dataset never linked under its name, and a replaced
// dataset keeps its old values.
func TestFailedWriteLeavesNothing(t *testing.T) {
	fail := func(rank int) error {
		if rank == 1 {
			return errors.New("injected failure")
		}
		return nil
	}
	for _, s := range []h5.Strategy{h5.Direct, h5.Gather} {
		t.Run(s.String(), func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "f.h5")
			write := func(name string, v float64) []error {
				return everyRank(t, 3, func(c *comm.Comm) error {
					return h5.WriteArray(c, file, name, []int{3}, []int{c.Rank()}, []int{1}, []float64{v}, h5.WithStrategy(s))
				})
			}
			h5.SetTestHookWritten(fail)
			requireAll(t, write("a", 1), nil, "rank 1", "injected failure")
			h5.SetTestHookWritten(nil)
			assert.Empty(t, dirEntries(t, dir))

			for _, e := range write("a", 1) {
				require.NoError(t, e)
			}
			h5.SetTestHookWritten(fail)
			requireAll(t, write("b", 2), nil, "injected failure")
			requireAll(t, write("a", 3), nil, "injected failure")
			h5.SetTestHookWritten(nil)
			assert.Equal(t, []string{"f.h5"}, dirEntries(t, dir))
			out := runPython(t, `
import sys, h5py
def names(n, o): print(n)
f = h5py.File(sys.argv[1], "r")
f.visit(lambda n: print(n))
print(list(f["a"][...]))
`, file)
			assert.Equal(t, "a\n[1.0, 1.0, 1.0]\n", out)
		})
	}
}

// Options that cannot work are refused on every rank.
func TestOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []h5.Option
		part string
	}{
		{"direct compressed", []h5.Option{h5.WithStrategy(h5.Direct), h5.Deflate(1)}, "chunking and compression need Gather"},
		{"deflate level", []h5.Option{h5.Deflate(10)}, "deflate level 10"},
		{"chunk rank", []h5.Option{h5.Chunk(2)}, "chunk [2] has 1 dimensions, the array 2"},
		{"chunk zero", []h5.Option{h5.Chunk(2, 0)}, "entry below 1"},
		{"attribute type", []h5.Option{h5.Attr("x", struct{}{})}, `attribute "x"`},
		{"xdmf spacing", []h5.Option{h5.XDMF(), h5.Spacing(1, 2, 3)}, "spacing has 3 entries for a 2-D array"},
		{"empty dataset name", nil, "names no dataset"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			name := "T"
			if tc.opts == nil {
				name = "/"
			}
			errs := everyRank(t, 2, func(c *comm.Comm) error {
				return h5.WriteArray(c, filepath.Join(dir, "o.h5"), name, []int{2, 2}, []int{c.Rank(), 0}, []int{1, 2}, []float64{1, 2}, tc.opts...)
			})
			want := h5.ErrOption
			requireAll(t, errs, want, tc.part)
			assert.Empty(t, dirEntries(t, dir))
		})
	}
}

// Reading errors reach every rank too.
func TestReadErrors(t *testing.T) {
	file := tempFile(t, "r.h5")
	require.NoError(t, commtest.Run(1, func(c *comm.Comm) error {
		return h5.WriteArray(c, file, "T", []int{2, 3}, []int{0, 0}, []int{2, 3}, []int32{1, 2, 3, 4, 5, 6}, h5.Attr("n", 3))
	}))
	errs := everyRank(t, 2, func(c *comm.Comm) error {
		return h5.ReadArray(c, file, "T", []int{c.Rank(), 0}, []int{1, 3}, make([]float64, 3))
	})
	requireAll(t, errs, h5.ErrMismatch, "rank 0", "holds int32, not float64")
	errs = everyRank(t, 2, func(c *comm.Comm) error {
		return h5.ReadArray(c, file, "T", []int{c.Rank(), 1}, []int{1, 3}, make([]int32, 3))
	})
	requireAll(t, errs, h5.ErrLayout, "rank 0", "outside the global shape [2 3]")
	errs = everyRank(t, 2, func(c *comm.Comm) error {
		return h5.ReadArray(c, file, "U", []int{c.Rank(), 0}, []int{1, 3}, make([]int32, 3))
	})
	requireAll(t, errs, h5.ErrNotFound, "no dataset /U")
	errs = everyRank(t, 2, func(c *comm.Comm) error {
		return h5.ReadArray(c, file+".missing", "T", []int{c.Rank(), 0}, []int{1, 3}, make([]int32, 3))
	})
	requireAll(t, errs, h5.ErrIO, "cannot open the file", "No such file or directory")

	_, err := h5.ReadAttr[float64](file, "T", "n")
	assert.ErrorIs(t, err, h5.ErrMismatch)
	assert.ErrorContains(t, err, `attribute "n" holds int64, not float64`)
	_, err = h5.ReadAttr[int](file, "T", "m")
	assert.ErrorIs(t, err, h5.ErrNotFound)
	_, err = h5.Shape(file, "nothing")
	assert.ErrorIs(t, err, h5.ErrNotFound)
	n, err := h5.ReadAttr[int](file, "T", "n")
	assert.NoError(t, err)
	assert.Equal(t, 3, n)
	// No HDF5 error dump reached stderr: the library's printing is off.
	assert.False(t, strings.Contains(err2string(err), "HDF5-DIAG"))
}

func err2string(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
