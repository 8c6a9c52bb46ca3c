package launcher

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// testLimit bounds every job in these tests; Run's own bounds should end
// them far sooner.
const testLimit = 30 * time.Second

// syncBuffer is a goroutine-safe buffer that can tell when it has seen a
// string a number of times.
type syncBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	needle string
	want   int
	seen   chan struct{}
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{} }

// watch returns a channel closed once the buffer holds needle want times.
func (b *syncBuffer) watch(needle string, want int) <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.needle, b.want, b.seen = needle, want, make(chan struct{})
	return b.seen
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	if b.seen != nil && strings.Count(b.buf.String(), b.needle) >= b.want {
		close(b.seen)
		b.seen = nil
	}
	return n, err
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// result is what a job run produced.
type result struct {
	code           int
	err            error
	stdout, stderr string
	pids           []int
	elapsed        time.Duration
}

// newJob returns a job of n ranks of pmirank with the given arguments and
// test buffers for output.
func newJob(n int, args ...string) (*Job, *syncBuffer, *syncBuffer) {
	out, errb := newSyncBuffer(), newSyncBuffer()
	return &Job{Program: pmirank, Args: args, N: n, Stdout: out, Stderr: errb, Grace: 2 * time.Second}, out, errb
}

// run runs j and checks afterwards that none of its ranks remains.
func run(t *testing.T, j *Job) result {
	t.Helper()
	var mu sync.Mutex
	var pids []int
	j.Started = func(rank, pid int) {
		mu.Lock()
		defer mu.Unlock()
		pids = append(pids, pid)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testLimit)
	defer cancel()
	start := time.Now()
	code, err := j.Run(ctx)
	r := result{code: code, err: err, elapsed: time.Since(start), pids: pids}
	require.NoError(t, ctx.Err(), "the job outlived the test's limit")
	if out, ok := j.Stdout.(*syncBuffer); ok {
		r.stdout = out.String()
	}
	if e, ok := j.Stderr.(*syncBuffer); ok {
		r.stderr = e.String()
	}
	for _, pid := range pids {
		assert.ErrorIs(t, unix.Kill(pid, 0), unix.ESRCH, "rank pid %d still exists", pid)
	}
	return r
}

// noticeLines returns the launcher's notice lines in stderr.
func noticeLines(stderr string) []string {
	var lines []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, DefaultName+": ") {
			lines = append(lines, l)
		}
	}
	return lines
}

func TestRunSucceeds(t *testing.T) {
	for n := 1; n <= 8; n++ {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			j, _, _ := newJob(n, "ok")
			r := run(t, j)
			require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
			require.NoError(t, r.err)
			assert.Empty(t, r.stderr)
			assert.Len(t, r.pids, n)
			for rank := range n {
				assert.Contains(t, r.stdout, fmt.Sprintf("rank %d of %d saw %d cards\n", rank, n, n))
			}
		})
	}
}

func TestRankExitEndsJob(t *testing.T) {
	j, _, _ := newJob(4, "exit", "2", "3")
	r := run(t, j)
	assert.Equal(t, 3, r.code)
	assert.Less(t, r.elapsed, 5*time.Second)
	var f *Failure
	require.ErrorAs(t, r.err, &f)
	assert.Equal(t, RankExited, f.Kind)
	assert.Equal(t, 2, f.Rank)
	require.Len(t, r.pids, 4)
	assert.Equal(t, r.pids[2], f.Pid)
	assert.Equal(t, []string{fmt.Sprintf("spmdrun: rank 2 (pid %d) exited with code 3; ending the job", r.pids[2])},
		noticeLines(r.stderr))
	assert.Equal(t, strings.Count(r.stderr, "\n"), 1, "one line only: %q", r.stderr)
}

func TestRankKilledBySignal(t *testing.T) {
	j, _, _ := newJob(3, "kill", "1")
	r := run(t, j)
	assert.Equal(t, 128+int(syscall.SIGKILL), r.code)
	require.Len(t, r.pids, 3)
	assert.Equal(t, []string{fmt.Sprintf("spmdrun: rank 1 (pid %d) killed by signal SIGKILL; ending the job", r.pids[1])},
		noticeLines(r.stderr))
}

func TestAbort(t *testing.T) {
	j, _, _ := newJob(3, "abort", "0", "5", "bad input")
	r := run(t, j)
	assert.Equal(t, 5, r.code)
	assert.Equal(t, []string{"spmdrun: rank 0 called abort with code 5: bad_input; ending the job"}, noticeLines(r.stderr))
	var f *Failure
	require.ErrorAs(t, r.err, &f)
	assert.Equal(t, RankAborted, f.Kind)
}

// TestAbortExplainsOwnExit: a rank that aborts and then exits at once (as
// MPICH's MPI_Abort does when the launcher closes its PMI connection) is
// reported for its abort, not its exit.
func TestAbortExplainsOwnExit(t *testing.T) {
	for range 3 {
		j, _, _ := newJob(2, "abortexit", "1", "7")
		r := run(t, j)
		assert.Equal(t, 7, r.code)
		assert.Equal(t, []string{"spmdrun: rank 1 called abort with code 7; ending the job"}, noticeLines(r.stderr))
	}
}

func TestAbortCodeOutOfRange(t *testing.T) {
	j, _, _ := newJob(1, "abort", "0", "0", "")
	r := run(t, j)
	assert.Equal(t, 1, r.code, "abort with code 0 must not read as success")
	assert.Equal(t, []string{"spmdrun: rank 0 called abort with code 0; ending the job"}, noticeLines(r.stderr))
}

func TestNoFinalizeFails(t *testing.T) {
	j, _, _ := newJob(2, "nofinalize")
	r := run(t, j)
	assert.Equal(t, 1, r.code)
	lines := noticeLines(r.stderr)
	require.Len(t, lines, 1)
	assert.Contains(t, lines[0], "without calling PMI finalize")
}

func TestNonPMIProgramSucceeds(t *testing.T) {
	j, _, _ := newJob(3, "nopmi")
	r := run(t, j)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, 3, strings.Count(r.stdout, "no pmi here\n"))
}

func TestTimeout(t *testing.T) {
	j, _, _ := newJob(3, "hang")
	j.Timeout = 200 * time.Millisecond
	r := run(t, j)
	assert.Equal(t, ExitTimeout, r.code)
	assert.Equal(t, "spmdrun: job timed out after 200ms\n", r.stderr)
	assert.Less(t, r.elapsed, 3*time.Second, "SIGTERM ends the ranks without waiting for the grace period")
}

func TestSignalThenKillAfterGrace(t *testing.T) {
	j, out, _ := newJob(2, "ignoreterm")
	j.Grace = 300 * time.Millisecond
	sigs := make(chan os.Signal, 1)
	j.Signals = sigs
	ready := out.watch("ready\n", 2)
	go func() {
		select {
		case <-ready:
			sigs <- syscall.SIGTERM
		case <-time.After(testLimit):
		}
	}()
	r := run(t, j)
	assert.Equal(t, 128+int(syscall.SIGTERM), r.code)
	assert.Equal(t, []string{"spmdrun: received SIGTERM; ending the job"}, noticeLines(r.stderr))
	var f *Failure
	require.ErrorAs(t, r.err, &f)
	assert.Equal(t, Interrupted, f.Kind)
}

func TestSecondSignalKillsAtOnce(t *testing.T) {
	j, out, _ := newJob(2, "ignoreterm")
	j.Grace = time.Hour
	sigs := make(chan os.Signal, 2)
	j.Signals = sigs
	ready := out.watch("ready\n", 2)
	go func() {
		select {
		case <-ready:
			sigs <- syscall.SIGINT
			sigs <- syscall.SIGINT
		case <-time.After(testLimit):
		}
	}()
	r := run(t, j)
	assert.Equal(t, 130, r.code)
	assert.Equal(t, []string{"spmdrun: received SIGINT; ending the job", "spmdrun: received SIGINT; killing the job"},
		noticeLines(r.stderr))
}

func TestFirstFailureWins(t *testing.T) {
	// Rank 1 fails; the others then die of the launcher's SIGTERM, which is
	// not reported.
	j, _, _ := newJob(5, "exit", "1", "7")
	r := run(t, j)
	assert.Equal(t, 7, r.code)
	assert.Len(t, noticeLines(r.stderr), 1)
}

var tagged = regexp.MustCompile(`^\[(\d)\] (?:line \d+ from rank (\d) end|last words of rank (\d))$`)

func TestTagOutputWholeLines(t *testing.T) {
	const n, lines = 4, 400
	j, _, _ := newJob(n, "partial", fmt.Sprint(lines))
	j.TagOutput = true
	r := run(t, j)
	require.Equal(t, 0, r.code, r.stderr)
	require.True(t, strings.HasSuffix(r.stdout, "\n"))
	got := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	assert.Len(t, got, n*(lines+1))
	perRank := map[string]int{}
	for _, l := range got {
		m := tagged.FindStringSubmatch(l)
		require.NotNil(t, m, "malformed line %q", l)
		assert.Equal(t, m[1], m[2]+m[3], "prefix names the writer: %q", l)
		perRank[m[1]]++
	}
	for rank := range n {
		assert.Equal(t, lines+1, perRank[fmt.Sprint(rank)])
	}
}

func TestUntaggedOutputPassesThrough(t *testing.T) {
	j, _, _ := newJob(1, "partial", "2")
	r := run(t, j)
	assert.Equal(t, "line 0 from rank 0 end\nline 1 from rank 0 end\nlast words of rank 0", r.stdout)
}

func TestStdinGoesToRankZero(t *testing.T) {
	j, _, _ := newJob(3, "stdin")
	j.Stdin = strings.NewReader("alpha\nbeta\n")
	r := run(t, j)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "got: alpha\ngot: beta\n", r.stdout, "rank 0 reads stdin once; the others read /dev/null")
}

func TestStdinFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in")
	require.NoError(t, os.WriteFile(path, []byte("from a file\n"), 0o600))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	j, _, _ := newJob(2, "stdin")
	j.Stdin = f
	r := run(t, j)
	assert.Equal(t, "got: from a file\n", r.stdout)
}

func TestEnvironment(t *testing.T) {
	t.Setenv("SPMD_TEST_INHERITED", "yes")
	j, _, _ := newJob(2, "env", "SPMD_TEST_X", "SPMD_TEST_INHERITED", "SPMD_LOCAL_RANK", "SPMD_LOCAL_SIZE",
		"MPI_LOCALRANKID", "MPI_LOCALNRANKS", "PMI_RANK", "PMI_SIZE", "PMI_FD", "SPMD_JOBID")
	j.Env = []string{"SPMD_TEST_X=exported value"}
	j.JobID = "cafe01"
	j.TagOutput = true
	r := run(t, j)
	require.Equal(t, 0, r.code, r.stderr)
	for rank := range 2 {
		for _, kv := range []string{"SPMD_TEST_X=exported value", "SPMD_TEST_INHERITED=yes",
			fmt.Sprintf("SPMD_LOCAL_RANK=%d", rank), "SPMD_LOCAL_SIZE=2", fmt.Sprintf("MPI_LOCALRANKID=%d", rank),
			"MPI_LOCALNRANKS=2", fmt.Sprintf("PMI_RANK=%d", rank), "PMI_SIZE=2", "PMI_FD=3", "SPMD_JOBID=cafe01"} {
			assert.Contains(t, r.stdout, fmt.Sprintf("[%d] %s\n", rank, kv))
		}
	}
}

func TestRandomJobID(t *testing.T) {
	j, _, _ := newJob(1, "env", "SPMD_JOBID")
	r := run(t, j)
	assert.Regexp(t, `^SPMD_JOBID=[0-9a-f]{16}\n$`, r.stdout)
}

func TestProgramNotFound(t *testing.T) {
	j, _, _ := newJob(2)
	j.Program = "./no-such-program"
	r := run(t, j)
	assert.Equal(t, ExitCannotRun, r.code)
	assert.Equal(t, "spmdrun: cannot run ./no-such-program: no such file or directory\n", r.stderr)
	assert.Empty(t, r.pids)

	j.Program = "no-such-program-in-path"
	r = run(t, j)
	assert.Equal(t, ExitCannotRun, r.code)
	assert.Contains(t, r.stderr, "cannot run no-such-program-in-path: executable file not found")
}

func TestProgramNotExecutable(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "data.txt")
	require.NoError(t, os.WriteFile(notExec, []byte("hello\n"), 0o644))
	noFormat := filepath.Join(dir, "garbage")
	require.NoError(t, os.WriteFile(noFormat, []byte{0, 1, 2, 3, 4, 5, 6, 7}, 0o755))
	for _, p := range []string{notExec, noFormat} {
		j, _, _ := newJob(3)
		j.Program = p
		r := run(t, j)
		assert.Equal(t, ExitCannotRun, r.code, p)
		assert.Len(t, noticeLines(r.stderr), 1)
		assert.Contains(t, r.stderr, "cannot run "+p)
	}
}

func TestInvalidJob(t *testing.T) {
	j, _, _ := newJob(-1, "ok")
	r := run(t, j)
	assert.Equal(t, ExitUsage, r.code)
	assert.Contains(t, r.stderr, "invalid job")
}

func TestContextCancelEndsJob(t *testing.T) {
	j, out, _ := newJob(2, "ignoreterm")
	j.Grace = 100 * time.Millisecond
	ready := out.watch("ready\n", 2)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-ready:
		case <-time.After(testLimit):
		}
		cancel()
	}()
	code, err := j.Run(ctx)
	assert.Equal(t, ExitInternal, code)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestOutputDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	j, _, _ := newJob(3, "partial", "2")
	j.OutputDir = dir
	j.TagOutput = true // does not apply to the files
	j.Env = []string{"PMIRANK_PIDS=1"}
	r := run(t, j)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Empty(t, r.stdout)
	assert.Empty(t, r.stderr)
	for rank := range 3 {
		out, err := os.ReadFile(OutputPath(dir, rank, "stdout"))
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("line 0 from rank %d end\nline 1 from rank %d end\nlast words of rank %d", rank, rank, rank), string(out))
		errb, err := os.ReadFile(OutputPath(dir, rank, "stderr"))
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("pid=%d\n", r.pids[rank]), string(errb))
	}
	assert.Equal(t, filepath.Join(dir, "rank.2", "stderr"), OutputPath(dir, 2, "stderr"))
}

func TestOutputDirUnwritable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	j, _, _ := newJob(2, "ok")
	j.OutputDir = filepath.Join(file, "sub") // a file where a directory should be
	r := run(t, j)
	assert.Equal(t, ExitInternal, r.code)
	assert.Empty(t, r.pids, "no rank starts")
	assert.Contains(t, r.stderr, "spmdrun: launcher failure: output directory: mkdir "+file+": not a directory")
}

// TestUnknownBindingRejected: a binding policy other than none or core
// fails the job before any rank starts.
func TestUnknownBindingRejected(t *testing.T) {
	j, _, _ := newJob(2, "ok")
	j.BindTo = "socket"
	r := run(t, j)
	assert.NotEqual(t, 0, r.code)
	require.Error(t, r.err)
	assert.Contains(t, r.err.Error(), `invalid binding "socket"`)
	assert.Empty(t, r.pids)
}
