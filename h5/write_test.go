//go:build cgo

package h5_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
	"github.com/spmd-go/spmd/h5"
)

// The acceptance: four ranks each write a tile of a 40×30 float64
// array holding 1000·i + j at (i, j); h5py reads the whole array with
// exactly those values and the attributes; three ranks read it back in
// other blocks; h5dump shows the dataset.
func TestWriteFourTilesReadThree(t *testing.T) {
	for _, s := range []h5.Strategy{h5.Auto, h5.Direct, h5.Gather} {
		t.Run(s.String(), func(t *testing.T) {
			file := tempFile(t, "tiles.h5")
			err := commtest.Run(4, func(c *comm.Comm) error {
				start, count := tile2x2(c.Rank())
				return h5.WriteArray(c, file, "/fields/T", []int{40, 30}, start, count, fill(start, count),
					h5.WithStrategy(s), h5.Time(0.25), h5.Step(10), h5.Spacing(0.5, 0.25), h5.Origin(-1, 2),
					h5.Attr("units", "kelvin"), h5.XDMF())
			})
			require.NoError(t, err)

			out := runPython(t, `
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
d = f["fields/T"]
i, j = np.indices((40, 30))
assert d.shape == (40, 30), d.shape
assert d.dtype == np.float64, d.dtype
assert (d[...] == 1000 * i + j).all(), "values differ"
a = d.attrs
assert a["time"] == 0.25 and a["step"] == 10, dict(a)
assert list(a["spacing"]) == [0.5, 0.25] and list(a["origin"]) == [-1, 2], dict(a)
assert a["units"] == "kelvin", a["units"]
print("ok", d.layout if hasattr(d, "layout") else "")
`, file)
			assert.Contains(t, out, "ok")

			err = commtest.Run(3, func(c *comm.Comm) error {
				// Column slabs this time: 0..10, 10..20, 20..30.
				start, count := []int{0, 10 * c.Rank()}, []int{40, 10}
				got := make([]float64, 400)
				if err := h5.ReadArray(c, file, "fields/T", start, count, got); err != nil {
					return err
				}
				if want := fill(start, count); !assert.Equal(t, want, got) {
					return fmt.Errorf("rank %d read other values", c.Rank())
				}
				return nil
			})
			require.NoError(t, err)

			dump := h5dump(t, "-H", file)
			assert.Contains(t, dump, `DATASET "T"`)
			assert.Contains(t, dump, "H5T_IEEE_F64LE")
			assert.Contains(t, dump, "( 40, 30 ) / ( 40, 30 )")

			tm, err := h5.ReadAttr[float64](file, "/fields/T", "time")
			require.NoError(t, err)
			assert.Equal(t, 0.25, tm)
			step, err := h5.ReadAttr[int](file, "/fields/T", "step")
			require.NoError(t, err)
			assert.Equal(t, 10, step)
			sp, err := h5.ReadAttr[[]float64](file, "/fields/T", "spacing")
			require.NoError(t, err)
			assert.Equal(t, []float64{0.5, 0.25}, sp)
			units, err := h5.ReadAttr[string](file, "/fields/T", "units")
			require.NoError(t, err)
			assert.Equal(t, "kelvin", units)
			names, err := h5.Datasets(file)
			require.NoError(t, err)
			assert.Equal(t, []string{"/fields/T"}, names)
			shape, err := h5.Shape(file, "/fields/T")
			require.NoError(t, err)
			assert.Equal(t, []int{40, 30}, shape)
			// Nothing but the file and its XDMF description is left.
			assert.ElementsMatch(t, []string{"tiles.h5", "tiles.xmf"}, dirEntries(t, strings.TrimSuffix(file, "/tiles.h5")))
		})
	}
}

// Every element type round-trips through a file, written by two ranks
// and read by three.
func TestElementTypes(t *testing.T) {
	file := tempFile(t, "types.h5")
	check := func(name string, write, read func(c *comm.Comm) error) {
		t.Helper()
		require.NoError(t, commtest.Run(2, write), name)
		require.NoError(t, commtest.Run(3, read), name)
	}
	roundTrip(t, check, file, "i8", func(i int) int8 { return int8(i - 50) })
	roundTrip(t, check, file, "i16", func(i int) int16 { return int16(i * -300) })
	roundTrip(t, check, file, "i32", func(i int) int32 { return int32(i * -70000) })
	roundTrip(t, check, file, "i64", func(i int) int64 { return int64(i) << 40 })
	roundTrip(t, check, file, "int", func(i int) int { return -i << 35 })
	roundTrip(t, check, file, "u8", func(i int) uint8 { return uint8(i) })
	roundTrip(t, check, file, "u16", func(i int) uint16 { return uint16(i * 600) })
	roundTrip(t, check, file, "u32", func(i int) uint32 { return uint32(i) * 70000 })
	roundTrip(t, check, file, "u64", func(i int) uint64 { return uint64(i) << 50 })
	roundTrip(t, check, file, "uint", func(i int) uint { return uint(i) << 45 })
	roundTrip(t, check, file, "f32", func(i int) float32 { return float32(i) / 3 })
	roundTrip(t, check, file, "f64", func(i int) float64 { return float64(i) / 7 })

	out := runPython(t, `
import sys, h5py
f = h5py.File(sys.argv[1], "r")
print(" ".join("%s=%s" % (k, f[k].dtype) for k in sorted(f)))
`, file)
	assert.Equal(t, "f32=float32 f64=float64 i16=int16 i32=int32 i64=int64 i8=int8 int=int64 u16=uint16 u32=uint32 u64=uint64 u8=uint8 uint=uint64\n", out)
}

func roundTrip[T h5.Number](t *testing.T, check func(string, func(*comm.Comm) error, func(*comm.Comm) error), file, name string, v func(int) T) {
	const n = 100
	all := make([]T, n)
	for i := range all {
		all[i] = v(i)
	}
	check(name, func(c *comm.Comm) error {
		lo, hi := c.Rank()*60, min(n, (c.Rank()+1)*60) // 60 and 40
		return h5.WriteArray(c, file, name, []int{n}, []int{lo}, []int{hi - lo}, all[lo:hi])
	}, func(c *comm.Comm) error {
		lo, hi := c.Rank()*n/3, (c.Rank()+1)*n/3
		if c.Rank() == 2 {
			hi = n
		}
		got := make([]T, hi-lo)
		if err := h5.ReadArray(c, file, name, []int{lo}, []int{hi - lo}, got); err != nil {
			return err
		}
		if !assert.Equal(t, all[lo:hi], got, name) {
			return errors.New("values differ")
		}
		return nil
	})
}

// Chunked, shuffled and deflated datasets go through the gather path and
// read back exactly; the filters are in the file.
func TestCompressed(t *testing.T) {
	file := tempFile(t, "z.h5")
	require.NoError(t, commtest.Run(4, func(c *comm.Comm) error {
		start, count := tile2x2(c.Rank())
		return h5.WriteArray(c, file, "T", []int{40, 30}, start, count, fill(start, count),
			h5.Chunk(20, 15), h5.Shuffle(), h5.Deflate(6))
	}))
	require.NoError(t, commtest.Run(2, func(c *comm.Comm) error {
		start, count := []int{20 * c.Rank(), 0}, []int{20, 30}
		got := make([]float64, 600)
		if err := h5.ReadArray(c, file, "T", start, count, got); err != nil {
			return err
		}
		if !assert.Equal(t, fill(start, count), got) {
			return errors.New("values differ")
		}
		return nil
	}))
	dump := h5dump(t, "-p", "-H", file)
	assert.Contains(t, dump, "CHUNKED ( 20, 15 )")
	assert.Contains(t, dump, "SHUFFLE")
	assert.Contains(t, dump, "DEFLATE")
	out := runPython(t, `
import sys, h5py, numpy as np
d = h5py.File(sys.argv[1], "r")["T"]
i, j = np.indices((40, 30))
print(d.compression, d.compression_opts, d.shuffle, (d[...] == 1000 * i + j).all())
`, file)
	assert.Equal(t, "gzip 6 True True\n", out)
}

// Writing a dataset that exists with the same shape and type replaces it;
// other datasets of the file stay.
func TestReplaceAndAdd(t *testing.T) {
	file := tempFile(t, "r.h5")
	write := func(name string, scale float64, s h5.Strategy) error {
		return commtest.Run(2, func(c *comm.Comm) error {
			v := []float64{scale * float64(c.Rank()), scale * float64(c.Rank()+10)}
			return h5.WriteArray(c, file, name, []int{4}, []int{2 * c.Rank()}, []int{2}, v, h5.WithStrategy(s))
		})
	}
	require.NoError(t, write("a", 1, h5.Direct))
	require.NoError(t, write("b", 2, h5.Gather))
	require.NoError(t, write("a", 3, h5.Direct))
	require.NoError(t, write("b", 4, h5.Direct))
	out := runPython(t, `
import sys, h5py
f = h5py.File(sys.argv[1], "r")
print(sorted(f), list(f["a"][...]), list(f["b"][...]))
`, file)
	assert.Equal(t, "['a', 'b'] [0.0, 30.0, 3.0, 33.0] [0.0, 40.0, 4.0, 44.0]\n", out)
}

// Ranks of several jobs in one process use the library at the same time;
// h5 takes them in turn (run under -race).
func TestConcurrentJobs(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for k := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			file := fmt.Sprintf("%s/job%d.h5", dir, k)
			errs[k] = commtest.Run(2, func(c *comm.Comm) error {
				for step := range 3 {
					v := []int32{int32(k), int32(step), int32(c.Rank())}
					err := h5.WriteArray(c, file, fmt.Sprintf("s%d", step), []int{2, 3}, []int{c.Rank(), 0}, []int{1, 3}, v,
						h5.WithStrategy(h5.Strategy(1+step%2)))
					if err != nil {
						return err
					}
				}
				got := make([]int32, 3)
				if err := h5.ReadArray(c, file, "s2", []int{1 - c.Rank(), 0}, []int{1, 3}, got); err != nil {
					return err
				}
				if want := []int32{int32(k), 2, int32(1 - c.Rank())}; !assert.Equal(t, want, got) {
					return errors.New("values differ")
				}
				return nil
			})
		}()
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
}
