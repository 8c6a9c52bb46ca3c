package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/bench/osu"
	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
)

func TestBenchWritesRankZeroReport(t *testing.T) {
	a, err := parseArgs([]string{"latency", "--max", "16", "--iters", "3", "--warmup", "1"}, &bytes.Buffer{})
	require.NoError(t, err)
	var outs [2]bytes.Buffer
	err = commtest.Run(2, func(c *comm.Comm) error {
		return bench(c, a, &outs[c.Rank()])
	}, commtest.Timeout(time.Minute))
	require.NoError(t, err)
	assert.Empty(t, outs[1].String())
	out := outs[0].String()
	assert.Contains(t, out, "# OSU-method Latency Test (spmd)\n")
	assert.Contains(t, out, "# Size          Latency (us)\n")
	var data []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(l, "#") {
			data = append(data, strings.Fields(l)[0])
		}
	}
	assert.Equal(t, []string{"0", "1", "2", "4", "8", "16"}, data)
}

func TestBenchCollective(t *testing.T) {
	t.Setenv(osu.AlgorithmVar(osu.Allgather), "")
	a, err := parseArgs([]string{"allgather", "--max", "8", "--iters", "2", "--warmup", "1", "--algorithm", "bruck", "--format", "csv"}, &bytes.Buffer{})
	require.NoError(t, err)
	require.NoError(t, osu.ForceAlgorithm(a.kind, a.algorithm))
	var outs [3]bytes.Buffer
	err = commtest.Run(3, func(c *comm.Comm) error {
		return bench(c, a, &outs[c.Rank()])
	}, commtest.Timeout(time.Minute))
	require.NoError(t, err)
	assert.Empty(t, outs[1].String())
	out := outs[0].String()
	assert.Contains(t, out, "# OSU-method MPI_Allgather Latency Test (spmd)\n")
	assert.Contains(t, out, "# ranks: 3\n# algorithm: bruck\nsize,us,min_us,max_us,iters\n1,")
	assert.Contains(t, out, "\n8,")
}

// TestRunCollectiveSingleton runs spmdbench's whole path in a world of one
// rank (no launcher).
func TestRunCollectiveSingleton(t *testing.T) {
	t.Setenv(osu.AlgorithmVar(osu.Bcast), "")
	var out, errOut bytes.Buffer
	code := run([]string{"bcast", "--max", "4", "--iters", "2", "--warmup", "1", "--algorithm", "linear"}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	assert.Contains(t, out.String(), "# ranks: 1\n# algorithm: linear\n")
	assert.Regexp(t, `(?m)^4 +\d+\.\d\d +\d+\.\d\d +\d+\.\d\d +2$`, out.String())
}
