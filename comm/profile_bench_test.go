package comm_test

import (
	"syscall"
	"testing"

	"github.com/spmd-go/spmd/collective"
	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
)

// BenchmarkProfileSelf times an 8-byte Send and Recv to self, one rank, with
// the profile off, on, and with the trace on: the per-call cost of the
// profile without a peer's scheduling in the figure
// (bench/results/2026-12-06-profile-overhead). Besides the wall time it
// reports the process's CPU time per operation (cpu-ns/op), which a loaded
// machine inflates far less: time spent waiting for a core is not in it.
func BenchmarkProfileSelf(b *testing.B) {
	benchProfileSelf(b, func(c *comm.Comm, buf []float64) error {
		if err := comm.Send(c, buf, 0, 1); err != nil {
			return err
		}
		_, err := comm.Recv(c, buf, 0, 1)
		return err
	})
}

// BenchmarkProfileCollSelf is BenchmarkProfileSelf for a collective: an
// 8-byte Allreduce on one rank, which sends no message, so that the figure
// is the collective's own bookkeeping and the profile's part in it.
func BenchmarkProfileCollSelf(b *testing.B) {
	out := make([]float64, 1)
	benchProfileSelf(b, func(c *comm.Comm, buf []float64) error {
		return collective.Allreduce(c, buf, out, collective.Sum)
	})
}

// benchProfileSelf times op on one rank with the profile off, on, and
// with the trace on, in wall and CPU time per call of op.
func benchProfileSelf(b *testing.B, op func(c *comm.Comm, buf []float64) error) {
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
			var cpu cpuTimer
			err := commtest.Run(1, func(c *comm.Comm) error {
				buf := make([]float64, 1)
				b.ResetTimer()
				cpu.start()
				for range b.N {
					if err := op(c, buf); err != nil {
						return err
					}
				}
				b.StopTimer()
				cpu.stop(b)
				return nil
			}, commtest.Config(comm.Config{Profile: pc}))
			if err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkProfileJob runs spmdbench's cases in process, two ranks over
// shared memory: a ping-pong of 8 bytes (per round trip) and Allreduce of
// 8 bytes and 64 KiB, each with the profile off, on, and with the trace
// on.
func BenchmarkProfileJob(b *testing.B) {
	cases := []struct {
		name string
		f    func(c *comm.Comm, n int) error
	}{
		{"pingpong8", func(c *comm.Comm, n int) error {
			buf := make([]byte, 8)
			other := 1 - c.Rank()
			for range n {
				if c.Rank() == 0 {
					if err := comm.Send(c, buf, other, 1); err != nil {
						return err
					}
					if _, err := comm.Recv(c, buf, other, 1); err != nil {
						return err
					}
				} else {
					if _, err := comm.Recv(c, buf, other, 1); err != nil {
						return err
					}
					if err := comm.Send(c, buf, other, 1); err != nil {
						return err
					}
				}
			}
			return nil
		}},
		{"allreduce8", allreduceN(1)},
		{"allreduce64K", allreduceN(8 << 10)},
	}
	for _, cs := range cases {
		for _, mode := range []string{"off", "profile", "trace"} {
			b.Run(cs.name+"/"+mode, func(b *testing.B) {
				var pc comm.ProfileConfig
				switch mode {
				case "profile":
					pc.Dir = b.TempDir()
				case "trace":
					pc.TraceDir = b.TempDir()
				}
				err := commtest.Run(2, func(c *comm.Comm) error {
					if err := cs.f(c, 100); err != nil { // warm up
						return err
					}
					if c.Rank() == 0 {
						b.ResetTimer()
					}
					err := cs.f(c, b.N)
					if c.Rank() == 0 {
						b.StopTimer()
					}
					return err
				}, commtest.Config(comm.Config{Transport: comm.TransportShm, Profile: pc}))
				if err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}

func allreduceN(n int) func(c *comm.Comm, iters int) error {
	return func(c *comm.Comm, iters int) error {
		in, out := make([]float64, n), make([]float64, n)
		for range iters {
			if err := collective.Allreduce(c, in, out, collective.Sum); err != nil {
				return err
			}
		}
		return nil
	}
}

// cpuTimer measures the CPU time of the process (all threads) between
// start and stop.
type cpuTimer struct{ t0 int64 }

func cpuNow() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func (c *cpuTimer) start() { c.t0 = cpuNow() }

func (c *cpuTimer) stop(b *testing.B) {
	b.ReportMetric(float64(cpuNow()-c.t0)/float64(b.N), "cpu-ns/op")
}
