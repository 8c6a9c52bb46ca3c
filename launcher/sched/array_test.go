package sched

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseArray(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    Array
		indices []int
	}{
		{"1-10", Array{Ranges: []ArrayRange{{1, 10, 1}}}, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{"0-99:10%5", Array{Ranges: []ArrayRange{{0, 99, 10}}, Limit: 5}, []int{0, 10, 20, 30, 40, 50, 60, 70, 80, 90}},
		{"1,3,7-9", Array{Ranges: []ArrayRange{{1, 1, 1}, {3, 3, 1}, {7, 9, 1}}}, []int{1, 3, 7, 8, 9}},
		{"5", Array{Ranges: []ArrayRange{{5, 5, 1}}}, []int{5}},
		{"4-4", Array{Ranges: []ArrayRange{{4, 4, 1}}}, []int{4}},
	} {
		got, err := ParseArray(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, &tt.want, got, tt.in)
		assert.Equal(t, tt.indices, got.Indices(), tt.in)
	}
	for in, why := range map[string]string{
		"": "no indices", "%2": "no indices", "1-10%": "the limit after %", "1-10%0": "the limit after %", "a": `"a": want a number`,
		"1-": `"": want a number`, "3-1": "the first index is above the last", "1-5:0": `step "0"`, "1,,2": `"": want a number`,
		"1-3,2": "index 2 listed twice", "0-999999": "more than 100000 tasks", "1000000": `"1000000": want a number`,
		"1-10%2%3": "the limit after %", "-1": `"": want a number`, "1 - 2": `"1 ": want a number`,
	} {
		_, err := ParseArray(in)
		require.Error(t, err, in)
		assert.ErrorIs(t, err, ErrSyntax, in)
		assert.Contains(t, err.Error(), why, in)
	}
}

func TestArrayForms(t *testing.T) {
	a, err := ParseArray("1-7:3,20-22%4")
	require.NoError(t, err)
	assert.Equal(t, "1-7:3,20-22%4", a.String())
	assert.Equal(t, "1,4,7,20-22%4", a.torqueArray())
	_, err = a.pbsArray()
	assert.ErrorContains(t, err, "one range")
	_, _, err = a.condorQueue()
	assert.ErrorContains(t, err, "no limit on running tasks")

	a, err = ParseArray("0-3")
	require.NoError(t, err)
	q, idx, err := a.condorQueue()
	require.NoError(t, err)
	assert.Equal(t, "queue 4", q)
	assert.Equal(t, "$(Process)", idx)
	j, err := a.pbsArray()
	require.NoError(t, err)
	assert.Equal(t, "0-3", j)
}

// FuzzParseArray checks that the parser never panics, that what it
// accepts is in bounds and has no repeated index, and that String parses
// back to the same array.
func FuzzParseArray(f *testing.F) {
	for _, s := range []string{"1-10", "0-99:10%5", "1,3,7-9", "3-1", "1-3,2", "1-10%0", "0-999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseArray(s)
		if err != nil {
			require.ErrorIs(t, err, ErrSyntax)
			return
		}
		idx := a.Indices()
		require.NotEmpty(t, idx)
		require.LessOrEqual(t, len(idx), MaxArrayTasks)
		seen := map[int]bool{}
		for _, i := range idx {
			require.True(t, i >= 0 && i <= MaxArrayIndex)
			require.False(t, seen[i])
			seen[i] = true
		}
		again, err := ParseArray(a.String())
		require.NoError(t, err)
		require.Equal(t, a, again)
		if _, err := ParseArray(a.torqueArray()); err != nil {
			t.Fatalf("torque form %q: %v", a.torqueArray(), err)
		}
	})
}
