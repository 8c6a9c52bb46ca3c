package sysmon

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestIdle: the thread Idle picks sleeps between rounds as sysmon does
// (nanosleep, or a futex while the process is idle), and ends up in
// SCHED_IDLE while the caller's own thread keeps its class.
func TestIdle(t *testing.T) {
	tid, err := Idle()
	if errors.Is(err, unix.EPERM) {
		t.Skipf("this machine refuses SCHED_IDLE (a seccomp filter?): %v", err)
	}
	require.NoError(t, err)
	p, err := Policy(tid)
	require.NoError(t, err)
	require.Equal(t, uint32(unix.SCHED_IDLE), p)
	self, err := Policy(unix.Gettid())
	require.NoError(t, err)
	require.Equal(t, uint32(unix.SCHED_NORMAL), self)
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/syscall", tid))
	require.NoError(t, err)
	call := strings.Fields(string(b))[0]
	sleeps := []string{strconv.Itoa(unix.SYS_NANOSLEEP), strconv.Itoa(unix.SYS_FUTEX), "running"}
	require.Contains(t, sleeps, call, "thread %d is in system call %s", tid, call)
}
