package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
