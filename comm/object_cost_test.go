package comm

import (
	"syscall"
	"testing"
	"time"

	"github.com/spmd-go/spmd/internal/objcodec"
)

// BenchmarkObjectCost measures what SendObj and RecvObj add to Send and
// Recv for a []byte, without the transport: the sender's encoding into a
// pooled buffer and its return, and the receiver's header check, decoding
// into a reused slice and the return of its buffer. One goroutine, so the
// numbers hold on a loaded machine better than a ping-pong's; cpu-ns/op is
// the process's CPU time per operation, which a loaded machine inflates
// less than the wall time of ns/op.
func BenchmarkObjectCost(b *testing.B) {
	for _, size := range []int{8, 1 << 10, 64 << 10, 1 << 20} {
		b.Run(objSizeName(size), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			send := make([]byte, size)
			var v any = &send
			var recv []byte
			cpu0 := cpuTime()
			for range b.N {
				msg, _, err := objcodec.EncodeFast(v, objBuf)
				if err != nil {
					b.Fatal(err)
				}
				in := getPayload(len(msg)) // the receive's buffer
				copy(in, msg)              // what the transport does
				releaseObjBuf(msg)
				k, _, payload, err := objcodec.Header(in)
				if err != nil {
					b.Fatal(err)
				}
				if kept, err := objcodec.DecodeFast(k, payload, &recv, true); err != nil || kept && len(recv) > 0 && size == 0 {
					b.Fatal(err)
				} else if !kept {
					putPayload(in)
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

func objSizeName(n int) string {
	switch {
	case n >= 1<<20:
		return "1MiB"
	case n >= 1<<10 && n < 64<<10:
		return "1KiB"
	case n >= 64<<10:
		return "64KiB"
	}
	return "8B"
}

// cpuTime returns the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
