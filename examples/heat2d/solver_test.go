//go:build cgo

package main

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
	"github.com/spmd-go/spmd/grid"
)

// reference steps the whole grid the plainest way, as a serial program
// would: every point off the edge gets the five-point update.
func reference(u []float64, rows, cols, steps int) []float64 {
	u = append([]float64(nil), u...)
	next := append([]float64(nil), u...)
	for range steps {
		for i := 1; i < rows-1; i++ {
			for j := 1; j < cols-1; j++ {
				c := i*cols + j
				lap := float64(u[c-cols]+u[c+cols]) + float64(u[c-1]+u[c+1]) - float64(4*u[c])
				next[c] = u[c] + float64(r*lap)
			}
		}
		u, next = next, u
	}
	return u
}

// A grid cut into blocks, each stepped with interior and rim separately
// and its ghosts filled from the others by hand, gives the reference's
// bits: the split into phases and blocks changes no point's arithmetic.
func TestBlocksMatchReference(t *testing.T) {
	const rows, cols, steps = 13, 17, 25
	for _, p := range [][2]int{{1, 1}, {2, 1}, {1, 3}, {3, 2}, {4, 4}, {13, 1}} {
		var blocks []*block
		for pi := range p[0] {
			for pj := range p[1] {
				var s, c [2]int
				s[0], c[0] = split(rows, p[0], pi)
				s[1], c[1] = split(cols, p[1], pj)
				b := newBlock(rows, cols, s, c)
				b.initial()
				blocks = append(blocks, b)
			}
		}
		whole := gatherAll(blocks, rows, cols)
		want := reference(whole, rows, cols, steps)
		for range steps {
			for _, b := range blocks {
				b.interior(r)
			}
			fillGhosts(blocks, rows, cols)
			for _, b := range blocks {
				b.rim(r)
				b.swap()
			}
		}
		got := gatherAll(blocks, rows, cols)
		for k := range want {
			require.Equal(t, math.Float64bits(want[k]), math.Float64bits(got[k]), "grid %v, point (%d, %d)", p, k/cols, k%cols)
		}
	}
}

// gatherAll assembles the owned points of every block into one grid.
func gatherAll(blocks []*block, rows, cols int) []float64 {
	out := make([]float64, rows*cols)
	for _, b := range blocks {
		for i := range b.count[0] {
			for j := range b.count[1] {
				out[(b.start[0]+i)*cols+b.start[1]+j] = b.u[b.at(i, j)]
			}
		}
	}
	return out
}

// fillGhosts sets every block's ghost points from the owners of those
// points (what the halo exchange does with messages).
func fillGhosts(blocks []*block, rows, cols int) {
	whole := gatherAll(blocks, rows, cols)
	for _, b := range blocks {
		for i := -1; i <= b.count[0]; i++ {
			for j := -1; j <= b.count[1]; j++ {
				gi, gj := b.start[0]+i, b.start[1]+j
				inside := i >= 0 && i < b.count[0] && j >= 0 && j < b.count[1]
				if inside || gi < 0 || gi >= rows || gj < 0 || gj >= cols {
					continue
				}
				b.u[b.at(i, j)] = whole[gi*cols+gj]
			}
		}
	}
}

// split divides n points over p parts as grid.Block does (the first
// n mod p parts one point longer), for building blocks without ranks.
func split(n, p, k int) (start, count int) {
	base, extra := n/p, n%p
	if k < extra {
		return k * (base + 1), base + 1
	}
	return k*base + extra, base
}

// The blocks the reference test builds are the ones the program gets
// from grid.Block.
func TestSplitIsBlock(t *testing.T) {
	require.NoError(t, commtest.Run(6, func(c *comm.Comm) error {
		dims, err := comm.DimsCreate(c.Size(), []int{0, 0})
		if err != nil {
			return err
		}
		cart, err := comm.CartCreate(c, dims, []bool{false, false}, false)
		if err != nil {
			return err
		}
		start, count, err := grid.Block(cart, []int{13, 17})
		if err != nil {
			return err
		}
		coords, err := cart.CartCoords(cart.Rank())
		if err != nil {
			return err
		}
		s0, c0 := split(13, dims[0], coords[0])
		s1, c1 := split(17, dims[1], coords[1])
		assert.Equal(t, []int{s0, s1}, start)
		assert.Equal(t, []int{c0, c1}, count)
		return nil
	}))
}

// The initial field has the boundary values the solver keeps: 100 on the
// top edge, 0 on the others.
func TestInitialBoundary(t *testing.T) {
	b := newBlock(9, 12, [2]int{0, 0}, [2]int{9, 12})
	b.initial()
	for j := range 12 {
		assert.Equal(t, 100.0, b.u[b.at(0, j)])
		assert.Equal(t, 0.0, b.u[b.at(8, j)])
	}
	for i := 1; i < 9; i++ {
		assert.Equal(t, 0.0, b.u[b.at(i, 0)])
		assert.Equal(t, 0.0, b.u[b.at(i, 11)])
	}
	assert.Equal(t, 100.0, b.u[b.at(4, 5)], "the disc in the middle")
}
