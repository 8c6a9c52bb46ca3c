package main

import (
	"bytes"
	"flag"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/bench/osu"
)

func TestParseArgsDefaults(t *testing.T) {
	a, err := parseArgs([]string{"latency"}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, osu.Latency, a.kind)
	assert.Equal(t, osu.DefaultOptions(osu.Latency), a.opts)
	assert.Equal(t, "table", a.format)
}

func TestParseArgsFlags(t *testing.T) {
	a, err := parseArgs([]string{"bw", "--min", "4K", "-max=1M", "--iters", "7", "--window", "8", "--target", "50ms", "--format", "json"}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, osu.Bandwidth, a.kind)
	assert.Equal(t, 4096, a.opts.MinSize)
	assert.Equal(t, 1<<20, a.opts.MaxSize)
	assert.Equal(t, 7, a.opts.Iters)
	assert.Equal(t, 8, a.opts.Window)
	assert.Equal(t, 50*time.Millisecond, a.opts.Target)
	assert.Equal(t, "json", a.format)
}

func TestParseArgsErrors(t *testing.T) {
	for _, argv := range [][]string{
		{}, {"--max", "4"}, {"allreduce_ring"}, {"latency", "--max", "x"},
		{"latency", "--algorithm", "ring"}, {"allreduce", "--algorithm", "nope"}, {"--list-algorithms", "x"},
		{"latency", "--format", "xml"}, {"latency", "extra"}, {"latency", "--min", "8", "--max", "4"},
	} {
		_, err := parseArgs(argv, &bytes.Buffer{})
		assert.Error(t, err, "%q", argv)
	}
}

func TestParseArgsHelp(t *testing.T) {
	var out bytes.Buffer
	_, err := parseArgs([]string{"--help"}, &out)
	assert.ErrorIs(t, err, flag.ErrHelp)
	assert.Contains(t, out.String(), "usage: spmdrun -n N spmdbench")
	assert.Equal(t, 0, run([]string{"-h"}, &out, &out))
	assert.Equal(t, 2, run([]string{"nope"}, &out, &out))
}

func TestParseArgsCollective(t *testing.T) {
	a, err := parseArgs([]string{"reduce-scatter", "--algorithm", "pairwise", "--max", "64K"}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, osu.ReduceScatter, a.kind)
	assert.Equal(t, "pairwise", a.algorithm)
	assert.Equal(t, 8, a.opts.MinSize)
	assert.Equal(t, 64<<10, a.opts.MaxSize)
	assert.Equal(t, 1000, a.opts.Iters)

	a, err = parseArgs([]string{"--list-algorithms"}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.True(t, a.list)
}

func TestListAlgorithms(t *testing.T) {
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{"--list-algorithms"}, &out, &errOut), errOut.String())
	assert.Contains(t, out.String(), "allreduce: recursive_doubling rabenseifner ring linear\n")
	assert.Contains(t, out.String(), "bcast: ")
}
