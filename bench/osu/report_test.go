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

func testCollectiveReport() *Report {
	r := testReport()
	r.Benchmark, r.Title, r.Unit = Allreduce, Allreduce.Title(), Allreduce.Unit()
	r.Ranks, r.Algorithm = 4, "ring"
	r.Results = []Result{{Size: 8, Iters: 1000, Value: 1.5, Min: 1.25, Max: 1.75}}
	return r
}

func TestWriteCollectiveTable(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, testCollectiveReport().Write(&b, "table"))
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	assert.Equal(t, "# OSU-method MPI_Allreduce Latency Test (spmd)", lines[0])
	assert.Contains(t, lines, "# ranks: 4")
	assert.Contains(t, lines, "# algorithm: ring")
	assert.Equal(t, "# Size       Avg Latency(us)   Min Latency(us)   Max Latency(us)  Iterations", lines[len(lines)-2])
	assert.Equal(t, "8                       1.50              1.25              1.75        1000", lines[len(lines)-1])

	r := testCollectiveReport()
	r.Algorithm = ""
	b.Reset()
	require.NoError(t, r.Write(&b, "table"))
	assert.Contains(t, b.String(), "\n# algorithm: default\n")
}

func TestWriteCollectiveCSV(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, testCollectiveReport().Write(&b, "csv"))
	assert.Contains(t, b.String(), "# algorithm: ring\nsize,us,min_us,max_us,iters\n8,1.500,1.250,1.750,1000\n")
}

func TestWriteCollectiveJSON(t *testing.T) {
	var b bytes.Buffer
	r := testCollectiveReport()
	require.NoError(t, r.Write(&b, "json"))
	var back Report
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	assert.Equal(t, *r, back)
}
