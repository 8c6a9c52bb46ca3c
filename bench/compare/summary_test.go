package compare

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePicks(t *testing.T) {
	picks, err := ParsePicks("allreduce:8, allreduce:1M,bcast:4K,barrier:0")
	require.NoError(t, err)
	assert.Equal(t, []Pick{{"allreduce", 8}, {"allreduce", 1 << 20}, {"bcast", 4 << 10}, {"barrier", 0}}, picks)
	for _, bad := range []string{"", "allreduce", ":8", "bcast:x", "bcast:-1", "bcast:1G", "bcast:08"} {
		_, err := ParsePicks(bad)
		assert.ErrorIs(t, err, ErrFormat, "%q", bad)
	}
}

func TestSummaryRender(t *testing.T) {
	var ar, bar Runs
	ar.Add("spmd", []Point{{8, 3}, {1 << 20, 400}})
	ar.Add("openmpi", []Point{{8, 1.5}, {1 << 20, 200}})
	ar.Add("mpich", []Point{{8, 2}})
	bar.Add("spmd", []Point{{0, 4}})
	s := Summary{
		Title: "np=2", Unit: "us", Impls: []string{"spmd", "openmpi", "mpich"},
		Labels: map[string]string{"openmpi": "Open MPI"}, Num: "spmd", LowerIsBetter: true,
	}
	var b strings.Builder
	require.NoError(t, s.Render(&b, []Pick{{"allreduce", 8}, {"allreduce", 1 << 20}, {"barrier", 0}, {"bcast", 8}},
		map[string]*Runs{"allreduce": &ar, "barrier": &bar}))
	want := "### np=2 (us, median of rounds; lower is better)\n\n" +
		"| benchmark | size | spmd | Open MPI | mpich | spmd / Open MPI | spmd / mpich |\n" +
		"|---|---:|---:|---:|---:|---:|---:|\n" +
		"| allreduce | 8 | 3.00 | 1.50 | 2.00 | 2.00 | 1.50 |\n" +
		"| allreduce | 1M | 400 | 200 | - | 2.00 | - |\n" +
		"| barrier | 0 | 4.00 | - | - | - | - |\n" +
		"| bcast | 8 | - | - | - | - | - |\n\n"
	assert.Equal(t, want, b.String())
}
