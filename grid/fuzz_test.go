package grid_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/grid"
)

// FuzzPack feeds Pack and Unpack arbitrary 3-d shapes, starts, extents
// and buffer lengths: they must return an error wrapping comm.ErrArg or
// copy exactly the block (checked against the element-wise version),
// never panic.
func FuzzPack(f *testing.F) {
	f.Add(3, 4, 5, 1, 0, 2, 2, 4, 3, 60, 24)
	f.Add(2, 2, 2, 0, 0, 0, 2, 2, 2, 8, 8)
	f.Add(4, 1, 6, 3, 0, 5, 1, 1, 1, 24, 1)
	f.Add(3, 4, 5, 2, 0, 0, 2, 4, 5, 60, 40) // past the end
	f.Add(-1, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0)
	f.Add(1<<40, 1<<40, 2, 0, 0, 0, 1, 1, 1, 10, 10)
	f.Fuzz(func(t *testing.T, s0, s1, s2, a0, a1, a2, c0, c1, c2, arrayLen, bufLen int) {
		shape, start, count := []int{s0, s1, s2}, []int{a0, a1, a2}, []int{c0, c1, c2}
		if arrayLen < 0 || arrayLen > 1<<16 || bufLen < 0 || bufLen > 1<<16 {
			t.Skip()
		}
		src := make([]int, arrayLen)
		for i := range src {
			src[i] = i
		}
		buf := slices.Repeat([]int{-1}, bufLen)
		n, err := grid.Pack(buf, src, shape, start, count)
		if err != nil {
			if !errors.Is(err, comm.ErrArg) {
				t.Fatalf("Pack: %v, not ErrArg", err)
			}
			if !slices.Equal(buf, slices.Repeat([]int{-1}, bufLen)) {
				t.Fatal("Pack failed but wrote")
			}
			return
		}
		want := naivePack(src, shape, start, count)
		if n != len(want) || !slices.Equal(buf[:n], want) {
			t.Fatalf("Pack(%v %v %v) = %v, want %v", shape, start, count, buf[:n], want)
		}
		dst := make([]int, arrayLen)
		if m, err := grid.Unpack(dst, shape, start, count, buf); err != nil || m != n {
			t.Fatalf("Unpack after a good Pack: %d, %v", m, err)
		}
		if got := naivePack(dst, shape, start, count); !slices.Equal(got, want) {
			t.Fatalf("Unpack put %v, want %v", got, want)
		}
	})
}
