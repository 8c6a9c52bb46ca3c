package launcher

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestBlockCPU: ranks that outnumber CPUs go to them in blocks of
// consecutive ranks, as even as the counts allow; with CPUs enough, the
// n-th rank gets the n-th CPU.
func TestBlockCPU(t *testing.T) {
	for _, c := range []struct {
		nlocal, ncpus int
		want          []int
	}{
		{4, 2, []int{0, 0, 1, 1}},
		{3, 2, []int{0, 0, 1}},
		{6, 4, []int{0, 0, 1, 2, 2, 3}},
		{8, 2, []int{0, 0, 0, 0, 1, 1, 1, 1}},
		{2, 4, []int{0, 1}},
		{4, 4, []int{0, 1, 2, 3}},
		{5, 1, []int{0, 0, 0, 0, 0}},
	} {
		got := make([]int, c.nlocal)
		for local := range c.nlocal {
			got[local] = blockCPU(local, c.nlocal, c.ncpus)
		}
		assert.Equal(t, c.want, got, "%d ranks on %d CPUs", c.nlocal, c.ncpus)
	}
}

// TestParseBinding: the three policies and the empty default are
// accepted as their constants; anything else is an error naming it.
func TestParseBinding(t *testing.T) {
	for in, want := range map[string]Binding{"": BindAuto, "auto": BindAuto, "none": BindNone, "core": BindCore} {
		got, err := ParseBinding(in)
		assert.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"socket", "Core", " core", "numa"} {
		_, err := ParseBinding(in)
		assert.ErrorContains(t, err, "invalid binding", in)
	}
}
