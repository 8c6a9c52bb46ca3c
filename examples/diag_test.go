package examples_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testprogBuilds builds the programs of internal/testprogs into binDir,
// each once, for the tests of spmdrun's hang diagnostics.
var testprogBuilds struct {
	mu   sync.Mutex
	done map[string]error
}

// buildTestprog returns the name in binDir of internal/testprogs/name.
func buildTestprog(t *testing.T, name string) string {
	t.Helper()
	testprogBuilds.mu.Lock()
	defer testprogBuilds.mu.Unlock()
	if testprogBuilds.done == nil {
		testprogBuilds.done = map[string]error{}
	}
	err, ok := testprogBuilds.done[name]
	if !ok {
		args := []string{"build", "-o", filepath.Join(binDir, name)}
		if raceEnabled {
			args = append(args, "-race")
		}
		args = append(args, "github.com/spmd-go/spmd/examples/internal/testprogs/"+name)
		if out, berr := exec.Command("go", args...).CombinedOutput(); berr != nil {
			err = fmt.Errorf("building %s: %w\n%s", name, berr, out)
		}
		testprogBuilds.done[name] = err
	}
	require.NoError(t, err)
	return name
}

// buildHang returns the name of the hang program in binDir.
func buildHang(t *testing.T) string { return buildTestprog(t, "hang") }

// blockedRow matches one row of spmdrun's table of blocked operations:
// rank, call, at, op, peer, tag, comm, bytes, blocked.
var blockedRow = regexp.MustCompile(`^  (\d+) +(\S.*?) +(\S+) +(recv|send|ssend|probe|wait|[-?]|\.\.\.) +(\S+) +(\S+) +(world(?:/coll)?|ctx \d+(?:/coll)?|-) +(\S+) +(\S.*)$`)

// TestTimeoutReportsBlockedReceive runs a job that deadlocks and checks
// that spmdrun's --timeout report names each rank's receive, rank 2's from
// rank 1 with tag 7 in particular.
func TestTimeoutReportsBlockedReceive(t *testing.T) {
	hang := buildHang(t)
	r := run(t, nil, "spmdrun", "-n", "4", "--timeout", "5s", filepath.Join(binDir, hang))
	assert.Equal(t, 124, r.code, "%v", r)
	assert.Less(t, r.elapsed, 10*time.Second, "%v", r)
	assert.Equal(t, 4, strings.Count(r.stdout, "ready\n"), "%v", r)

	ls := lines(r.stderr)
	require.NotEmpty(t, ls, "%v", r)
	assert.Equal(t, []string{"spmdrun: job timed out after 5s; blocked operations:"}, notices(r.stderr), "%v", r)
	i := 0
	for i < len(ls) && ls[i] != "spmdrun: job timed out after 5s; blocked operations:" {
		i++ // output of the ranks before the report, if any
	}
	require.Less(t, i+1, len(ls), "%v", r)
	assert.Regexp(t, `^  rank +call +at +op +peer +tag +comm +bytes +blocked$`, ls[i+1])
	rows := map[string][]string{} // rank: the fields of its row
	for _, l := range ls[i+2:] {
		if !strings.HasPrefix(l, "  ") || l == "  diagnosis:" {
			break // the table ends; ranks may still print while the job ends
		}
		m := blockedRow.FindStringSubmatch(l)
		require.NotNil(t, m, "row %q\n%v", l, r)
		require.NotContains(t, rows, m[1], "one row per rank here\n%v", r)
		rows[m[1]] = m[2:]
	}
	require.Len(t, rows, 4, "%v", r)
	for rank, f := range rows {
		peer, tag := "2", "9"
		if rank == "2" {
			peer, tag = "1", "7"
		}
		assert.Equal(t, "Recv from "+peer+" tag "+tag+" 8 B", f[0], "rank %s\n%v", rank, r)
		assert.Regexp(t, `^main\.go:\d+$`, f[1], "rank %s\n%v", rank, r)
		assert.Equal(t, []string{"recv", peer, tag, "world", "8"}, f[2:7], "rank %s\n%v", rank, r)
		assert.Regexp(t, `^\d+\.\d\ds$`, f[7], "rank %s\n%v", rank, r)
	}
	assert.Contains(t, r.stderr, "  diagnosis:\n", "%v", r)
	assert.Regexp(t, `(?m)^    rank 2 waits in Recv from 1 tag 7 8 B \(main\.go:\d+\)$`, r.stderr, "%v", r)
	assert.Regexp(t, `(?m)^    ranks 0-1,3 wait in Recv from 2 tag 9 8 B \(main\.go:\d+\)$`, r.stderr, "%v", r)
	assert.Regexp(t, `(?m)^    odd one out: rank 2$`, r.stderr, "%v", r)
}

// barrierLine returns the line of forgetbarrier's source marked as the
// others' Barrier, as "main.go:N".
func barrierLine(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("internal", "testprogs", "forgetbarrier", "main.go"))
	require.NoError(t, err)
	for i, l := range strings.Split(string(src), "\n") {
		if strings.Contains(l, "collective.Barrier(w) // the others' Barrier") {
			return "main.go:" + strconv.Itoa(i+1)
		}
	}
	t.Fatal("forgetbarrier has no line marked as the others' Barrier")
	return ""
}

// checkForgottenBarrier checks a report of forgetbarrier on 6 ranks: the
// table names Barrier at the others' call, and the diagnosis names rank 3
// as the odd one out, in dawdle, with its stack.
func checkForgottenBarrier(t *testing.T, report string) {
	t.Helper()
	site := regexp.QuoteMeta(barrierLine(t))
	for _, rank := range []int{0, 1, 2, 4, 5} {
		assert.Regexp(t, fmt.Sprintf(`(?m)^  %d +Barrier +%s +recv `, rank, site), report)
	}
	assert.Regexp(t, `(?m)^  3 +- +- +- +\(not blocked in spmd\)$`, report)
	assert.Regexp(t, `(?m)^    ranks 0-2,4-5 wait in Barrier \(`+site+`\)$`, report)
	assert.Regexp(t, `(?m)^    rank 3 is not in spmd: main\.dawdle \(main\.go:\d+\)$`, report)
	assert.Regexp(t, `(?m)^    odd one out: rank 3$`, report)
	assert.Regexp(t, `(?m)^  rank 3, goroutines outside spmd:\n    goroutine \d+ \[[^\]]+\]:\n(    .*\n)*    main\.dawdle\(.*\)\n        .*/forgetbarrier/main\.go:\d+\n    main\.main\(\)\n`, report)
	assert.Regexp(t, `(?m)^    rank 0: \d+ posted receives, \d+ unexpected messages \(\d+ [KM]?i?B\)$`, report)
}

// TestTimeoutDiagnosesForgottenBarrier is the acceptance case of the hang
// report: 6 ranks, rank 3 forgets a Barrier, --timeout 3s.
func TestTimeoutDiagnosesForgottenBarrier(t *testing.T) {
	prog := buildTestprog(t, "forgetbarrier")
	r := run(t, nil, "spmdrun", "-n", "6", "--timeout", "3s", filepath.Join(binDir, prog))
	assert.Equal(t, 124, r.code, "%v", r)
	assert.Equal(t, 6, strings.Count(r.stdout, "ready\n"), "%v", r)
	assert.Equal(t, []string{"spmdrun: job timed out after 3s; blocked operations:"}, notices(r.stderr), "%v", r)
	checkForgottenBarrier(t, r.stderr)
}

// TestStatusDiagnosesForgottenBarrier asks a running job for its status
// (spmdrun --status PID) and finds the same diagnosis; the job runs on.
func TestStatusDiagnosesForgottenBarrier(t *testing.T) {
	prog := buildTestprog(t, "forgetbarrier")
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	// --timeout bounds the job should the test fail before ending it.
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "spmdrun"), "-n", "6", "--timeout", "40s",
		filepath.Join(binDir, prog))
	cmd.Env = env()
	cmd.WaitDelay = 5 * time.Second
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	for n := 0; n < 6 && sc.Scan(); {
		if sc.Text() == "ready" {
			n++
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	// Ask until every rank is where it will stay: a rank registers its
	// wait only once it has waited diagMinAge, and a loaded machine may
	// take longer to bring every rank into the Barrier.
	var report string
	deadline := time.Now().Add(cmdTimeout / 2)
	for asked := 1; time.Now().Before(deadline); asked++ {
		time.Sleep(300 * time.Millisecond)
		st := exec.CommandContext(ctx, filepath.Join(binDir, "spmdrun"), "--status", strconv.Itoa(cmd.Process.Pid))
		st.Env = env()
		out, err := st.CombinedOutput()
		require.NoError(t, err, "%s", out)
		for strings.Count(stderr.String(), "spmdrun: status at ") < asked && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // the rest of the report's lines, were it read in parts
		all := stderr.String()
		report = all[strings.LastIndex(all, "spmdrun: status at "):]
		if strings.Contains(report, "    ranks 0-2,4-5 wait in Barrier") {
			break
		}
	}
	assert.Regexp(t, `^spmdrun: status at `, report)
	checkForgottenBarrier(t, report)
	assert.Nil(t, cmd.ProcessState, "the job runs on")
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
