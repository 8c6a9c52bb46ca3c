package osu

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testReport() *Report {
	return &Report{
		Benchmark: Latency, Title: Latency.Title(), Unit: Latency.Unit(), Impl: "spmd",
		Machine: Machine{Host: "h", CPU: "c", Cores: 2, OS: "linux/amd64", GoVersion: "go1.26", Transport: "tcp", Date: "d"},
		Options: DefaultOptions(Latency),
		Results: []Result{{Size: 0, Iters: 10, Value: 3.814}, {Size: 1024, Iters: 10, Value: 12.5}},
	}
}

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, testReport().Write(&b, "table"))
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	assert.Equal(t, "# OSU-method Latency Test (spmd)", lines[0])
	assert.Contains(t, lines, "# transport: tcp")
	assert.Equal(t, "# Size          Latency (us)", lines[len(lines)-3])
	assert.Equal(t, "0                       3.81", lines[len(lines)-2])
	assert.Equal(t, "1024                   12.50", lines[len(lines)-1])
}

func TestWriteCSV(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, testReport().Write(&b, "csv"))
	assert.Contains(t, b.String(), "# date: d\nsize,us,iters\n0,3.814,10\n1024,12.500,10\n")
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	r := testReport()
	require.NoError(t, r.Write(&b, "json"))
	var back Report
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	assert.Equal(t, *r, back)
}

func TestWriteUnknownFormat(t *testing.T) {
	assert.ErrorIs(t, testReport().Write(&bytes.Buffer{}, "xml"), ErrOptions)
}
