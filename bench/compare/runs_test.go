package compare

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMedian(t *testing.T) {
	assert.Equal(t, 0.0, Median(nil))
	assert.Equal(t, 2.0, Median([]float64{3, 1, 2}))
	assert.Equal(t, 2.5, Median([]float64{4, 1, 3, 2}))
	xs := []float64{3, 1, 2}
	Median(xs)
	assert.Equal(t, []float64{3, 1, 2}, xs, "input unchanged")
}

func TestRuns(t *testing.T) {
	var r Runs
	r.Add("a", []Point{{0, 1}, {8, 10}})
	r.Add("a", []Point{{0, 3}, {8, 30}})
	r.Add("a", []Point{{0, 2}})
	r.Add("b", []Point{{16, 5}})
	assert.Equal(t, 3, r.Rounds("a"))
	assert.Equal(t, 0, r.Rounds("c"))
	assert.Equal(t, []int{0, 8, 16}, r.Sizes())
	m, ok := r.Median("a", 0)
	assert.True(t, ok)
	assert.Equal(t, 2.0, m)
	m, _ = r.Median("a", 8)
	assert.Equal(t, 20.0, m)
	_, ok = r.Median("b", 0)
	assert.False(t, ok)
}
