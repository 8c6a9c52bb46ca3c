package launcher

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/internal/jobnames"
)

// testCookie is a job cookie as hex, and testPrefix its segments' prefix.
const testCookie = "000102030405060708090a0b0c0d0e0f"

var testPrefix = jobnames.ShmPrefix([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})

func TestShmPrefix(t *testing.T) {
	p, ok := shmPrefix(testCookie)
	require.True(t, ok)
	assert.Equal(t, testPrefix, p)
	for _, bad := range []string{"not hex", ""} {
		_, ok = shmPrefix(bad)
		assert.False(t, ok, bad)
	}
}

// TestJobRemovesLeftSegments: segments a failed job's ranks left behind
// are gone when Run returns; other jobs' segments are untouched.
func TestJobRemovesLeftSegments(t *testing.T) {
	dir := t.TempDir()
	old := shmDir
	shmDir = dir
	t.Cleanup(func() { shmDir = old })
	mine := filepath.Join(dir, testPrefix+"3")
	other := filepath.Join(dir, "spmd-ffffffffffffffff-0")
	for _, f := range []string{mine, other} {
		require.NoError(t, os.WriteFile(f, []byte("x"), 0o600))
	}
	j, _, _ := newJob(2, "exit", "1", "4")
	j.Cookie = testCookie
	r := run(t, j)
	assert.Equal(t, 4, r.code)
	assert.NoFileExists(t, mine)
	assert.FileExists(t, other)
	assert.False(t, strings.Contains(r.stderr, "removing"), r.stderr)
}
