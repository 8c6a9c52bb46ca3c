package main

import (
	"bytes"
	"os"
	"os/exec"
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

// watchBuffer is a goroutine-safe buffer that a test can wait on.
type watchBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func newWatchBuffer() *watchBuffer { return &watchBuffer{changed: make(chan struct{})} }

func (w *watchBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	close(w.changed)
	w.changed = make(chan struct{})
	return w.buf.Write(p)
}

func (w *watchBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// await waits, at most testLimit, until the buffer holds substr n times,
// and returns its contents.
func (w *watchBuffer) await(t *testing.T, substr string, n int) string {
	t.Helper()
	deadline := time.After(testLimit)
	for {
		w.mu.Lock()
		s, changed := w.buf.String(), w.changed
		w.mu.Unlock()
		if strings.Count(s, substr) >= n {
			return s
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("timed out waiting for %d× %q in:\n%s", n, substr, s)
		}
	}
}

func TestSpmdrunTimeoutReport(t *testing.T) {
	r := runSpmdrun(t, nil, nil, "-n", "3", "--timeout", "1s", pmirank, "spmd", "none", "recv,0,7,0,8,4900", "nocard")
	assert.Equal(t, 124, r.code)
	assert.Equal(t, "spmdrun: job timed out after 1s; blocked operations:\n"+
		"  rank  op    peer  tag  comm   bytes  blocked\n"+
		"  0     -     -     -    -      -      (not blocked in spmd)\n"+
		"  1     recv  0     7    world  8      4.90s\n"+
		"  2     ?     -     -    -      -      (not an spmd rank)\n", r.stderr)
	assert.Less(t, r.elapsed, 5*time.Second)
}

func TestSpmdrunStatus(t *testing.T) {
	cmd := exec.Command(spmdrun, "-n", "3", pmirank, "spmd", "probe,any,any,2,0,1250", "none", "nocard")
	cmd.Env = append(os.Environ(), "SPMD_SCHEDULER=none")
	out, errb := newWatchBuffer(), newWatchBuffer()
	cmd.Stdout, cmd.Stderr = out, errb
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	out.await(t, "ready\n", 3)

	pid := strconv.Itoa(cmd.Process.Pid)
	r := runSpmdrun(t, nil, nil, "--status", pid)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Empty(t, r.stdout+r.stderr, "the report appears on the job's standard error")
	table := "  rank  op     peer  tag  comm   bytes  blocked\n" +
		"  0     probe  any   any  ctx 2  0      1.25s\n" +
		"  1     -      -     -    -      -      (not blocked in spmd)\n" +
		"  2     ?      -     -    -      -      (not an spmd rank)\n"
	stderr := errb.await(t, "(not an spmd rank)", 1)
	assert.Regexp(t, `^spmdrun: status at [-0-9]+ [:0-9]+ \(job running for [0-9.]+m?s\):\n`+regexp.QuoteMeta(table)+`$`, stderr)

	require.NoError(t, cmd.Process.Signal(syscall.SIGUSR1)) // what --status does
	errb.await(t, "(not an spmd rank)", 2)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	waitExit(t, cmd, 143) // not a rank's failure: no rank was killed by SIGUSR1
	assert.Equal(t, 2, strings.Count(errb.String(), table), errb.String())
}

func TestSpmdrunStatusRefusesOtherProcesses(t *testing.T) {
	r := runSpmdrun(t, nil, nil, "--status", strconv.Itoa(os.Getpid()))
	assert.Equal(t, 1, r.code)
	assert.Equal(t, "spmdrun: --status "+strconv.Itoa(os.Getpid())+": process "+strconv.Itoa(os.Getpid())+
		" is not spmdrun\n", r.stderr)

	gone := exec.Command(pmirank, "nopmi")
	require.NoError(t, gone.Run())
	r = runSpmdrun(t, nil, nil, "--status", strconv.Itoa(gone.Process.Pid))
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "no such process")
}

func TestIsSpmdrun(t *testing.T) {
	for cmdline, want := range map[string]bool{
		"spmdrun\x00-n\x004\x00prog\x00":         true,
		"/usr/local/bin/spmdrun\x00--status\x00": true,
		"./spmdrun":                              true,
		"spmdrunner\x00":                         false,
		"prog\x00spmdrun\x00":                    false,
		"":                                       false,
	} {
		assert.Equal(t, want, isSpmdrun([]byte(cmdline)), "%q", cmdline)
	}
}
