package sched

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
