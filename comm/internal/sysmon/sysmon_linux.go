package sysmon

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Idle puts the runtime's monitor thread in the SCHED_IDLE scheduling
// class and returns its thread id. Lowering a thread's class needs no
// privilege; nothing raises it again for the life of the process.
func Idle() (int, error) {
	tid, err := Thread()
	if err != nil {
		return 0, err
	}
	if err := unix.SchedSetAttr(tid, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE}, 0); err != nil {
		return 0, fmt.Errorf("sysmon: SCHED_IDLE for thread %d: %w", tid, err)
	}
	return tid, nil
}

// Policy returns the scheduling class of thread tid of this process
// (unix.SCHED_NORMAL, unix.SCHED_IDLE, …).
func Policy(tid int) (uint32, error) {
	attr, err := unix.SchedGetAttr(tid, 0)
	if err != nil {
		return 0, fmt.Errorf("sysmon: scheduling class of thread %d: %w", tid, err)
	}
	return attr.Policy, nil
}

// Thread returns the id of the runtime's monitor thread (see the package
// doc for how it is found).
func Thread() (int, error) {
	tids, err := threads()
	if err != nil {
		return 0, err
	}
	return monitorThread(os.Getpid(), unix.Gettid(), tids)
}

// threads returns the ids of this process's threads.
func threads() ([]int, error) {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, fmt.Errorf("sysmon: list threads: %w", err)
	}
	tids := make([]int, 0, len(ents))
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}
