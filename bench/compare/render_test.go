package compare

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRender(t *testing.T) {
	var r Runs
	r.Add("spmd", []Point{{0, 30}, {1 << 10, 40}, {16 << 20, 5000}})
	r.Add("openmpi", []Point{{0, 5}, {1 << 10, 8}})
	tab := Table{
		Title: "Latency", Unit: "us", Impls: []string{"spmd", "openmpi", "mpich"},
		Labels: map[string]string{"openmpi": "Open MPI"}, Num: "spmd", Base: "openmpi", LowerIsBetter: true,
	}
	var b strings.Builder
	require.NoError(t, tab.Render(&b, &r))
	want := "### Latency (us, median of rounds; lower is better)\n\n" +
		"| size | spmd (n=1) | Open MPI (n=1) | mpich (n=0) | spmd / Open MPI |\n" +
		"|---:|---:|---:|---:|---:|\n" +
		"| 0 | 30.0 | 5.00 | - | 6.00 |\n" +
		"| 1K | 40.0 | 8.00 | - | 5.00 |\n" +
		"| 16M | 5000 | - | - | - |\n\n"
	assert.Equal(t, want, b.String())
}

func TestSizeLabel(t *testing.T) {
	for n, want := range map[int]string{0: "0", 512: "512", 1024: "1K", 1536: "1536", 4 << 20: "4M", 3 << 10: "3K"} {
		assert.Equal(t, want, SizeLabel(n))
	}
}
