package shm

import (
	"fmt"
	"os"
	"testing"
)

// BenchmarkReadRemote measures process_vm_readv on this process's own
// memory, against a plain copy: the cost of the single-copy path.
func BenchmarkReadRemote(b *testing.B) {
	for _, n := range []int{64 << 10, 1 << 20, 16 << 20} {
		src, dst := make([]byte, n), make([]byte, n)
		for i := range src {
			src[i] = byte(i)
		}
		b.Run(fmt.Sprintf("cma/%dKiB", n>>10), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				if err := ReadRemote(os.Getpid(), Addr(src), dst); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("copy/%dKiB", n>>10), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				copy(dst, src)
			}
		})
	}
}
