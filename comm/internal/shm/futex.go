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

// waiter is one side's doorbell: a sleeping flag the other side reads, and
// a futex word it bumps and wakes.
type waiter struct {
	sleeping *uint32
	word     *uint32
}

// ring the doorbell if the other side sleeps; cheap (one load) otherwise.
func (w waiter) ring() {
	if atomic.LoadUint32(w.sleeping) != 0 {
		atomic.AddUint32(w.word, 1)
		futexWakeAll(w.word)
	}
}
