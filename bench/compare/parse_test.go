package compare

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseTable(t *testing.T) {
	in := "# OSU-method Latency Test (spmd)\n# host: h\n# Size          Latency (us)\n0                       3.81\n\n1024   12.50  extra\n"
	pts, err := ParseTable(strings.NewReader(in))
	require.NoError(t, err)
	assert.Equal(t, []Point{{0, 3.81}, {1024, 12.5}}, pts)
}

func TestParseTableErrors(t *testing.T) {
	for _, in := range []string{"8\n", "x 1.0\n", "8 y\n", "-1 2\n", "[vm:12] warning: something\n"} {
		_, err := ParseTable(strings.NewReader(in))
		assert.ErrorIs(t, err, ErrFormat, "%q", in)
	}
}
