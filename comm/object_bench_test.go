package comm_test

import (
	"testing"
	"time"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
)

// BenchmarkObjPingPong measures one-way latency of SendObj/RecvObj of a
// []byte between two in-process ranks over shared memory, beside the raw
// Send/Recv of the same bytes, to show what the object path adds:
// "raw" is Send/Recv, "obj" SendObj of the slice (its conversion to an
// interface allocates), "objptr" SendObj of a pointer to it, "struct" a
// small gob-encoded struct holding the bytes.
func BenchmarkObjPingPong(b *testing.B) {
	for _, mode := range []string{"raw", "obj", "objptr", "struct"} {
		for _, size := range []int{8, 1 << 10, 64 << 10, 1 << 20} {
			b.Run(mode+"/"+sizeName(size), func(b *testing.B) { benchObjPingPong(b, mode, size) })
		}
	}
}

type benchRecord struct {
	ID   int
	Data []byte
}

func benchObjPingPong(b *testing.B, mode string, size int) {
	b.ReportAllocs()
	b.SetBytes(int64(size))
	err := commtest.Run(2, func(c *comm.Comm) error {
		send := make([]byte, size)
		var recv []byte
		rec, in := benchRecord{1, send}, benchRecord{}
		other := 1 - c.Rank()
		sendOne := func() error {
			switch mode {
			case "raw":
				return comm.Send(c, send, other, 0)
			case "obj":
				return comm.SendObj(c, send, other, 0)
			case "objptr":
				return comm.SendObj(c, &send, other, 0)
			}
			return comm.SendObj(c, &rec, other, 0)
		}
		recvOne := func() error {
			var err error
			switch mode {
			case "raw":
				_, err = comm.Recv(c, send, other, 0)
			case "struct":
				_, err = comm.RecvObj(c, &in, other, 0)
			default:
				_, err = comm.RecvObj(c, &recv, other, 0)
			}
			return err
		}
		step := func() error {
			if c.Rank() == 0 {
				if err := sendOne(); err != nil {
					return err
				}
				return recvOne()
			}
			if err := recvOne(); err != nil {
				return err
			}
			return sendOne()
		}
		for range 10 {
			if err := step(); err != nil {
				return err
			}
		}
		if c.Rank() == 0 {
			b.ResetTimer()
		}
		start := time.Now()
		for range b.N {
			if err := step(); err != nil {
				return err
			}
		}
		if c.Rank() == 0 {
			b.StopTimer()
			b.ReportMetric(float64(time.Since(start).Nanoseconds())/1e3/float64(2*b.N), "µs/one-way")
		}
		return nil
	}, commtest.Config(comm.Config{Transport: comm.TransportShm}))
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkObjSelf sends to the calling rank itself and receives, in one
// goroutine: the CPU cost of one message through each path, without the
// wait for a peer (which a loaded machine's scheduler dominates).
func BenchmarkObjSelf(b *testing.B) {
	for _, mode := range []string{"raw", "obj", "objptr", "struct"} {
		for _, size := range []int{8, 1 << 10, 64 << 10, 1 << 20} {
			b.Run(mode+"/"+sizeName(size), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(size))
				err := commtest.Run(1, func(c *comm.Comm) error {
					send := make([]byte, size)
					var recv []byte
					rec, in := benchRecord{1, send}, benchRecord{}
					one := func() error {
						var err error
						switch mode {
						case "raw":
							if err = comm.Send(c, send, 0, 0); err == nil {
								_, err = comm.Recv(c, send, 0, 0)
							}
						case "obj":
							if err = comm.SendObj(c, send, 0, 0); err == nil {
								_, err = comm.RecvObj(c, &recv, 0, 0)
							}
						case "objptr":
							if err = comm.SendObj(c, &send, 0, 0); err == nil {
								_, err = comm.RecvObj(c, &recv, 0, 0)
							}
						case "struct":
							if err = comm.SendObj(c, &rec, 0, 0); err == nil {
								_, err = comm.RecvObj(c, &in, 0, 0)
							}
						}
						return err
					}
					for range 10 {
						if err := one(); err != nil {
							return err
						}
					}
					b.ResetTimer()
					for range b.N {
						if err := one(); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}
