package collective

import (
	"fmt"
	"testing"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
)

// benchOp runs op b.N times on p in-process ranks (over loopback TCP) and
// reports the bytes of one rank's buffer per operation; the default
// choice ("") and every algorithm of family are measured.
func benchOp(b *testing.B, family string, p int, op func(c *comm.Comm) error) {
	for _, alg := range append([]string{""}, Algorithms()[family]...) {
		name := alg
		if name == "" {
			name = "default"
		}
		b.Run(fmt.Sprintf("p%d/%s", p, name), func(b *testing.B) {
			b.SetBytes(1 << 20)
			err := commtest.Run(p, func(c *comm.Comm) error {
				setOverride(c, family, alg)
				if err := op(c); err != nil { // warm up connections and scratch
					return err
				}
				if c.Rank() == 0 {
					b.ResetTimer()
				}
				for range b.N {
					if err := op(c); err != nil {
						return err
					}
				}
				// Stop the clock once every rank is done, not just rank 0.
				if err := Allgather(c, []int{0}, make([]int, p)); err != nil {
					return err
				}
				if c.Rank() == 0 {
					b.StopTimer()
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkBcast1MiB broadcasts 1 MiB on 2 and 4 ranks.
func BenchmarkBcast1MiB(b *testing.B) {
	buf := make([][]float64, 4)
	for _, p := range []int{2, 4} {
		benchOp(b, "bcast", p, func(c *comm.Comm) error {
			if buf[c.Rank()] == nil {
				buf[c.Rank()] = make([]float64, 1<<17)
			}
			return Bcast(c, buf[c.Rank()], 0)
		})
	}
}

// BenchmarkAllgather1MiB gathers 1 MiB in all (1 MiB / p per rank) on 2 and
// 4 ranks.
func BenchmarkAllgather1MiB(b *testing.B) {
	recv := make([][]float64, 4)
	for _, p := range []int{2, 4} {
		benchOp(b, "allgather", p, func(c *comm.Comm) error {
			me := c.Rank()
			if recv[me] == nil || len(recv[me]) != 1<<17 {
				recv[me] = make([]float64, 1<<17)
			}
			n := (1 << 17) / p
			return Allgather(c, nil, recv[me][:p*n])
		})
	}
}
