//go:build linux

package comm_test

import (
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/spmd-go/spmd/comm"
	"github.com/spmd-go/spmd/comm/commtest"
)

// TestSysmonClass runs jobs through spmdrun and checks, from each rank's
// report, that Init moves the runtime's monitor thread to the idle class
// when the host has a core per rank, and leaves it alone when the host is
// oversubscribed or SPMD_SYSMON says so.
func TestSysmonClass(t *testing.T) {
	if err := schedIdleAllowed(); errors.Is(err, unix.EPERM) {
		t.Skipf("this machine refuses SCHED_IDLE (a seccomp filter?): %v", err)
	}
	jobs := newJobRunner(t, "github.com/spmd-go/spmd/comm/internal/testprogs/sysmonclass")
	classes := func(t *testing.T, n int, env ...string) []string {
		stdout := jobs.run(t, n, 50*time.Second, env)
		got := make([]string, n)
		for _, line := range strings.Split(strings.TrimSpace(string(stdout)), "\n") {
			f := strings.Fields(line)
			require.Len(t, f, 4, "line %q", line)
			r, err := strconv.Atoi(f[1])
			require.NoError(t, err, "line %q", line)
			got[r] = f[3]
		}
		return got
	}
	all := func(n int, class string) []string {
		s := make([]string, n)
		for i := range s {
			s[i] = class
		}
		return s
	}
	if runtime.NumCPU() >= 2 {
		require.Equal(t, all(2, "idle"), classes(t, 2), "a core per rank")
	}
	require.Equal(t, all(2, "normal"), classes(t, 2, "SPMD_SYSMON=normal"))
	over := runtime.NumCPU() + 1
	if over > 17 {
		t.Skipf("an oversubscribed job here would take %d ranks", over)
	}
	require.Equal(t, all(over, "normal"), classes(t, over), "%d ranks on %d cores", over, runtime.NumCPU())
	require.Equal(t, all(over, "idle"), classes(t, over, "SPMD_SYSMON=idle"))
}

// TestSysmonBadSetting: an SPMD_SYSMON value that names no choice fails
// Join with ErrArg.
func TestSysmonBadSetting(t *testing.T) {
	t.Setenv("SPMD_SYSMON", "off")
	cfg, err := comm.ConfigFromEnv()
	require.NoError(t, err)
	err = commtest.Run(1, func(*comm.Comm) error { return nil }, commtest.Config(cfg))
	require.ErrorIs(t, err, comm.ErrArg)
	require.ErrorContains(t, err, "SPMD_SYSMON")
}

// schedIdleAllowed tries SCHED_IDLE on a thread of its own, which exits
// with its goroutine, rather than on this test binary's monitor thread,
// which the other tests' ranks need.
func schedIdleAllowed() error {
	errc := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		errc <- unix.SchedSetAttr(0, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE}, 0)
	}()
	return <-errc
}
