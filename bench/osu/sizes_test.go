package osu

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSizes(t *testing.T) {
	assert.Equal(t, []int{0, 1, 2, 4, 8}, Sizes(0, 8))
	assert.Equal(t, []int{1, 2, 4, 8}, Sizes(1, 15))
	assert.Equal(t, []int{3, 6, 12}, Sizes(3, 20))
	assert.Equal(t, []int{4}, Sizes(4, 4))
	assert.Empty(t, Sizes(5, 4))
	assert.Len(t, Sizes(0, 16<<20), 26)
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int{"0": 0, "8": 8, "4K": 4096, "4k": 4096, "16M": 16 << 20, "16MiB": 16 << 20, "2KB": 2048, "1G": 1 << 30, " 7 ": 7, "5B": 5} {
		got, err := ParseSize(in)
		if assert.NoError(t, err, in) {
			assert.Equal(t, want, got, in)
		}
	}
	for _, in := range []string{"", "K", "-1", "1.5M", "x", "99999999999999999999G"} {
		_, err := ParseSize(in)
		assert.ErrorIs(t, err, ErrOptions, in)
	}
}
