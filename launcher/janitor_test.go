package launcher

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/launcher/sched"
)

// TestJanitorRemovesSegmentsWhenAllHoldersAreGone: the janitor removes the
// job's segments once the launcher's end and every copy of it (a rank's)
// are closed, not before; other jobs' segments stay; it then exits.
func TestJanitorRemovesSegmentsWhenAllHoldersAreGone(t *testing.T) {
	dir := t.TempDir()
	old := shmDir
	shmDir = dir
	t.Cleanup(func() { shmDir = old })
	mine := filepath.Join(dir, testPrefix+"3")
	other := filepath.Join(dir, "spmd-ffffffffffffffff-0")

	j, err := startJanitor(testCookie)
	require.NoError(t, err)
	require.NotNil(t, j)
	// A "rank" that holds the pipe, as ranks do, and outlives release.
	rank := exec.Command("sleep", "0.5")
	rank.ExtraFiles = []*os.File{j.file()}
	require.NoError(t, rank.Start())
	for _, f := range []string{mine, other} {
		require.NoError(t, os.WriteFile(f, []byte("x"), 0o600))
	}
	var logged []string
	start := time.Now()
	j.release(false, func(format string, args ...any) { logged = append(logged, format) })
	_ = rank.Wait()
	select {
	case <-j.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the janitor did not end after every holder of its pipe had")
	}
	assert.GreaterOrEqual(t, time.Since(start), 400*time.Millisecond, "the janitor ended while a rank still held its pipe")
	assert.Len(t, logged, 0, "release waits up to janitorWait, longer than the rank")
	assert.NoFileExists(t, mine)
	assert.FileExists(t, other)

	// Told that the launcher cleaned up, it ends at once, removing nothing.
	j, err = startJanitor(testCookie)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(mine, []byte("x"), 0o600))
	j.release(true, t.Logf)
	select {
	case <-j.done:
	default:
		t.Fatal("release(true) returned before the janitor ended")
	}
	assert.FileExists(t, mine)

	var nilJanitor *janitor
	assert.Nil(t, nilJanitor.file())
	nilJanitor.release(true, t.Logf) // no-op
	j, err = startJanitor("not hex")
	assert.NoError(t, err)
	assert.Nil(t, j)
}

// TestJanitorCleansAfterKilledLauncher: a launcher killed outright (here a
// proxy, SIGKILLed) cannot remove its ranks' segments; its janitor does
// once the ranks, killed by their parent-death signal, are gone.
func TestJanitorCleansAfterKilledLauncher(t *testing.T) {
	spmdrun := proxyProgram(t)
	// The proxy's host is this machine under another name: its /dev/shm
	// is the real one, and its segments have the job's prefix.
	cookie, err := NewCookie()
	require.NoError(t, err)
	prefix, _ := shmPrefix(cookie)
	seg := filepath.Join("/dev/shm", prefix+"99")
	t.Cleanup(func() { _ = os.Remove(seg) })
	// The root (this process) cleans elsewhere: only the proxy's side
	// may remove seg.
	old := shmDir
	shmDir = t.TempDir()
	t.Cleanup(func() { shmDir = old })

	m, err := sched.Map([]sched.Host{{Name: "localhost", Slots: 1}, {Name: "remote.invalid", Slots: 2}}, 3, sched.BySlot, 0)
	require.NoError(t, err)
	j, out, _ := newJob(0, "hang")
	j.Mapping, j.Cookie = m, cookie
	pidFile := filepath.Join(t.TempDir(), "proxy.pid")
	// The launcher command records the proxy's pid and creates a segment
	// as a rank would, before the proxy starts the ranks.
	j.Launcher = &RemoteLauncher{Cookie: "env", ProxyPath: spmdrun, Command: []string{"sh", "-c",
		`echo $$ > ` + pidFile + `; touch ` + seg + `; exec "$@" --name remote.invalid`, "sh"}}
	_ = out
	var mu sync.Mutex
	var pids []int
	j.Started = func(rank, pid int) {
		mu.Lock()
		pids = append(pids, pid)
		mu.Unlock()
	}
	type outcome struct {
		code int
		err  error
	}
	done := make(chan outcome, 1)
	ctx, cancel := context.WithTimeout(context.Background(), testLimit)
	defer cancel()
	go func() {
		code, err := j.Run(ctx)
		done <- outcome{code, err}
	}()
	var pid int
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(pidFile)
		if err != nil {
			return false
		}
		_, err = fmt.Sscanf(string(b), "%d", &pid)
		return err == nil && countChildren(pid) == 3 // its janitor and two ranks
	}, testLimit, 20*time.Millisecond, "the proxy did not start its janitor and two ranks")
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	o := <-done
	assert.Equal(t, ExitHostLost, o.code, o.err)
	// The proxy's ranks die of their parent-death signal, not reaped by
	// the launcher: their end is observed by polling.
	mu.Lock()
	defer mu.Unlock()
	assert.Eventually(t, func() bool {
		for _, p := range pids {
			if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p)); err == nil && !strings.Contains(string(b), ") Z ") {
				return false
			}
		}
		return true
	}, 5*time.Second, 20*time.Millisecond, "ranks outlived the job")
	assert.Eventually(t, func() bool {
		_, err := os.Stat(seg)
		return os.IsNotExist(err)
	}, 5*time.Second, 20*time.Millisecond, "the killed proxy's segment stayed")
}

// countChildren returns how many live processes have parent pid.
func countChildren(pid int) int {
	entries, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		var state byte
		var ppid int
		if i < 0 || i+2 >= len(s) {
			continue
		}
		if _, err := fmt.Sscanf(s[i+2:], "%c %d", &state, &ppid); err == nil && ppid == pid && state != 'Z' {
			n++
		}
	}
	return n
}
