package shm

import (
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Futex operations on a word in shared memory. These are the process-shared
// forms (no FUTEX_PRIVATE_FLAG): the waiter and the waker are different
// processes mapping the same segment.
const (
	futexWait = 0
	futexWake = 1
)

// futexSleep blocks while *addr == val, at most d. Spurious returns are
// fine: callers re-check their condition.
func futexSleep(addr *uint32, val uint32, d time.Duration) {
	ts := unix.NsecToTimespec(d.Nanoseconds())
	_, _, _ = unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWait, uintptr(val),
		uintptr(unsafe.Pointer(&ts)), 0, 0)
}

// futexWakeAll wakes every waiter on addr.
func futexWakeAll(addr *uint32) {
	_, _, _ = unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWake, 1<<30, 0, 0, 0)
}

// waiter is one side's doorbell: a count of that side's sleepers, which
// the other side reads, and a word in shared memory. How the other side
// wakes the sleepers depends on whether the ends are wired (Reader.Wire):
//
//   - Unwired, the sleepers sleep on the word as a futex, and the other
//     side bumps it and wakes them.
//   - Wired, the sleepers park on local, a bell of their own process,
//     and the other side asks their process to ring it (notify, through
//     whatever channel the ends were wired with). The word then says that
//     a request is on its way and not yet answered (wake clears it), so
//     that a burst of frames to a sleeping reader sends one request, not
//     one per frame.
//
// Only this process's side of a ring has local; only the other side's has
// notify (a Pipe's ring has both, its two sides being in one process).
type waiter struct {
	sleeping *uint32
	word     *uint32
	cpu      *uint32 // the CPU of the side's last notify, plus 1 (0: none since)
	local    *bell
	unstack  bool // the side's sleepers move off the CPU of the notify that woke them
	notify   func()
}

// ring wakes the side's sleepers, if it has any; cheap (one load)
// otherwise.
func (w waiter) ring() {
	if atomic.LoadUint32(w.sleeping) == 0 {
		return
	}
	if w.notify != nil {
		if atomic.CompareAndSwapUint32(w.word, 0, 1) {
			atomic.StoreUint32(w.cpu, thisCPU()+1)
			w.notify()
		}
		return
	}
	atomic.AddUint32(w.word, 1)
	futexWakeAll(w.word)
}

// wake answers a wired side's request: it clears the word, so that the
// next ring asks again, and rings the bell.
func (w waiter) wake() {
	atomic.StoreUint32(w.word, 0)
	w.local.ring()
}

// asleep reports whether some of the side's goroutines sleep, or are about
// to.
func (w waiter) asleep() bool { return atomic.LoadUint32(w.sleeping) != 0 }
