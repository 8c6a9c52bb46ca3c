package compare

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func write(t *testing.T, dir, name, body string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	assert.Equal(t, "spmd-latency-r2.txt", FileName("spmd", "latency", 2))
	write(t, dir, FileName("spmd", "latency", 1), "# h\n8 10\n")
	write(t, dir, FileName("spmd", "latency", 2), "# h\n8 30\n")
	write(t, dir, FileName("openmpi", "latency", 1), "8 5\n")
	write(t, dir, FileName("openmpi", "bandwidth", 1), "8 999\n")
	write(t, dir, "spmd-latency-r3.txt.failed", "garbage\n")
	runs, err := LoadDir(dir, "latency", []string{"spmd", "openmpi", "mpich"})
	require.NoError(t, err)
	assert.Equal(t, 2, runs.Rounds("spmd"))
	assert.Equal(t, 1, runs.Rounds("openmpi"))
	assert.Equal(t, 0, runs.Rounds("mpich"))
	m, _ := runs.Median("spmd", 8)
	assert.Equal(t, 20.0, m)
	m, _ = runs.Median("openmpi", 8)
	assert.Equal(t, 5.0, m)

	write(t, dir, FileName("mpich", "latency", 1), "oops\n")
	_, err = LoadDir(dir, "latency", []string{"mpich"})
	assert.ErrorIs(t, err, ErrFormat)
	assert.ErrorContains(t, err, "mpich-latency-r1.txt")
}
