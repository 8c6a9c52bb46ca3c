package comm_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
)

var benchSizes = []int{8, 1 << 10, 64 << 10, 256 << 10, 1 << 20, 16 << 20}

// benchTransports are the transports the benchmarks run over.
var benchTransports = []comm.Transport{comm.TransportTCP, comm.TransportShm}

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

// BenchmarkPingPong measures one-way latency between two ranks, OSU style:
// rank 0 sends, rank 1 returns the message, and the one-way time is half
// the round trip. Both ranks run in this process (commtest), each with its
// own runtime, over TCP loopback or shared memory; spmdbench measures ranks
// in separate processes, as users run them.
func BenchmarkPingPong(b *testing.B) {
	for _, tr := range benchTransports {
		for _, size := range benchSizes {
			b.Run(string(tr)+"/"+sizeName(size), func(b *testing.B) { benchPingPong(b, tr, size) })
		}
	}
}

func benchPingPong(b *testing.B, transport comm.Transport, size int) {
	b.ReportAllocs()
	b.SetBytes(int64(size))
	err := commtest.Run(2, func(c *comm.Comm) error {
		buf := make([]byte, size)
		other := 1 - c.Rank()
		for range 10 { // warm-up: connections, pools, TCP windows
			if err := pingPong(c, buf, other); err != nil {
				return err
			}
		}
		if c.Rank() == 0 {
			b.ResetTimer()
		}
		start := time.Now()
		for range b.N {
			if err := pingPong(c, buf, other); err != nil {
				return err
			}
		}
		if c.Rank() == 0 {
			b.StopTimer()
			b.ReportMetric(float64(time.Since(start).Nanoseconds())/1e3/float64(2*b.N), "µs/one-way")
		}
		return nil
	}, commtest.Config(comm.Config{Transport: transport}))
	if err != nil {
		b.Fatal(err)
	}
}

func pingPong(c *comm.Comm, buf []byte, other int) error {
	if c.Rank() == 0 {
		if err := comm.Send(c, buf, other, 0); err != nil {
			return err
		}
		_, err := comm.Recv(c, buf, other, 0)
		return err
	}
	if _, err := comm.Recv(c, buf, other, 0); err != nil {
		return err
	}
	return comm.Send(c, buf, other, 0)
}

// BenchmarkBandwidth measures unidirectional bandwidth OSU style: a window
// of 64 non-blocking sends, then a one-byte acknowledgement.
func BenchmarkBandwidth(b *testing.B) {
	for _, tr := range benchTransports {
		for _, size := range benchSizes[2:] {
			b.Run(string(tr)+"/"+sizeName(size), func(b *testing.B) { benchBandwidth(b, tr, size) })
		}
	}
}

func benchBandwidth(b *testing.B, transport comm.Transport, size int) {
	const window = 64
	b.SetBytes(int64(size) * window)
	err := commtest.Run(2, func(c *comm.Comm) error {
		bufs := make([][]byte, window)
		for i := range bufs {
			bufs[i] = make([]byte, size)
		}
		reqs := make([]*comm.Request, window)
		ack := make([]byte, 1)
		round := func() error {
			var err error
			for i := range window {
				if c.Rank() == 0 {
					reqs[i], err = comm.Isend(c, bufs[i], 1, 0)
				} else {
					reqs[i], err = comm.Irecv(c, bufs[i], 0, 0)
				}
				if err != nil {
					return err
				}
			}
			if err := comm.WaitAll(reqs...); err != nil {
				return err
			}
			if c.Rank() == 0 {
				_, err = comm.Recv(c, ack, 1, 1)
			} else {
				err = comm.Send(c, ack, 0, 1)
			}
			return err
		}
		if err := round(); err != nil {
			return err
		}
		if c.Rank() == 0 {
			b.ResetTimer()
		}
		for range b.N {
			if err := round(); err != nil {
				return err
			}
		}
		return nil
	}, commtest.Config(comm.Config{Transport: transport}))
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSendrecvSelf measures the software path of one small message,
// both ends in one rank: Sendrecv to itself posts the receive, writes the
// frame into the rank's own ring, reads it back, matches and completes.
// No cache line crosses cores, so this is the per-message CPU cost that
// adds to the transfer in a ping-pong.
func BenchmarkSendrecvSelf(b *testing.B) {
	b.ReportAllocs()
	err := commtest.Run(1, func(c *comm.Comm) error {
		send, recv := make([]float64, 1), make([]float64, 1)
		b.ResetTimer()
		for range b.N {
			if _, err := comm.Sendrecv(c, send, 0, 1, recv, 0, 1); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
