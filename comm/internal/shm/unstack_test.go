package shm

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestMoveOff: a thread told that its waker ran on its own CPU moves to
// another of the CPUs it may use, and may use all of them again after.
func TestMoveOff(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var mask unix.CPUSet
	require.NoError(t, unix.SchedGetaffinity(0, &mask))
	if mask.Count() < 2 {
		t.Skip("needs two CPUs")
	}
	here := thisCPU()
	moveOff(0) // unknown: nothing to do
	moveOff(here + 1)
	assert.NotEqual(t, here, thisCPU(), "did not move off the waker's CPU")
	var after unix.CPUSet
	require.NoError(t, unix.SchedGetaffinity(0, &after))
	assert.Equal(t, mask, after, "the thread's CPU mask was not restored")
}
