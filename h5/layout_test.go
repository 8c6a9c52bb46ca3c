//go:build cgo

package h5

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRuns(t *testing.T) {
	type run struct{ at, local, n int }
	for _, tc := range []struct {
		name   string
		global []int
		b      block
		want   []run
	}{
		{"whole 1-D", []int{10}, block{[]int{0}, []int{10}}, []run{{0, 0, 10}}},
		{"part 1-D", []int{10}, block{[]int{3}, []int{4}}, []run{{3, 0, 4}}},
		{"rows span", []int{4, 5}, block{[]int{1, 0}, []int{2, 5}}, []run{{5, 0, 10}}},
		{"tile", []int{4, 5}, block{[]int{1, 2}, []int{2, 3}}, []run{{7, 0, 3}, {12, 3, 3}}},
		{"column", []int{3, 4}, block{[]int{0, 3}, []int{3, 1}}, []run{{3, 0, 1}, {7, 1, 1}, {11, 2, 1}}},
		{"3-D slab", []int{2, 3, 4}, block{[]int{0, 1, 0}, []int{2, 2, 4}}, []run{{4, 0, 8}, {16, 8, 8}}},
		{"3-D brick", []int{2, 3, 4}, block{[]int{1, 1, 1}, []int{1, 2, 2}}, []run{{17, 0, 2}, {21, 2, 2}}},
		{"empty", []int{4, 5}, block{[]int{1, 2}, []int{0, 3}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []run
			assert.NoError(t, runs(tc.global, tc.b, func(at, local, n int) error {
				got = append(got, run{at, local, n})
				return nil
			}))
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestCheckTiling(t *testing.T) {
	b := func(s0, s1, c0, c1 int) block { return block{[]int{s0, s1}, []int{c0, c1}} }
	for _, tc := range []struct {
		name   string
		blocks []block
		err    string
	}{
		{"2x2", []block{b(0, 0, 2, 3), b(0, 3, 2, 3), b(2, 0, 2, 3), b(2, 3, 2, 3)}, ""},
		{"with an empty block", []block{b(0, 0, 4, 6), b(4, 0, 0, 6)}, ""},
		{"rows out of order", []block{b(2, 0, 2, 6), b(0, 0, 2, 6)}, ""},
		{"overlap far apart in rank", []block{b(0, 0, 4, 3), b(3, 5, 1, 1), b(0, 3, 4, 3)}, "ranks 1 and 2 overlap in [3:4, 5:6]"},
		{"hole", []block{b(0, 0, 4, 3), b(0, 3, 3, 3)}, "cover 21 of the 24"},
		{"duplicate", []block{b(0, 0, 4, 6), b(0, 0, 4, 6)}, "ranks 0 and 1 overlap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkTiling([]int{4, 6}, tc.blocks)
			if tc.err == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, ErrLayout)
			assert.ErrorContains(t, err, tc.err)
		})
	}
}

func TestCheckBlock(t *testing.T) {
	g := []int{4, 6}
	assert.NoError(t, checkBlock(g, block{[]int{4, 6}, []int{0, 0}}, 0))
	assert.NoError(t, checkBlock(g, block{[]int{1, 2}, []int{3, 4}}, 12))
	for _, b := range []block{
		{[]int{-1, 0}, []int{1, 1}},
		{[]int{0, 0}, []int{5, 1}},
		{[]int{3, 5}, []int{1, 2}},
		{[]int{0, 0}, []int{-1, 1}},
		{[]int{0}, []int{1}},
	} {
		err := checkBlock(g, b, b.volume())
		assert.True(t, errors.Is(err, ErrLayout), "%v: %v", b, err)
	}
	assert.ErrorContains(t, checkBlock(g, block{[]int{0, 0}, []int{2, 2}}, 5), "holds 4 elements but the local slice has 5")
}

func TestDefaultChunk(t *testing.T) {
	assert.Equal(t, []int{40, 30}, defaultChunk([]int{40, 30}, 8))
	assert.Equal(t, []int{256, 512}, defaultChunk([]int{1024, 512}, 8))        // 1 MiB
	assert.Equal(t, []int{1, 1, 100000}, defaultChunk([]int{3, 5, 100000}, 8)) // rows as they are
	assert.Equal(t, []int{1, 1 << 17}, defaultChunk([]int{1, 1 << 20}, 8))     // the last dimension halves too
	assert.Equal(t, []int{1}, defaultChunk([]int{1}, 8))
}
