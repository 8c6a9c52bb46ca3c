package collective

import "unsafe"

// copyHot is copy for data that is about to be read again — by this rank's
// next reduction, or by a peer that copies it out with process_vm_readv.
// Go's memmove switches to non-temporal stores (which bypass the caches)
// for copies of 1 MiB and more (runtime/memmove_amd64.s), so that the
// destination of one large copy lands in memory rather than in cache and
// its next reader pays a miss on every line. Copied in pieces below that
// threshold, the destination stays in cache: a copy followed by a read
// gets faster, and every collective's time no longer jumps from 512 KiB to
// 1 MiB (bench/results/2026-11-21-coll-shm-tuned/decisions.md).
//
// Beyond hotCopyMax (half the L3) the destination would not stay in cache
// anyway, and the non-temporal copy saves reading the destination's lines
// before writing them.
func copyHot[T any](dst, src []T) int {
	n := min(len(dst), len(src))
	if n == 0 {
		return 0
	}
	var z T
	size := n * int(unsafe.Sizeof(z))
	if size < hotCopyPiece || size > hotCopyMax {
		return copy(dst, src)
	}
	step := max(1, n*hotCopyPiece/size)
	for i := 0; i < n; i += step {
		j := min(i+step, n)
		copy(dst[i:j], src[i:j])
	}
	return n
}

// Piece and limit of copyHot, in bytes.
const (
	hotCopyPiece = 256 << 10
	hotCopyMax   = 16 << 20
)
