package comm_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/spmd-go/spmd/comm"
)

func TestDimsCreate(t *testing.T) {
	tests := []struct {
		nnodes int
		dims   []int
		want   []int // nil: an error wrapping ErrArg
	}{
		{12, []int{0, 0}, []int{4, 3}},
		{7, []int{0, 0}, []int{7, 1}},
		{24, []int{0, 2, 0}, []int{4, 2, 3}},
		{6, []int{0, 0}, []int{3, 2}},
		{6, []int{0, 3, 0}, []int{2, 3, 1}},
		{72, []int{0, 0}, []int{9, 8}},
		{16, []int{0, 0, 0}, []int{4, 2, 2}},
		{60, []int{0, 0, 0}, []int{5, 4, 3}},
		{1024, []int{0, 0, 0}, []int{16, 8, 8}},
		{1, []int{0, 0, 0}, []int{1, 1, 1}},
		{4, []int{0}, []int{4}},
		{6, []int{2, 3}, []int{2, 3}},
		{8, []int{0, 4}, []int{2, 4}},
		{1, []int{}, []int{}},
		{7, []int{0, 3, 0}, nil}, // MPI's own example of an erroneous call
		{6, []int{2, 2}, nil},    // all fixed, product 4 ≠ 6
		{12, []int{8, 0}, nil},   // 8 does not divide 12
		{12, []int{4, 6}, nil},   // each divides 12, their product does not
		{2, []int{}, nil},        // no dimensions make one node
		{0, []int{0, 0}, nil},
		{-4, []int{0}, nil},
		{4, []int{-1, 0}, nil},
		{1 << 40, []int{0}, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.nnodes, tt.dims), func(t *testing.T) {
			in := slices.Clone(tt.dims)
			got, err := comm.DimsCreate(tt.nnodes, tt.dims)
			if !slices.Equal(in, tt.dims) {
				t.Errorf("dims changed from %v to %v", in, tt.dims)
			}
			if tt.want == nil {
				if !errors.Is(err, comm.ErrArg) {
					t.Fatalf("got %v, %v; want an error wrapping ErrArg", got, err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// TestDimsCreateProperties checks every count up to 300 in 1–4 free
// dimensions: the product is right, the entries do not increase, and in
// two dimensions the pair is the divisor pair nearest the square root
// (found here by a different route: the largest divisor ≤ √n).
func TestDimsCreateProperties(t *testing.T) {
	for n := 1; n <= 300; n++ {
		for k := 1; k <= 4; k++ {
			got, err := comm.DimsCreate(n, make([]int, k))
			if err != nil {
				t.Fatalf("DimsCreate(%d, %d zeros): %v", n, k, err)
			}
			prod := 1
			for i, d := range got {
				prod *= d
				if i > 0 && d > got[i-1] {
					t.Fatalf("DimsCreate(%d, %d zeros) = %v: increasing", n, k, got)
				}
			}
			if prod != n {
				t.Fatalf("DimsCreate(%d, %d zeros) = %v: product %d", n, k, got, prod)
			}
			if k == 2 {
				small := 1
				for d := 1; d*d <= n; d++ {
					if n%d == 0 {
						small = d
					}
				}
				if got[1] != small {
					t.Fatalf("DimsCreate(%d, [0 0]) = %v, want [%d %d]", n, got, n/small, small)
				}
			}
		}
	}
}

// DimsCreate picks a balanced process grid; fixed entries are kept.
func ExampleDimsCreate() {
	d2, _ := comm.DimsCreate(12, []int{0, 0})
	d3, _ := comm.DimsCreate(24, []int{0, 2, 0})
	_, err := comm.DimsCreate(7, []int{0, 3, 0})
	fmt.Println(d2, d3)
	fmt.Println(err)
	// Output:
	// [4 3] [4 2 3]
	// comm: dims create: fixed dims [0 3 0] do not divide 7 nodes: invalid argument
}

// FuzzDimsCreate: any input gives an error wrapping ErrArg or a grid that
// keeps the fixed entries, multiplies to nnodes and has its chosen
// entries in non-increasing order; never a panic.
func FuzzDimsCreate(f *testing.F) {
	f.Add(12, 0, 0, -5)
	f.Add(24, 0, 2, 0)
	f.Add(7, 0, 3, 0)
	f.Add(720720, 0, 0, 0)
	f.Add(-1, 0, 0, 0)
	f.Add(1<<31, 0, 0, 0)
	f.Fuzz(func(t *testing.T, nnodes, d0, d1, d2 int) {
		dims := []int{d0, d1, d2}
		if d2 == -5 { // two dimensions
			dims = dims[:2]
		}
		got, err := comm.DimsCreate(nnodes, dims)
		if err != nil {
			if !errors.Is(err, comm.ErrArg) {
				t.Fatalf("DimsCreate(%d, %v): %v, not ErrArg", nnodes, dims, err)
			}
			return
		}
		prod, last := 1, 0
		for i, d := range got {
			if dims[i] != 0 && d != dims[i] {
				t.Fatalf("DimsCreate(%d, %v) = %v changed a fixed entry", nnodes, dims, got)
			}
			if dims[i] == 0 {
				if last != 0 && d > last {
					t.Fatalf("DimsCreate(%d, %v) = %v: chosen entries increase", nnodes, dims, got)
				}
				last = d
			}
			prod *= d
		}
		if prod != nnodes {
			t.Fatalf("DimsCreate(%d, %v) = %v: product %d", nnodes, dims, got, prod)
		}
	})
}
