package comm_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// jobRunner runs real jobs of one test program through spmdrun, both
// built once into a temporary directory: the tests of what a rank holds
// or is after Init, which only a process of its own shows.
type jobRunner struct {
	dir, prog string
}

// newJobRunner builds spmdrun and the test program pkg (an import path);
// the test is skipped in -short mode.
func newJobRunner(t *testing.T, pkg string) *jobRunner {
	t.Helper()
	if testing.Short() {
		t.Skip("builds spmdrun and runs jobs of processes")
	}
	dir := t.TempDir()
	out, err := exec.Command("go", "build", "-o", dir+string(filepath.Separator),
		"github.com/spmd-go/spmd/launcher/cmd/spmdrun", pkg).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return &jobRunner{dir: dir, prog: filepath.Join(dir, filepath.Base(pkg))}
}

// run runs a job of n ranks of the program with args, its environment
// extended by env, within limit, and returns its standard output; the
// job must succeed.
func (j *jobRunner) run(t *testing.T, n int, limit time.Duration, env []string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit+10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(j.dir, "spmdrun"),
		append([]string{"-n", strconv.Itoa(n), "--timeout", limit.String(), j.prog}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	require.NoError(t, err, "stderr:\n%s", stderr.String())
	return stdout
}
