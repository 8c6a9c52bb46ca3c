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
		{}, {"--max", "4"}, {"allreduce"}, {"latency", "--max", "x"},
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
	assert.Contains(t, out.String(), "usage: spmdrun -n 2 spmdbench")
	assert.Equal(t, 0, run([]string{"-h"}, &out, &out))
	assert.Equal(t, 2, run([]string{"nope"}, &out, &out))
}
