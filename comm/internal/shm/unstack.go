package shm

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// thisCPU returns the CPU the calling thread runs on (0 if unknown).
func thisCPU() uint32 {
	var cpu uint32
	_, _, _ = unix.RawSyscall(unix.SYS_GETCPU, uintptr(unsafe.Pointer(&cpu)), 0, 0)
	return cpu
}

// moveOff moves the calling thread off CPU waker-1, the CPU of the thread
// whose notify woke it, if it runs there and may run elsewhere: it narrows
// the thread's CPU mask to the others, which makes the kernel move it at
// once, and puts the mask back, which leaves it where it went. waker is 0
// when unknown.
//
// A notify reaches the other process through a socket, whose wake-ups the
// kernel marks as coming from a waker about to sleep, and so places the
// woken thread on the waker's CPU unless it finds an idle CPU sharing a
// cache with it. On a virtual machine that shows no caches it finds none,
// and two ranks that each had a core then shared one: each polled in vain
// while the other waited to run, for whole runs of messages
// (bench/results/2026-12-06-small-path). The waker does not sleep here: it
// is a rank polling for the answer.
func moveOff(waker uint32) {
	if waker == 0 {
		return
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if thisCPU()+1 != waker {
		return
	}
	var mask unix.CPUSet
	if unix.SchedGetaffinity(0, &mask) != nil || mask.Count() < 2 || !mask.IsSet(int(waker-1)) {
		return
	}
	others := mask
	others.Clear(int(waker - 1))
	if unix.SchedSetaffinity(0, &others) == nil {
		_ = unix.SchedSetaffinity(0, &mask)
	}
}
