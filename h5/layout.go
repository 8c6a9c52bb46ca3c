//go:build cgo

package h5

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// A rank's part of a distributed array: the block start[d] ≤ i[d] <
// start[d]+count[d] of the global index space.
type block struct {
	Start, Count []int
}

func (b block) volume() int {
	v := 1
	for _, c := range b.Count {
		v *= c
	}
	return v
}

func (b block) String() string {
	s := "["
	for d := range b.Start {
		if d > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%d:%d", b.Start[d], b.Start[d]+b.Count[d])
	}
	return s + "]"
}

// checkShape rejects a global shape h5 cannot store: no dimensions, too
// many, an empty or negative extent, or more bytes than a file offset holds.
func checkShape(global []int, elemSize int) error {
	if len(global) == 0 || len(global) > maxRank {
		return fmt.Errorf("%w: global shape %v must have 1 to %d dimensions", ErrLayout, global, maxRank)
	}
	total := elemSize
	for _, g := range global {
		if g < 1 {
			return fmt.Errorf("%w: global shape %v has an extent below 1", ErrLayout, global)
		}
		if total > math.MaxInt64/g {
			return fmt.Errorf("%w: global shape %v is too large", ErrLayout, global)
		}
		total *= g
	}
	return nil
}

// checkBlock rejects a block that does not lie inside global, or whose
// local slice has the wrong length.
func checkBlock(global []int, b block, localLen int) error {
	if len(b.Start) != len(global) || len(b.Count) != len(global) {
		return fmt.Errorf("%w: start %v and count %v must have one entry per dimension of the global shape %v", ErrLayout, b.Start, b.Count, global)
	}
	for d := range global {
		if b.Start[d] < 0 || b.Count[d] < 0 || b.Start[d] > global[d] || b.Count[d] > global[d]-b.Start[d] {
			return fmt.Errorf("%w: block start %v count %v lies outside the global shape %v", ErrLayout, b.Start, b.Count, global)
		}
	}
	if v := b.volume(); v != localLen {
		return fmt.Errorf("%w: block %v holds %d elements but the local slice has %d", ErrLayout, b, v, localLen)
	}
	return nil
}

// checkTiling reports whether the blocks (all already inside global) tile
// it: no two non-empty blocks share an element, and together they cover
// every element. Given no overlap, covering is a matter of counting.
// Blocks are swept in order of their first coordinate, so that the common
// decompositions (slabs, grids) compare each block only with its few
// neighbours along the first dimension.
func checkTiling(global []int, blocks []block) error {
	order := make([]int, 0, len(blocks))
	covered := 0
	for r, b := range blocks {
		if b.volume() > 0 {
			order = append(order, r)
			covered += b.volume()
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return blocks[order[i]].Start[0] < blocks[order[j]].Start[0] })
	for i, r := range order {
		a := blocks[r]
		end := a.Start[0] + a.Count[0]
		for _, q := range order[i+1:] {
			b := blocks[q]
			if b.Start[0] >= end {
				break
			}
			if overlap, ok := intersect(a, b); ok {
				lo, hi := min(r, q), max(r, q)
				return fmt.Errorf("%w: the blocks of ranks %d and %d overlap in %v", ErrLayout, lo, hi, overlap)
			}
		}
	}
	total := 1
	for _, g := range global {
		total *= g
	}
	if covered != total {
		return fmt.Errorf("%w: the blocks cover %d of the %d elements of the global shape %v, leaving holes", ErrLayout, covered, total, global)
	}
	return nil
}

// intersect returns the block two blocks share, if any.
func intersect(a, b block) (block, bool) {
	var out block
	for d := range a.Start {
		lo := max(a.Start[d], b.Start[d])
		hi := min(a.Start[d]+a.Count[d], b.Start[d]+b.Count[d])
		if lo >= hi {
			return block{}, false
		}
		out.Start = append(out.Start, lo)
		out.Count = append(out.Count, hi-lo)
	}
	return out, true
}

// runs calls f for each maximal run of a block's elements that is
// contiguous in the row-major global array, in the block's own row-major
// order: the run starts at global element index at and local element
// index local and holds n elements. Trailing dimensions the block spans
// entirely merge into one run.
func runs(global []int, b block, f func(at, local, n int) error) error {
	if b.volume() == 0 {
		return nil
	}
	nd := len(global)
	// k is the dimension at which runs are cut: the block spans every
	// dimension after it entirely, so a run is count[k] of those slabs.
	k := nd - 1
	for k > 0 && b.Start[k] == 0 && b.Count[k] == global[k] {
		k--
	}
	stride := make([]int, nd) // elements between neighbours along d
	stride[nd-1] = 1
	for d := nd - 2; d >= 0; d-- {
		stride[d] = stride[d+1] * global[d+1]
	}
	n := b.Count[k] * stride[k]
	idx := slices.Clone(b.Start[:k]) // position in the outer dimensions
	local := 0
	for {
		at := b.Start[k] * stride[k]
		for d := range k {
			at += idx[d] * stride[d]
		}
		if err := f(at, local, n); err != nil {
			return err
		}
		local += n
		d := k - 1
		for ; d >= 0; d-- {
			idx[d]++
			if idx[d] < b.Start[d]+b.Count[d] {
				break
			}
			idx[d] = b.Start[d]
		}
		if d < 0 {
			return nil
		}
	}
}

// defaultChunk is the chunk shape used for compression when none is given:
// the global shape, halved along its slowest dimensions in turn until one
// chunk holds at most maxChunkBytes.
func defaultChunk(global []int, elemSize int) []int {
	const maxChunkBytes = 1 << 20
	c := slices.Clone(global)
	for {
		bytes := elemSize
		for _, x := range c {
			bytes *= x
		}
		if bytes <= maxChunkBytes {
			return c
		}
		halved := false
		for d := range c {
			if c[d] > 1 {
				c[d] = (c[d] + 1) / 2
				halved = true
				break
			}
		}
		if !halved {
			return c
		}
	}
}
