//go:build cgo

// The tests below run heat2d as real jobs through spmdrun, as the tests of
// package examples run the other examples: TestMain builds spmdrun and
// heat2d once; each job runs under spmdrun --timeout and a context
// deadline, so a hang fails the test instead of stalling it.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	stdpng "image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
	"github.com/spmd-go/spmd/h5"
)

const (
	jobTimeout = 60 * time.Second // spmdrun --timeout
	cmdTimeout = 90 * time.Second // context of every command
)

var binDir string

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "spmd-heat2d-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "github.com/spmd-go/spmd/launcher/cmd/spmdrun", "github.com/spmd-go/spmd/examples/heat2d",
		"github.com/spmd-go/spmd/examples/heat2d/render")
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go %s: %v\n%s", strings.Join(args, " "), err, out)
		return 1
	}
	binDir = dir
	return m.Run()
}

type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit status %d\n--- stdout:\n%s--- stderr:\n%s", r.code, r.stdout, r.stderr)
}

// heat2d runs heat2d on n ranks in dir with args.
func heat2d(t *testing.T, dir string, n int, args ...string) result {
	t.Helper()
	cmd := job(t, dir, n, args...)
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	go func() {
		<-ctx.Done()
		if cmd.Process != nil && ctx.Err() == context.DeadlineExceeded {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	}()
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		t.Fatalf("heat2d %v did not finish within %v", args, cmdTimeout)
	}
	return finished(t, cmd, err)
}

// job prepares spmdrun -n n heat2d args, in its own process group (so that
// a test can kill the launcher and, through it, every rank).
func job(t *testing.T, dir string, n int, args ...string) *exec.Cmd {
	a := append([]string{"-n", strconv.Itoa(n), "--timeout", jobTimeout.String(), filepath.Join(binDir, "heat2d")}, args...)
	cmd := exec.Command(filepath.Join(binDir, "spmdrun"), a...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PMI_") && !strings.HasPrefix(kv, "SPMD_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "GORACE=atexit_sleep_ms=0")
	cmd.Stdout, cmd.Stderr = new(bytes.Buffer), new(bytes.Buffer)
	return cmd
}

func finished(t *testing.T, cmd *exec.Cmd, err error) result {
	t.Helper()
	r := result{stdout: cmd.Stdout.(*bytes.Buffer).String(), stderr: cmd.Stderr.(*bytes.Buffer).String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("spmdrun: %v", err)
	}
	return r
}

// read returns a whole 2-D dataset.
func read(t *testing.T, file, ds string) []float64 {
	t.Helper()
	shape, err := h5.Shape(file, ds)
	require.NoError(t, err)
	v := make([]float64, shape[0]*shape[1])
	require.NoError(t, commtest.Run(1, func(c *comm.Comm) error {
		return h5.ReadArray(c, file, ds, []int{0, 0}, shape, v)
	}))
	return v
}

// sameBits fails unless a and b hold the same float64 bits.
func sameBits(t *testing.T, a, b []float64, what string) {
	t.Helper()
	require.Equal(t, len(a), len(b), what)
	for k := range a {
		if math.Float64bits(a[k]) != math.Float64bits(b[k]) {
			t.Fatalf("%s: element %d differs: %v and %v", what, k, a[k], b[k])
		}
	}
}

// A small problem: uneven blocks on every rank count.
var small = []string{"-rows", "61", "-cols", "89", "-steps", "150", "-every", "50", "-check", "25", "-checkpoint", "0"}

// For a fixed number of steps, every output of a run on 2, 3, 4 and 6
// ranks is the 1-rank (serial) run's bit for bit.
func TestRanksGiveSerialBits(t *testing.T) {
	dir := t.TempDir()
	steps := []string{"/step_000000/T", "/step_000050/T", "/step_000100/T", "/step_000150/T"}
	var serial [][]float64
	for _, n := range []int{1, 2, 3, 4, 6} {
		out := fmt.Sprintf("n%d.h5", n)
		r := heat2d(t, dir, n, append(small, "-out", out)...)
		require.Equal(t, 0, r.code, r)
		assert.Regexp(t, fmt.Sprintf(`^heat2d: 61×89 grid on %d ranks? \(\d×\d\), steps 0\.\.150 `, n), r.stdout)
		file := filepath.Join(dir, out)
		names, err := h5.Datasets(file)
		require.NoError(t, err)
		require.Equal(t, steps, names)
		for k, ds := range steps {
			v := read(t, file, ds)
			if n == 1 {
				serial = append(serial, v)
				continue
			}
			sameBits(t, serial[k], v, fmt.Sprintf("%d ranks, %s", n, ds))
		}
	}
	// The field did change: the comparison is not between unchanged fields.
	assert.NotEqual(t, serial[0], serial[3])
}

// The default run (no flags) writes heat2d.h5 that h5py and h5dump read,
// with an XDMF file beside it; the checkpoint holds the last state. Under
// the race detector, which slows the program many times over, the run
// takes a tenth of the steps, with outputs and checkpoints to match.
func TestDefaultRunFile(t *testing.T) {
	if testing.Short() {
		t.Skip("the default problem takes seconds")
	}
	dir := t.TempDir()
	steps, every, args := 2000, 500, []string(nil)
	if raceEnabled {
		steps, every, args = 200, 50, []string{"-steps", "200", "-every", "50", "-checkpoint", "100"}
	}
	r := heat2d(t, dir, 4, args...)
	require.Equal(t, 0, r.code, r)
	assert.Regexp(t, fmt.Sprintf(`^heat2d: 400×600 grid on 4 ranks \(2×2\), steps 0\.\.%d `, steps), r.stdout)
	file := filepath.Join(dir, "heat2d.h5")
	assert.FileExists(t, filepath.Join(dir, "heat2d.xmf"))
	assert.FileExists(t, filepath.Join(dir, "heat2d-ckpt.h5"))

	py := python(t)
	out, err := exec.Command(py, "-c", `
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
steps, every = int(sys.argv[2]), int(sys.argv[3])
names = sorted(f)
assert names == ["step_%06d" % s for s in range(0, steps + 1, every)], names
for s in range(0, steps + 1, every):
    d = f["step_%06d/T" % s]
    assert d.shape == (400, 600) and d.dtype == np.float64
    a = d.attrs
    assert a["step"] == s and abs(a["time"] - s * 0.2 / 399**2) < 1e-15, dict(a)
    assert list(a["spacing"]) == [1 / 399, 1 / 399] and list(a["origin"]) == [0, 0]
    T = d[...]
    assert (T[0] == 100).all() and (T[-1] == 0).all() and (T[1:, 0] == 0).all() and (T[1:, -1] == 0).all()
    assert T.min() >= 0 and T.max() <= 100
print("ok", float(f["step_%06d/T" % steps][200, 300]))
`, file, strconv.Itoa(steps), strconv.Itoa(every)).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Regexp(t, `^ok \d+\.\d+`, string(out))

	// render draws the last field.
	png := filepath.Join(dir, "heat2d.png")
	out, err = exec.Command(filepath.Join(binDir, "render"), "-in", file, "-out", png).CombinedOutput()
	require.NoError(t, err, "%s", out)
	f, err := os.Open(png)
	require.NoError(t, err)
	defer f.Close()
	img, err := stdpng.Decode(f)
	require.NoError(t, err)
	assert.Greater(t, img.Bounds().Dx(), 400)

	if _, err := exec.LookPath("h5dump"); err != nil {
		t.Skip("h5dump is not installed (Debian: hdf5-tools)")
	}
	dump, err := exec.Command("h5dump", "-H", "-d", fmt.Sprintf("/step_%06d/T", steps), file).CombinedOutput()
	require.NoError(t, err, "%s", dump)
	assert.Contains(t, string(dump), "DATASPACE  SIMPLE { ( 400, 600 ) / ( 400, 600 ) }")
	assert.Contains(t, string(dump), `ATTRIBUTE "time"`)
}

// python returns a Python with h5py, or skips the test.
func python(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import h5py, numpy").Run() == nil {
			return p
		}
	}
	t.Skip("h5py is not installed (Debian: apt-get install python3-h5py; make test installs it)")
	return ""
}

var restartArgs = []string{"-rows", "61", "-cols", "89", "-every", "100", "-check", "50", "-checkpoint", "100"}

// A run stopped right after a checkpoint restarts from it on 2 ranks and
// ends with the uninterrupted serial run's field.
func TestRestartAfterStop(t *testing.T) {
	dir := t.TempDir()
	r := heat2d(t, dir, 1, append(restartArgs, "-steps", "300", "-out", "whole.h5", "-ckpt", "whole-ckpt.h5")...)
	require.Equal(t, 0, r.code, r)

	r = heat2d(t, dir, 4, append(restartArgs, "-steps", "300", "-stop-at", "250")...)
	require.Equal(t, 3, r.code, r)
	assert.Contains(t, r.stderr, "stopped after step 250")
	step, err := h5.ReadAttr[int](filepath.Join(dir, "heat2d-ckpt.h5"), "/T", "step")
	require.NoError(t, err)
	assert.Equal(t, 200, step)

	r = heat2d(t, dir, 2, append(restartArgs, "-steps", "300", "-restart", "heat2d-ckpt.h5")...)
	require.Equal(t, 0, r.code, r)
	assert.Regexp(t, `^heat2d: 61×89 grid on 2 ranks \(2×1\), steps 200\.\.300 `, r.stdout)
	sameBits(t, read(t, filepath.Join(dir, "whole.h5"), "/step_000300/T"), read(t, filepath.Join(dir, "heat2d.h5"), "/step_000300/T"), "restarted run")
}

// A run killed at an arbitrary moment (SIGKILL to the launcher, which
// takes every rank with it, perhaps in the middle of writing) leaves a
// complete checkpoint, from which 2 ranks finish with the serial run's
// field.
func TestRestartAfterKill(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "heat2d-ckpt.h5")
	args := []string{"-rows", "61", "-cols", "89", "-steps", "1000000", "-every", "0", "-check", "0", "-checkpoint", "20"}
	cmd := job(t, dir, 3, args...)
	require.NoError(t, cmd.Start())
	deadline := time.Now().Add(cmdTimeout)
	for {
		step, err := h5.ReadAttr[int](ckpt, "/T", "step")
		if err == nil && step >= 60 {
			break
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			t.Fatalf("no checkpoint past step 60 within %v", cmdTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL))
	r := finished(t, cmd, cmd.Wait())
	require.NotEqual(t, 0, r.code, r)

	step, err := h5.ReadAttr[int](ckpt, "/T", "step")
	require.NoError(t, err, "the checkpoint must be complete after the kill")
	final := strconv.Itoa(step + 40)
	args = []string{"-rows", "61", "-cols", "89", "-steps", final, "-every", "0", "-check", "0", "-checkpoint", "0"}
	r = heat2d(t, dir, 2, append(args, "-restart", "heat2d-ckpt.h5", "-out", "restarted.h5")...)
	require.Equal(t, 0, r.code, r)
	r = heat2d(t, dir, 1, append(args, "-out", "whole.h5")...)
	require.Equal(t, 0, r.code, r)
	ds := fmt.Sprintf("/step_%06d/T", step+40)
	sameBits(t, read(t, filepath.Join(dir, "whole.h5"), ds), read(t, filepath.Join(dir, "restarted.h5"), ds), "restarted run")
}

// Bad flags and a checkpoint that does not fit end the run with one line
// naming the cause.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	r := heat2d(t, dir, 1, "-rows", "2")
	assert.Equal(t, 2, r.code, r)
	assert.Equal(t, "heat2d: the grid must be at least 3×3, got 2×600\n", r.stderr[strings.Index(r.stderr, "heat2d:"):][:len("heat2d: the grid must be at least 3×3, got 2×600\n")])

	r = heat2d(t, dir, 2, "-restart", "missing.h5")
	assert.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stderr, "missing.h5")
	assert.Contains(t, r.stderr, "No such file or directory")

	r = heat2d(t, dir, 1, "-rows", "20", "-cols", "30", "-steps", "20", "-checkpoint", "10")
	require.Equal(t, 0, r.code, r)
	r = heat2d(t, dir, 1, "-rows", "21", "-cols", "30", "-restart", "heat2d-ckpt.h5")
	assert.Equal(t, 1, r.code, r)
	assert.Contains(t, r.stderr, "holds a [20 30] grid, the run is 21×30")
}
