package main

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	return p
}

func TestSpmdrunHostfile(t *testing.T) {
	hf := writeFile(t, "hosts", "# two names for this machine\nlocalhost slots=2\n127.0.0.1:2\n")
	r := runSpmdrun(t, nil, nil, "--hostfile", hf, pmirank, "where")
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	sort.Strings(lines)
	assert.Equal(t, []string{
		"rank 0 local 0/2 mapping (vector,(0,2,2))",
		"rank 1 local 1/2 mapping (vector,(0,2,2))",
		"rank 2 local 0/2 mapping (vector,(0,2,2))",
		"rank 3 local 1/2 mapping (vector,(0,2,2))",
	}, lines)
}

func TestSpmdrunHostMapByNode(t *testing.T) {
	r := runSpmdrun(t, nil, nil, "--host", "localhost:2,127.0.0.1:2", "--map-by", "node", "-n", "3", pmirank, "where")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "rank 2 local 1/2 mapping (vector,(0,2,1))\n")
	assert.Contains(t, r.stdout, "rank 1 local 0/1 mapping (vector,(0,2,1))\n")
}

func TestSpmdrunPrintAllocation(t *testing.T) {
	hf := writeFile(t, "hosts", "a slots=2\nb:2\n")
	r := runSpmdrun(t, nil, []string{"PBS_NODEFILE=", "SLURM_JOB_ID=", "_CONDOR_PROCNO="}, "--hostfile", hf, "--map-by", "node", "--print-allocation")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "source: hostfile "+hf+"\nhosts: 2\nslots: 4\n  a slots=2\n  b slots=2\nranks: 4\n  a: 0,2\n  b: 1,3\n", r.stdout)
}

func TestSpmdrunBadHostfile(t *testing.T) {
	hf := writeFile(t, "hosts", "a:2\nb slots=two\n")
	r := runSpmdrun(t, nil, nil, "--hostfile", hf, pmirank, "ok")
	assert.Equal(t, 2, r.code)
	assert.Equal(t, "spmdrun: hostfile "+hf+":2: syntax error: host b: slots: invalid count \"two\": want 1..65536\n", r.stderr)

	r = runSpmdrun(t, nil, nil, "--hostfile", filepath.Join(t.TempDir(), "missing"), pmirank, "ok")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "no such file or directory")

	r = runSpmdrun(t, nil, nil, "--host", "localhost,elsewhere.invalid", "--launcher", "false", pmirank, "ok")
	assert.Equal(t, 255, r.code)
	assert.Contains(t, r.stderr, "spmdrun: lost host elsewhere.invalid: the command starting its proxy exited with code 1 before the proxy connected; ranks 1")
}

func TestSpmdrunOutputFilename(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	r := runSpmdrun(t, nil, nil, "-n", "2", "--output-filename", dir, pmirank, "ok")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Empty(t, r.stdout)
	for rank := range 2 {
		b, err := os.ReadFile(filepath.Join(dir, "rank."+strconv.Itoa(rank), "stdout"))
		require.NoError(t, err)
		assert.Equal(t, "rank "+strconv.Itoa(rank)+" of 2 saw 2 cards\n", string(b))
	}
}
