package sched

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExpandHostlist(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"tux0", []string{"tux0"}},
		{"tux[0-3,12]", []string{"tux0", "tux1", "tux2", "tux3", "tux12"}},
		{"linux[01-03]b", []string{"linux01b", "linux02b", "linux03b"}},
		{"n[8-10]", []string{"n8", "n9", "n10"}},
		{"n[098-100]", []string{"n098", "n099", "n100"}},
		{"a[0-1].b[0-1]", []string{"a0.b0", "a0.b1", "a1.b0", "a1.b1"}},
		{"n1,n[3-4],gpu[7]", []string{"n1", "n3", "n4", "gpu7"}},
		{"[1-2]x", []string{"1x", "2x"}},
	}
	for _, tt := range tests {
		got, err := ExpandHostlist(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestExpandHostlistErrors(t *testing.T) {
	for _, in := range []string{"", "a,", "a[1-", "a]", "a[[1]]", "a[3-1]", "a[x]", "a[]", "a[1-2-3]",
		"a[0-99999]", "a[0-999]b[0-999]", "a[1234567890]", "a/b"} {
		_, err := ExpandHostlist(in)
		assert.ErrorIs(t, err, ErrSyntax, in)
	}
}

func TestParseTasksPerNode(t *testing.T) {
	got, err := ParseTasksPerNode("2(x3),1")
	require.NoError(t, err)
	assert.Equal(t, []int{2, 2, 2, 1}, got)
	got, err = ParseTasksPerNode("72(x2),36")
	require.NoError(t, err)
	assert.Equal(t, []int{72, 72, 36}, got)
	for _, in := range []string{"", "0", "2(x0)", "2(x3", "2x3", "(x3)", "1,,2", "2(x99999999)"} {
		_, err := ParseTasksPerNode(in)
		assert.ErrorIs(t, err, ErrSyntax, in)
	}
}
