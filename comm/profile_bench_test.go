package comm_test

import (
	"testing"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
)

// BenchmarkProfileSelf times an 8-byte Send and Recv to self, one rank, with
// the profile off, on, and with the trace on: the per-call cost of the
// profile without a peer's scheduling in the figure
// (bench/results/2026-12-06-profile-overhead).
func BenchmarkProfileSelf(b *testing.B) {
	for _, mode := range []string{"off", "profile", "trace"} {
		b.Run(mode, func(b *testing.B) {
			var pc comm.ProfileConfig
			switch mode {
			case "profile":
				pc.Dir = b.TempDir()
			case "trace":
				pc.TraceDir = b.TempDir()
			}
			b.ReportAllocs()
			err := commtest.Run(1, func(c *comm.Comm) error {
				buf := make([]float64, 1)
				b.ResetTimer()
				for range b.N {
					if err := comm.Send(c, buf, 0, 1); err != nil {
						return err
					}
					if _, err := comm.Recv(c, buf, 0, 1); err != nil {
						return err
					}
				}
				b.StopTimer()
				return nil
			}, commtest.Config(comm.Config{Profile: pc}))
			if err != nil {
				b.Fatal(err)
			}
		})
	}
}
