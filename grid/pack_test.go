package grid_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/grid"
)

// naiveIndex returns the row-major index of idx in an array of shape.
func naiveIndex(shape, idx []int) int {
	o := 0
	for i, x := range idx {
		o = o*shape[i] + x
	}
	return o
}

// naivePack is Pack written the obvious way, one element at a time, over
// every index of the block in row-major order.
func naivePack(src []int, shape, start, count []int) []int {
	var out []int
	idx := make([]int, len(shape))
	var rec func(d int)
	rec = func(d int) {
		if d == len(shape) {
			out = append(out, src[naiveIndex(shape, idx)])
			return
		}
		for i := range count[d] {
			idx[d] = start[d] + i
			rec(d + 1)
		}
	}
	rec(0)
	return out
}

func iota(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// TestPackAgainstNaive packs and unpacks every block of every shape up to
// 4 dimensions of extent ≤ 3 (and some larger ones) and compares with the
// element-by-element version.
func TestPackAgainstNaive(t *testing.T) {
	shapes := [][]int{{}, {5}, {3, 4}, {4, 1}, {1, 4}, {2, 3, 4}, {3, 1, 2}, {2, 2, 3, 2}, {6, 7}}
	for _, shape := range shapes {
		total := 1
		for _, s := range shape {
			total *= s
		}
		src := iota(total)
		n := len(shape)
		start, count := make([]int, n), make([]int, n)
		// Enumerate every (start, count) pair per dimension.
		var rec func(d int)
		rec = func(d int) {
			if d == n {
				want := naivePack(src, shape, start, count)
				buf := slices.Repeat([]int{-1}, len(want)+1)
				got, err := grid.Pack(buf, src, shape, start, count)
				if err != nil || got != len(want) || !slices.Equal(buf[:got], want) || buf[got] != -1 {
					t.Fatalf("Pack(shape %v start %v count %v) = %d, %v: %v, want %v", shape, start, count, got, err, buf, want)
				}
				// Unpack into a blank array puts back exactly the block.
				dst := slices.Repeat([]int{-1}, total)
				if k, err := grid.Unpack(dst, shape, start, count, buf); err != nil || k != len(want) {
					t.Fatalf("Unpack: %d, %v", k, err)
				}
				back := naivePack(dst, shape, start, count)
				if !slices.Equal(back, want) {
					t.Fatalf("Unpack(shape %v start %v count %v) put %v, want %v", shape, start, count, back, want)
				}
				outside := 0
				for _, v := range dst {
					if v == -1 {
						outside++
					}
				}
				if outside != total-len(want) {
					t.Fatalf("Unpack(shape %v start %v count %v) wrote outside the block: %v", shape, start, count, dst)
				}
				return
			}
			for s := 0; s <= shape[d]; s++ {
				for c := 0; s+c <= shape[d]; c++ {
					start[d], count[d] = s, c
					rec(d + 1)
				}
			}
		}
		rec(0)
	}
}

func TestPackErrors(t *testing.T) {
	src := make([]float64, 12)
	buf := make([]float64, 12)
	cases := []struct {
		name                string
		src, buf            []float64
		shape, start, count []int
	}{
		{"lengths", src, buf, []int{3, 4}, []int{0}, []int{1, 1}},
		{"past the end", src, buf, []int{3, 4}, []int{2, 0}, []int{2, 4}},
		{"negative start", src, buf, []int{3, 4}, []int{-1, 0}, []int{1, 1}},
		{"negative count", src, buf, []int{3, 4}, []int{0, 0}, []int{-1, 1}},
		{"negative shape", src, buf, []int{-3, 4}, []int{0, 0}, []int{0, 0}},
		{"array too short", src[:11], buf, []int{3, 4}, []int{0, 0}, []int{1, 1}},
		{"buffer too short", src, buf[:5], []int{3, 4}, []int{0, 0}, []int{2, 3}},
		{"overflow", src, buf, []int{1 << 40, 1 << 40}, []int{0, 0}, []int{1, 1}},
	}
	for _, tc := range cases {
		if _, err := grid.Pack(tc.buf, tc.src, tc.shape, tc.start, tc.count); !errors.Is(err, comm.ErrArg) {
			t.Errorf("Pack %s: %v, want ErrArg", tc.name, err)
		}
		if _, err := grid.Unpack(tc.src, tc.shape, tc.start, tc.count, tc.buf); !errors.Is(err, comm.ErrArg) {
			t.Errorf("Unpack %s: %v, want ErrArg", tc.name, err)
		}
	}
}

// TestPackAllocs: packing a 2-D column and a 3-D face allocates nothing.
func TestPackAllocs(t *testing.T) {
	a := make([]float64, 64*64*8)
	buf := make([]float64, 64*64)
	shape2, start2, count2 := []int{64, 64}, []int{1, 62}, []int{62, 2}
	shape3, start3, count3 := []int{8, 64, 64}, []int{0, 3, 0}, []int{8, 2, 64}
	shape4, start4, count4 := []int{4, 4, 8, 8}, []int{1, 1, 1, 0}, []int{2, 2, 2, 3}
	allocs := testing.AllocsPerRun(100, func() {
		_, _ = grid.Pack(buf, a, shape2, start2, count2)
		_, _ = grid.Unpack(a, shape3, start3, count3, buf)
		_, _ = grid.Pack(buf, a, shape4, start4, count4)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per pack/unpack", allocs)
	}
}

// Pack a column of a 4×5 matrix (the halo column a rank sends its right
// neighbour) and put it back as another column.
func ExamplePack() {
	shape := []int{4, 5}
	a := make([]float64, 20)
	for i := range a {
		a[i] = float64(i)
	}
	col := make([]float64, 4)
	n, err := grid.Pack(col, a, shape, []int{0, 3}, []int{4, 1})
	fmt.Println(n, col, err)
	if _, err := grid.Unpack(a, shape, []int{0, 0}, []int{4, 1}, col); err != nil {
		fmt.Println(err)
	}
	fmt.Println(a[0], a[5], a[10], a[15])
	// Output:
	// 4 [3 8 13 18] <nil>
	// 3 8 13 18
}
