package comm

import (
	"syscall"
	"testing"
	"time"

	"github.com/spmd-go/spmd/internal/objcodec"
)

// BenchmarkObjectCost measures what SendObj and RecvObj add to Send and
// Recv for a []byte, without the transport, in one goroutine, taking the
// decisions they take over shared memory: a value within the eager limit
// is encoded into a spare buffer (header and a copy), received into a
// pooled buffer (the transport's copy here) and decoded into a reused
// slice; a larger one travels split, a head through the same buffers and
// the bytes by the transport's one copy straight into the reused slice.
// The numbers hold on a loaded machine better than a ping-pong's;
// cpu-ns/op is the process's CPU time per operation, which a loaded
// machine inflates less than the wall time of ns/op.
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
				if err := objectCostOne(v, &recv, DefaultShmEagerLimit); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// objectCostOne does what SendObj of v and RecvObj into recv do around a
// transport whose eager limit is eager, the transport's copies included.
func objectCostOne(v any, recv *[]byte, eager int) error {
	x, _, err := objcodec.View(v)
	if err != nil {
		return err
	}
	split := len(x.Bytes)+objcodec.HeaderSize > eager
	var msg []byte
	if split {
		msg = objBuf(objcodec.SplitSize)
		objcodec.PutSplit(msg, x.Kind, 1, len(x.Bytes))
	} else {
		msg = x.Encode(objBuf)
	}
	in := getPayload(len(msg)) // the receive's buffer
	copy(in, msg)              // what the transport does
	releaseObjBuf(msg)
	if split {
		k, _, n, err := objcodec.Split(in, 1<<40)
		putPayload(in)
		if err != nil {
			return err
		}
		dst, _, err := objcodec.Into(k, n, recv, getPayload)
		if err != nil {
			return err
		}
		copy(dst, x.Bytes) // the transport's copy of the payload
		return nil
	}
	k, _, payload, err := objcodec.Header(in)
	if err != nil {
		return err
	}
	kept, err := objcodec.DecodeFast(k, payload, recv, true)
	if !kept {
		putPayload(in)
	}
	return err
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
