package collective

import (
	"fmt"

	"github.com/spmd-go/spmd/comm"
)

// Buffer layouts and the argument checks of the data-movement collectives
// (Bcast, Scatter, Gather, Allgather, Alltoall, their v and object forms).
// A buffer of p blocks is laid out by offsets off: block i is
// buf[off[i]:off[i+1]]. The v-variants take no explicit displacements;
// blocks lie back to back in rank order.

// isPow2 reports whether p is a power of two.
func isPow2(p int) bool { return p > 0 && p&(p-1) == 0 }

// checkCounts checks that counts has one entry per rank, none negative,
// and returns their sum.
func (x *call) checkCounts(what string, counts []int) (int, error) {
	if len(counts) != x.size {
		return 0, fmt.Errorf("collective: %s: %s has %d entries for %d ranks: %w", x.name, what, len(counts), x.size, comm.ErrArg)
	}
	sum := 0
	for i, n := range counts {
		if n < 0 {
			return 0, fmt.Errorf("collective: %s: %s[%d] = %d: %w", x.name, what, i, n, comm.ErrArg)
		}
		sum += n
	}
	return sum, nil
}

// checkBlocks checks the buffer of p equal blocks that a rank holds whole
// (recv of Gather and Allgather at the gathering ranks, send of Scatter at
// the root) against the block it contributes or receives, whose length is
// part: whole must hold p blocks of part elements. In place, the block is
// inside whole already, which must then be a multiple of p long; the block
// length is whole/p. It returns the block length; wholeName names the
// buffer in errors.
func (x *call) checkBlocks(wholeName string, whole, part int, inPlace bool) (int, error) {
	p, n := x.size, part
	if inPlace {
		if whole%p != 0 {
			return 0, fmt.Errorf("collective: %s: in place, len(%s) = %d is not a multiple of %d ranks: %w", x.name, wholeName, whole, p, comm.ErrArg)
		}
		n = whole / p
	}
	if whole < p*n {
		return 0, fmt.Errorf("collective: %s: len(%s) = %d < %d ranks × %d: %w", x.name, wholeName, whole, p, n, comm.ErrArg)
	}
	return n, nil
}

// checkCountedBlocks checks, at a Gatherv's or Scatterv's root, the counts
// and the buffer of blocks they lay out, whole elements long.
func (x *call) checkCountedBlocks(wholeName string, whole int, counts []int) error {
	sum, err := x.checkCounts("counts", counts)
	if err != nil {
		return err
	}
	if whole < sum {
		return fmt.Errorf("collective: %s: len(%s) = %d < %d counted: %w", x.name, wholeName, whole, sum, comm.ErrArg)
	}
	return nil
}

// blockOffsets returns the prefix sums of counts: block i of a buffer laid
// out by counts is buf[off[i]:off[i+1]].
func blockOffsets(counts []int) []int {
	off := make([]int, len(counts)+1)
	for i, n := range counts {
		off[i+1] = off[i] + n
	}
	return off
}

// equalOffsets is blockOffsets for p blocks of n elements.
func equalOffsets(p, n int) []int {
	off := make([]int, p+1)
	for i := range off {
		off[i] = i * n
	}
	return off
}

// virtualOffsets returns the layout of blocks in virtual-rank order for a
// tree rooted at root: virtual rank v is real rank (v+root) mod p, so the
// block of virtual rank v has counts[(v+root)%p] elements.
func virtualOffsets(counts []int, root int) []int {
	p := len(counts)
	off := make([]int, p+1)
	for v := range p {
		off[v+1] = off[v] + counts[(v+root)%p]
	}
	return off
}

// toVirtual copies src, laid out by off in real-rank order, into dst in
// virtual-rank order for root (a rotation: real blocks root…p-1 first).
func toVirtual[T any](dst, src []T, off []int, root int) {
	p := len(off) - 1
	k := copyHot(dst, src[off[root]:off[p]])
	copyHot(dst[k:], src[:off[root]])
}

// toReal undoes toVirtual.
func toReal[T any](dst, src []T, off []int, root int) {
	p := len(off) - 1
	k := off[p] - off[root]
	copyHot(dst[off[root]:off[p]], src[:k])
	copyHot(dst[:off[root]], src[k:off[p]])
}

// subtreeSpan is the number of ranks in the binomial subtree of virtual
// rank v among p: v itself and the ranks below it, [v, v+span). The root's
// subtree is everyone; any other v heads 2^k ranks, k its lowest set bit,
// clipped at p.
func subtreeSpan(v, p int) int {
	if v == 0 {
		return p
	}
	return min(v&-v, p-v)
}
