package launcher

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The ranks of these tests are pmirank's "spmd" mode, which answers SIGUSR1
// by hand in the protocol of package comm.

func TestTimeoutReportsBlockedOperations(t *testing.T) {
	j, _, _ := newJob(5, "spmd",
		"none",
		"recv,0,7,0,8,4900;send,any,any,3,16,120;+2",
		"silent",
		"nocard",
		"bad;report")
	j.Timeout = 2 * time.Second
	r := run(t, j)
	assert.Equal(t, ExitTimeout, r.code)
	want := "spmdrun: job timed out after 2s; blocked operations:\n" +
		"  rank  op    peer  tag  comm        bytes  blocked\n" +
		"  0     -     -     -    -           -      (not blocked in spmd)\n" +
		"  1     recv  0     7    world       8      4.90s\n" +
		"  1     send  any   any  ctx 2/coll  16     0.12s\n" +
		"  1     ...   -     -    -           -      (2 more not shown)\n" +
		"  2     ?     -     -    -           -      (no report)\n" +
		"  3     ?     -     -    -           -      (not an spmd rank)\n" +
		"  4     ?     -     -    -           -      (unreadable report)\n"
	assert.Equal(t, want, r.stderr)
	var f *Failure
	require.True(t, errors.As(r.err, &f))
	assert.Equal(t, TimedOut, f.Kind)
	assert.Equal(t, strings.SplitN(want, "\n", 2)[1], f.Blocked)
	// Rank 2 never answers: the report waits diagWait for it, no longer.
	assert.Less(t, r.elapsed, j.Timeout+diagWait+2*time.Second)
}

func TestTimeoutReportDoesNotWaitForAnswers(t *testing.T) {
	j, _, _ := newJob(4, "spmd", "none", "wait,any,any,0,0,150", "none", "quit")
	j.Timeout = time.Second
	r := run(t, j)
	assert.Equal(t, ExitTimeout, r.code)
	assert.Equal(t, "spmdrun: job timed out after 1s; blocked operations:\n"+
		"  rank  op    peer  tag  comm   bytes  blocked\n"+
		"  0     -     -     -    -      -      (not blocked in spmd)\n"+
		"  1     wait  any   any  world  0      0.15s\n"+
		"  2     -     -     -    -      -      (not blocked in spmd)\n"+
		"  3     -     -     -    -      -      (exited)\n", r.stderr, "rank 3's exit is not the job's failure")
	assert.Less(t, r.elapsed, j.Timeout+diagWait, "every rank answered or exited: no wait for the rest of diagWait")
}

func TestTimeoutWithoutSpmdRanksHasNoTable(t *testing.T) {
	j, _, _ := newJob(2, "spmd", "nocard", "nocard")
	j.Timeout = 500 * time.Millisecond
	r := run(t, j)
	assert.Equal(t, ExitTimeout, r.code)
	assert.Equal(t, "spmdrun: job timed out after 500ms\n", r.stderr, "SIGUSR1 would have killed the ranks")
	var f *Failure
	require.True(t, errors.As(r.err, &f))
	assert.Empty(t, f.Blocked)
}

func TestStatusReportKeepsJobRunning(t *testing.T) {
	j, out, errb := newJob(4, "spmd", "recv,1,7,0,8,4900", "nocard", "finalized", "none")
	status := make(chan os.Signal, 1)
	sigs := make(chan os.Signal, 1)
	j.Status, j.Signals = status, sigs
	ready := out.watch("ready\n", 4)
	reported := errb.watch("(job running for ", 1)
	type ended struct {
		code int
		err  error
	}
	done := make(chan ended, 1)
	go func() {
		code, err := j.Run(context.Background())
		done <- ended{code, err}
	}()

	await(t, ready, "the ranks to be ready")
	status <- syscall.SIGUSR1
	await(t, reported, "the first status report")
	reported = errb.watch("(job running for ", 2)
	status <- syscall.SIGUSR1 // each rank's second report has seq 1
	await(t, reported, "the second status report")
	sigs <- syscall.SIGTERM

	var e ended
	select {
	case e = <-done:
	case <-time.After(testLimit):
		t.Fatal("the job did not end")
	}
	stderr := errb.String()
	// Had a rank that must not be signalled died of SIGUSR1, that would be
	// the job's failure, not the SIGTERM.
	assert.Equal(t, 128+int(syscall.SIGTERM), e.code, stderr)
	table := "  rank  op    peer  tag  comm   bytes  blocked\n" +
		"  0     recv  1     7    world  8      4.90s\n" +
		"  1     ?     -     -    -      -      (not an spmd rank)\n" +
		"  2     -     -     -    -      -      (finalized)\n" +
		"  3     -     -     -    -      -      (not blocked in spmd)\n"
	reports := strings.Split(stderr, "spmdrun: status at ")
	require.Len(t, reports, 3, stderr)
	assert.Empty(t, reports[0])
	assert.Regexp(t, `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(job running for [0-9.]+m?s\):\n`+regexp.QuoteMeta(table)+`$`, reports[1])
	assert.Regexp(t, `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(job running for [0-9.]+m?s\):\n`+regexp.QuoteMeta(table)+
		`spmdrun: received SIGTERM; ending the job\n$`, reports[2])
}

// await waits for ch to close, failing the test after testLimit.
func await(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(testLimit):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// TestTimeoutReportAssemblesFragments: reports of the second format come in
// fragments, which the launcher joins in order; a fragment out of order
// makes the report unreadable.
func TestTimeoutReportAssemblesFragments(t *testing.T) {
	barrier := "v2:1:3:recv,4,16,1,0,510,Barr|v2:2:3:ier,-,main.main,main.go%3A41;|v2:3:3:q,1,1,0"
	idle := "v2:1:2:q,0,0,0;u,main.dawdle,main.go%3A49;s,goroutine+1+%5Bsleep%5D%3A%0Amain.dawdle%28%29|" +
		"v2:2:2:%0A%09%2Fp%2Fmain.go%3A49"
	j, _, _ := newJob(4, "spmd", barrier, barrier, idle, "v2:2:2:q,0,0,0|v2:1:2:x")
	j.Timeout = time.Second
	r := run(t, j)
	assert.Equal(t, ExitTimeout, r.code)
	want := "spmdrun: job timed out after 1s; blocked operations:\n" +
		"  rank  call     at          op    peer  tag  comm        bytes  blocked\n" +
		"  0     Barrier  main.go:41  recv  4     16   world/coll  0      0.51s\n" +
		"  1     Barrier  main.go:41  recv  4     16   world/coll  0      0.51s\n" +
		"  2     -        -           -     (not blocked in spmd)\n" +
		"  3     -        -           ?     (unreadable report)\n" +
		"  diagnosis:\n" +
		"    ranks 0-1 wait in Barrier (main.go:41)\n" +
		"    rank 2 is not in spmd: main.dawdle (main.go:49)\n" +
		"    rank 3 sent an unreadable report\n" +
		"    odd ones out: ranks 2-3\n" +
		"  rank 2, goroutines outside spmd:\n" +
		"    goroutine 1 [sleep]:\n" +
		"    main.dawdle()\n" +
		"        /p/main.go:49\n" +
		"  pending messages of the waiting ranks:\n" +
		"    rank 0: 1 posted receives, 1 unexpected messages (0 B)\n" +
		"    rank 1: 1 posted receives, 1 unexpected messages (0 B)\n"
	assert.Equal(t, want, r.stderr)
	assert.Less(t, r.elapsed, j.Timeout+diagWait, "every rank answered: no wait for the rest of diagWait")
}
