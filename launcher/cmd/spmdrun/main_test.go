package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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
	"golang.org/x/sys/unix"
)

// Binaries built by TestMain.
var spmdrun, pmirank string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "spmdrun-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	spmdrun, pmirank = filepath.Join(dir, "spmdrun"), filepath.Join(dir, "pmirank")
	build := exec.Command("go", "build", "-o", dir+"/", ".", "../../testdata/pmirank")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "building spmdrun and pmirank: %v\n", err)
		return 1
	}
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	return code
}

// testLimit bounds every spmdrun started by these tests.
const testLimit = 30 * time.Second

// spmdrunResult is what one spmdrun run produced.
type spmdrunResult struct {
	code           int
	stdout, stderr string
	elapsed        time.Duration
}

// runSpmdrun runs spmdrun with args and stdin, with env added to the
// environment.
func runSpmdrun(t *testing.T, stdin io.Reader, env []string, args ...string) spmdrunResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, spmdrun, args...)
	// SPMD_SCHEDULER=none keeps a batch job that runs the tests from
	// changing where the ranks go; tests of the detection override it.
	cmd.Env = append(append(os.Environ(), "SPMD_SCHEDULER=none"), env...)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := spmdrunResult{stdout: out.String(), stderr: errb.String(), elapsed: time.Since(start)}
	require.NoError(t, ctx.Err(), "spmdrun outlived the test's limit")
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return r
}

// pidsIn returns the pids the ranks printed ("pid=N") in s.
func pidsIn(t *testing.T, s string) []int {
	var pids []int
	for _, l := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(l, "pid="); ok {
			pid, err := strconv.Atoi(v)
			require.NoError(t, err)
			pids = append(pids, pid)
		}
	}
	return pids
}

func assertGone(t *testing.T, pids []int) {
	t.Helper()
	for _, pid := range pids {
		assert.ErrorIs(t, unix.Kill(pid, 0), unix.ESRCH, "rank pid %d still exists", pid)
	}
}

// notices returns spmdrun's own lines in stderr.
func notices(stderr string) []string {
	var lines []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "spmdrun: ") {
			lines = append(lines, l)
		}
	}
	return lines
}

func TestSpmdrunSuccess(t *testing.T) {
	r := runSpmdrun(t, nil, nil, "-n", "4", pmirank, "ok")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, 4, strings.Count(r.stdout, "of 4 saw 4 cards\n"))
}

func TestSpmdrunRankFailure(t *testing.T) {
	r := runSpmdrun(t, nil, nil, "-np", "4", "-x", "PMIRANK_PIDS=1", pmirank, "exit", "2", "3")
	assert.Equal(t, 3, r.code)
	assert.Less(t, r.elapsed, 5*time.Second)
	lines := notices(r.stderr)
	require.Len(t, lines, 1, r.stderr)
	assert.Regexp(t, `^spmdrun: rank 2 \(pid \d+\) exited with code 3; ending the job$`, lines[0])
	pids := pidsIn(t, r.stderr)
	assert.Len(t, pids, 4)
	assertGone(t, pids)
}

func TestSpmdrunKilledRank(t *testing.T) {
	r := runSpmdrun(t, nil, nil, "--np=2", pmirank, "kill", "0")
	assert.Equal(t, 137, r.code)
	assert.Contains(t, r.stderr, "killed by signal SIGKILL")
}

func TestSpmdrunAbort(t *testing.T) {
	r := runSpmdrun(t, nil, nil, "-n", "2", pmirank, "abort", "1", "42", "gave up")
	assert.Equal(t, 42, r.code)
	assert.Equal(t, []string{"spmdrun: rank 1 called abort with code 42: gave_up; ending the job"}, notices(r.stderr))
}

func TestSpmdrunTimeout(t *testing.T) {
	r := runSpmdrun(t, nil, nil, "-n", "2", "--timeout", "300ms", pmirank, "hang")
	assert.Equal(t, 124, r.code)
	assert.Equal(t, "spmdrun: job timed out after 300ms\n", r.stderr)
	assert.Less(t, r.elapsed, 3*time.Second)

	r = runSpmdrun(t, nil, []string{"SPMD_TIMEOUT=200ms"}, "-n", "2", pmirank, "hang")
	assert.Equal(t, 124, r.code)
	assert.Equal(t, "spmdrun: job timed out after 200ms\n", r.stderr)
}

func TestSpmdrunTagOutputAndArgsPassThrough(t *testing.T) {
	r := runSpmdrun(t, nil, nil, "--tag-output", "-n", "2", "--", pmirank, "partial", "3")
	assert.Equal(t, 0, r.code, r.stderr)
	for rank := range 2 {
		for i := range 3 {
			assert.Contains(t, r.stdout, fmt.Sprintf("[%d] line %d from rank %d end\n", rank, i, rank))
		}
		assert.Contains(t, r.stdout, fmt.Sprintf("[%d] last words of rank %d\n", rank, rank))
	}
}

func TestSpmdrunStdin(t *testing.T) {
	r := runSpmdrun(t, strings.NewReader("x\ny\n"), nil, "-n", "3", pmirank, "stdin")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "got: x\ngot: y\n", r.stdout)
}

func TestSpmdrunExport(t *testing.T) {
	r := runSpmdrun(t, nil, []string{"SPMD_FROM_PARENT=p"}, "-n", "1", "-x", "SPMD_A=1", "-x", "SPMD_FROM_PARENT",
		pmirank, "env", "SPMD_A", "SPMD_FROM_PARENT")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "SPMD_A=1\nSPMD_FROM_PARENT=p\n", r.stdout)
}

func TestSpmdrunCannotRun(t *testing.T) {
	r := runSpmdrun(t, nil, nil, "-n", "2", "./no-such-program")
	assert.Equal(t, 127, r.code)
	assert.Equal(t, "spmdrun: cannot run ./no-such-program: no such file or directory\n", r.stderr)
}

func TestSpmdrunUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"-n", "x", pmirank}, {"-n", "2"}, {"--bogus", pmirank}, {"--timeout", "1", pmirank}} {
		r := runSpmdrun(t, nil, nil, args...)
		assert.Equal(t, 2, r.code, args)
		assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
		assert.True(t, strings.HasPrefix(r.stderr, "spmdrun: "), r.stderr)
	}
}

func TestSpmdrunHelpAndVersion(t *testing.T) {
	r := runSpmdrun(t, nil, nil, "--help")
	assert.Equal(t, 0, r.code)
	assert.Equal(t, usage, r.stdout)
	r = runSpmdrun(t, nil, nil, "--version")
	assert.Equal(t, 0, r.code)
	assert.True(t, strings.HasPrefix(r.stdout, "spmdrun "), r.stdout)
}

// startHanging starts spmdrun with n hanging ranks and returns it once every
// rank has printed its pid.
func startHanging(t *testing.T, n int) (*exec.Cmd, []int, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(spmdrun, "-n", strconv.Itoa(n), "-x", "PMIRANK_PIDS=1", pmirank, "hang")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	rest := &bytes.Buffer{}
	pids := make(chan []int, 1)
	go func() {
		var got []int
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "pid="); ok {
				if pid, err := strconv.Atoi(v); err == nil {
					got = append(got, pid)
				}
				if len(got) == n {
					pids <- got
					break
				}
			}
		}
		_, _ = io.Copy(rest, stderr) // the rest, until spmdrun exits
		close(pids)
	}()
	select {
	case got, ok := <-pids:
		require.True(t, ok, "spmdrun ended before its ranks started")
		return cmd, got, rest
	case <-time.After(testLimit):
		t.Fatal("ranks did not start")
	}
	return nil, nil, nil
}

func TestSpmdrunForwardsSIGINT(t *testing.T) {
	cmd, pids, _ := startHanging(t, 3)
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	waitExit(t, cmd, 130)
	assertGone(t, pids)
}

func TestSpmdrunForwardsSIGTERM(t *testing.T) {
	cmd, pids, _ := startHanging(t, 2)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	waitExit(t, cmd, 143)
	assertGone(t, pids)
}

func TestSpmdrunKilledLeavesNoRanks(t *testing.T) {
	cmd, pids, _ := startHanging(t, 2)
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	// The kernel kills the ranks (Pdeathsig); they are reaped by init, so
	// their end is observed by polling, with a bound.
	assert.Eventually(t, func() bool {
		for _, pid := range pids {
			if running(pid) {
				return false
			}
		}
		return true
	}, 10*time.Second, 20*time.Millisecond, "ranks outlived spmdrun")
}

// running reports whether pid exists and is not a zombie (a dead rank that
// was reparented waits as a zombie until its new parent reaps it).
func running(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name: "pid (comm) S ...".
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}

// waitExit waits, with a bound, for cmd to exit with code.
func waitExit(t *testing.T, cmd *exec.Cmd, code int) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, code, ee.ExitCode())
	case <-time.After(testLimit):
		t.Fatal("spmdrun did not exit")
	}
}

// allowedCPUs returns the CPUs this process (and so spmdrun) may run on.
func allowedCPUs(t *testing.T) []int {
	t.Helper()
	var set unix.CPUSet
	require.NoError(t, unix.SchedGetaffinity(0, &set))
	var cpus []int
	for i := range len(set) * 64 {
		if set.IsSet(i) {
			cpus = append(cpus, i)
		}
	}
	return cpus
}

// cpuReport is a rank's script that prints the CPUs it may run on and the
// host's CPU count spmdrun told it.
const cpuReport = `grep Cpus_allowed_list /proc/self/status | tr -d '\t '; echo "cpus=$SPMD_HOST_CPUS"`

// TestSpmdrunBindToCore: with --bind-to core each rank may run on one CPU,
// consecutive ranks in blocks over the CPUs spmdrun may use, and is
// told how many the host has; with none, ranks keep spmdrun's CPUs; by
// default (auto), ranks are bound only when they are a multiple of the
// CPUs (2 or more).
func TestSpmdrunBindToCore(t *testing.T) {
	cpus := allowedCPUs(t)
	script := cpuReport
	n := len(cpus) + 1 // one rank more than CPUs: the first CPU takes two
	r := runSpmdrun(t, nil, nil, "--tag-output", "--bind-to", "core", "-n", strconv.Itoa(n), "sh", "-c", script)
	require.Equal(t, 0, r.code, r.stderr)
	for rank := range n {
		assert.Contains(t, r.stdout, fmt.Sprintf("[%d] Cpus_allowed_list:%d\n", rank, cpus[rank*len(cpus)/n]))
		assert.Contains(t, r.stdout, fmt.Sprintf("[%d] cpus=%d\n", rank, len(cpus)))
	}

	r = runSpmdrun(t, nil, nil, "--tag-output", "--bind-to", "none", "-n", "1", "sh", "-c", script)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "[0] cpus=\n")
	if len(cpus) > 1 {
		assert.NotContains(t, r.stdout, fmt.Sprintf("[0] Cpus_allowed_list:%d\n", cpus[0]), "unbound")
	}

	for _, policy := range []string{"auto", ""} {
		args := []string{"--tag-output", "-n", strconv.Itoa(2 * len(cpus)), "sh", "-c", script}
		if policy != "" { // else the default
			args = append([]string{"--bind-to", policy}, args...)
		}
		r = runSpmdrun(t, nil, nil, args...)
		require.Equal(t, 0, r.code, r.stderr)
		for rank := range 2 * len(cpus) {
			assert.Contains(t, r.stdout, fmt.Sprintf("[%d] Cpus_allowed_list:%d\n", rank, cpus[rank/2]), "two per CPU, %q", policy)
			assert.Contains(t, r.stdout, fmt.Sprintf("[%d] cpus=%d\n", rank, len(cpus)))
		}
		unbound := []int{len(cpus)} // a CPU for every rank
		if len(cpus) > 1 {
			unbound = append(unbound, n) // one rank more than CPUs: an uneven share
		}
		for _, m := range unbound {
			args[len(args)-4] = strconv.Itoa(m) // -n
			r = runSpmdrun(t, nil, nil, args...)
			require.Equal(t, 0, r.code, r.stderr)
			for rank := range m {
				assert.Contains(t, r.stdout, fmt.Sprintf("[%d] cpus=\n", rank), "%d ranks, %q", m, policy)
			}
			if len(cpus) > 1 {
				assert.NotContains(t, r.stdout, fmt.Sprintf("[0] Cpus_allowed_list:%d\n", cpus[0]), "unbound")
			}
		}
	}

	r = runSpmdrun(t, nil, nil, "--bind-to", "socket", "-n", "1", "sh", "-c", "true")
	assert.NotEqual(t, 0, r.code)
	assert.Contains(t, r.stderr, `invalid binding "socket"`)
}
