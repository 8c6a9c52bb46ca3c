package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The interoperability tests with MPICH (Debian's mpich and libmpich-dev;
// scripts/setup-test.sh installs them): MPICH's mpiexec (Hydra) launches
// spmd programs, and spmdrun launches an MPICH program, whose PMI-1 client
// is MPICH's own.

// mpichTools returns the paths of mpiexec.mpich and mpicc.mpich, or skips.
func mpichTools(t *testing.T) (mpiexec, mpicc string) {
	t.Helper()
	var err error
	if mpiexec, err = exec.LookPath("mpiexec.mpich"); err != nil {
		t.Skip("mpiexec.mpich not found: install Debian's mpich (scripts/setup-test.sh) to run the MPICH interoperability tests")
	}
	if mpicc, err = exec.LookPath("mpicc.mpich"); err != nil {
		t.Skip("mpicc.mpich not found: install Debian's libmpich-dev (scripts/setup-test.sh) to run the MPICH interoperability tests")
	}
	return mpiexec, mpicc
}

// built holds programs built once for all the interoperability tests.
var built struct {
	once               sync.Once
	dir                string
	pi, ring, mpihello string
	err                error
}

// buildInterop builds examples/pi, examples/ring and testdata/mpihello.c.
func buildInterop(t *testing.T, mpicc string) (pi, ring, mpihello string) {
	t.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "spmd-mpich-")
		if built.err != nil {
			return
		}
		built.pi, built.ring = filepath.Join(built.dir, "pi"), filepath.Join(built.dir, "ring")
		built.mpihello = filepath.Join(built.dir, "mpihello")
		for _, c := range [][]string{
			{"go", "build", "-o", built.dir + "/", "../../../examples/pi", "../../../examples/ring"},
			{mpicc, "-o", built.mpihello, "../../testdata/mpihello.c"},
		} {
			if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
				built.err = fmt.Errorf("%s: %w\n%s", strings.Join(c, " "), err, out)
				return
			}
		}
	})
	require.NoError(t, built.err)
	return built.pi, built.ring, built.mpihello
}

// runCmd runs a command with a bound and returns its exit code and output.
func runCmd(t *testing.T, name string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "MPIEXEC_TIMEOUT=60", "SPMD_SCHEDULER=none")
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	require.NoError(t, ctx.Err(), "%s outlived the test's limit", name)
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	}
	require.NoError(t, err)
	return 0, out.String(), errb.String()
}

func TestMPICHMpiexecRunsSpmdPrograms(t *testing.T) {
	mpiexec, mpicc := mpichTools(t)
	pi, ring, _ := buildInterop(t, mpicc)

	code, out, errs := runCmd(t, mpiexec, "-n", "4", pi, "-n", "100000")
	require.Equal(t, 0, code, errs)
	assert.Regexp(t, `^pi ≈ 3\.14159\d* \(error .*\) from 4 ranks, 100000 intervals`, out)

	code, out, errs = runCmd(t, mpiexec, "-n", "3", ring)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "of 3 ranks")

	// A failing spmd rank fails mpiexec (Hydra kills the others).
	code, _, _ = runCmd(t, mpiexec, "-n", "3", pmirank, "exit", "1", "3")
	assert.NotEqual(t, 0, code)
}

func TestSpmdrunRunsMPICHProgram(t *testing.T) {
	_, mpicc := mpichTools(t)
	_, _, mpihello := buildInterop(t, mpicc)

	code, out, errs := runCmd(t, spmdrun, "-n", "4", mpihello)
	require.Equal(t, 0, code, errs)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	sort.Strings(lines)
	assert.Equal(t, []string{
		"mpihello rank 0 of 4 local 0 token 4 sum 6",
		"mpihello rank 1 of 4 local 1 token 2 sum 6",
		"mpihello rank 2 of 4 local 2 token 3 sum 6",
		"mpihello rank 3 of 4 local 3 token 4 sum 6",
	}, lines)

	// Two "nodes" (two names for this machine), round robin: MPICH reads
	// PMI_process_mapping and groups the ranks by node accordingly.
	code, out, errs = runCmd(t, spmdrun, "--host", "localhost:2,127.0.0.1:2", "--map-by", "node", mpihello)
	require.Equal(t, 0, code, errs)
	for r, local := range []int{0, 0, 1, 1} {
		assert.Regexp(t, fmt.Sprintf(`(?m)^mpihello rank %d of 4 local %d `, r, local), out)
	}

	// MPI_Abort reaches spmdrun as PMI abort: its code is the job's.
	code, _, errs = runCmd(t, spmdrun, "-n", "4", mpihello, "abort")
	assert.Equal(t, 7, code, errs)
	assert.Contains(t, errs, "spmdrun: rank 1 called abort with code 7; ending the job\n")
}
