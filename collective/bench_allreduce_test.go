package collective

import (
	"fmt"
	"testing"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
)

// BenchmarkAllreduce times Allreduce of float64 sums, 8 B and 1 MiB, on 2
// and 4 in-process ranks (over loopback TCP), for the default choice and
// each algorithm. Allocations are the whole process's (every rank and the
// runtime) per call.
func BenchmarkAllreduce(b *testing.B) {
	for _, p := range []int{2, 4} {
		for _, bytes := range []int{8, 1 << 20} {
			for _, alg := range append([]string{""}, Algorithms()["allreduce"]...) {
				name := alg
				if name == "" {
					name = "default"
				}
				b.Run(fmt.Sprintf("p=%d/%dB/%s", p, bytes, name), func(b *testing.B) {
					benchAllreduce(b, p, bytes/8, alg)
				})
			}
		}
	}
}

func benchAllreduce(b *testing.B, p, n int, alg string) {
	iters := b.N
	b.ReportAllocs()
	b.SetBytes(int64(n * 8))
	err := commtest.Run(p, func(c *comm.Comm) error {
		setOverride(c, "allreduce", alg)
		send, recv := make([]float64, n), make([]float64, n)
		for i := range send {
			send[i] = float64(c.Rank() + i)
		}
		for range 3 { // warm up connections and scratch
			if err := Allreduce(c, send, recv, Sum); err != nil {
				return err
			}
		}
		if err := Barrier(c); err != nil {
			return err
		}
		if c.Rank() == 0 {
			b.ResetTimer()
		}
		for range iters {
			if err := Allreduce(c, send, recv, Sum); err != nil {
				return err
			}
		}
		if err := Barrier(c); err != nil {
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
}
