package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"spmd-latency-r1.txt":        "# Size Latency (us)\n0 30\n8 31\n",
		"spmd-latency-r2.txt":        "0 32\n8 33\n",
		"openmpi-latency-r1.txt":     "0 5\n8 5.5\n",
		"mpich-latency-r1.txt":       "0 4\n8 4.5\n",
		"spmd-bandwidth-r1.txt":      "1 0.5\n",
		"openmpi-bandwidth-r1.txt":   "1 1.0\n",
		"mpich-bandwidth-r1.txt.err": "ignored\n",
	}
	for name, body := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	var out, errs strings.Builder
	require.Equal(t, 0, run([]string{"-dir", dir}, &out, &errs), errs.String())
	s := out.String()
	assert.Contains(t, s, "### OSU-method Latency Test (us, median of rounds; lower is better)")
	assert.Contains(t, s, "| size | spmd (n=2) | Open MPI (n=1) | MPICH (n=1) | spmd / Open MPI |")
	assert.Contains(t, s, "| 0 | 31.0 | 5.00 | 4.00 | 6.20 |")
	assert.Contains(t, s, "### OSU-method Bandwidth Test (MB/s, median of rounds; higher is better)")
	assert.Contains(t, s, "| 1 | 0.50 | 1.00 | - | 0.50 |")
}

func TestRunErrors(t *testing.T) {
	var out, errs strings.Builder
	assert.Equal(t, 2, run([]string{"-nope"}, &out, &errs))
	assert.Equal(t, 2, run([]string{"extra"}, &out, &errs))
	assert.Equal(t, 1, run([]string{"-benches", "allreduce_x"}, &out, &errs))
	assert.Equal(t, 1, run([]string{"-pick", "allreduce"}, &out, &errs))
	assert.Equal(t, 1, run([]string{"-pick", "latency:8,bandwidth:8"}, &out, &errs), "mixed units")
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "spmd-latency-r1.txt"), []byte("bad\n"), 0o644))
	assert.Equal(t, 1, run([]string{"-dir", dir, "-benches", "latency"}, &out, &errs))
}

func TestRunPick(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"spmd-allreduce-r1.txt":    "# Size Avg Latency(us) Min Max Iterations\n8 3.0 2.5 3.5 1000\n1048576 400 390 410 100\n",
		"openmpi-allreduce-r1.txt": "8 1.5 1.4 1.6 1000\n1048576 200 190 210 100\n",
		"mpich-allreduce-r1.txt":   "8 2.0 1.9 2.1 1000\n",
		"spmd-barrier-r1.txt":      "0 4.0 3.9 4.1 1000\n",
	}
	for name, body := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	var out, errs strings.Builder
	require.Equal(t, 0, run([]string{"-dir", dir, "-pick", "allreduce:8,allreduce:1M,barrier:0", "-title", "np=2"}, &out, &errs), errs.String())
	s := out.String()
	assert.Contains(t, s, "### np=2 (us, median of rounds; lower is better)")
	assert.Contains(t, s, "| benchmark | size | spmd | Open MPI | MPICH | spmd / Open MPI | spmd / MPICH |")
	assert.Contains(t, s, "| allreduce | 8 | 3.00 | 1.50 | 2.00 | 2.00 | 1.50 |")
	assert.Contains(t, s, "| allreduce | 1M | 400 | 200 | - | 2.00 | - |")
	assert.Contains(t, s, "| barrier | 0 | 4.00 | - | - | - | - |")
}
