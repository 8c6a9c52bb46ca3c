package collective

import (
	"fmt"
	"testing"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
)

// BenchmarkAllreduceObj measures AllreduceObj of a []float64 on two
// in-process ranks over shared memory, beside Allreduce of the same
// slice, with a function that returns a new slice (as NumPy's a + b
// does) and one that adds into its first argument: the difference is
// what the new slice costs, which the function pays, not AllreduceObj.
func BenchmarkAllreduceObj(b *testing.B) {
	sumNew := func(a, b []float64) []float64 {
		out := make([]float64, len(a))
		for i := range a {
			out[i] = a[i] + b[i]
		}
		return out
	}
	sumInto := func(a, b []float64) []float64 {
		for i := range a {
			a[i] += b[i]
		}
		return a
	}
	for _, n := range []int{1, 128, 8192, 131072} {
		for _, mode := range []string{"raw", "new", "into"} {
			b.Run(fmt.Sprintf("%s/%dB", mode, 8*n), func(b *testing.B) {
				b.ReportAllocs()
				err := commtest.Run(2, func(c *comm.Comm) error {
					v, out := make([]float64, n), make([]float64, n)
					one := func() error {
						var err error
						switch mode {
						case "raw":
							err = Allreduce(c, v, out, Sum)
						case "new":
							_, err = AllreduceObj(c, v, sumNew)
						default:
							copy(out, v) // sumInto writes its first argument
							_, err = AllreduceObj(c, out, sumInto)
						}
						return err
					}
					for range 10 {
						if err := one(); err != nil {
							return err
						}
					}
					if c.Rank() == 0 {
						b.ResetTimer()
					}
					for range b.N {
						if err := one(); err != nil {
							return err
						}
					}
					return nil
				}, commtest.Config(comm.Config{Transport: comm.TransportShm}))
				if err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}

// BenchmarkObjScratchPool is the per-call cost of finding AllreduceObj's
// pool of received slices.
func BenchmarkObjScratchPool(b *testing.B) {
	for range b.N {
		if objScratchPool[[]float64]() == nil {
			b.Fatal("no pool for []float64")
		}
	}
}
