package sysmon

import (
	"errors"
	"fmt"
	"slices"
)

// ErrNotFound: the monitor thread cannot be told apart from the others.
var ErrNotFound = errors.New("sysmon: monitor thread not found")

// monitorThread picks the monitor thread out of the ids of a process's
// threads, given the process id (its main thread's) and the caller's own
// thread: the second-lowest id, provided that the main thread's is the
// lowest (ids did not wrap around after it) and the pick is not the
// caller, which runs goroutines and so is not the monitor.
func monitorThread(pid, self int, tids []int) (int, error) {
	tids = slices.Sorted(slices.Values(tids))
	switch {
	case len(tids) < 2:
		return 0, fmt.Errorf("%w: %d threads", ErrNotFound, len(tids))
	case tids[0] != pid:
		return 0, fmt.Errorf("%w: thread %d is older than the process's main thread %d (ids wrapped around)", ErrNotFound, tids[0], pid)
	case tids[1] == self:
		return 0, fmt.Errorf("%w: the second thread %d runs goroutines", ErrNotFound, self)
	}
	return tids[1], nil
}
