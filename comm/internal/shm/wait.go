package shm

import (
	"runtime"
	"sync/atomic"
	"time"
)

// Backoff of a side that waits for its ring: spin, then yield, then sleep.
// Spinning costs nothing when the other side answers within a microsecond
// or two (a ping-pong); yielding lets the other goroutines of this process
// run; sleeping gives the core away when ranks outnumber cores. sleepSlice
// bounds a sleep, so that a dead peer or a closed link is noticed even if
// nobody wakes us. The yield phase is long because a wake-up costs more
// than copying a ring's worth of data: a message larger than the ring,
// streamed without cross-memory attach, moved several times faster with
// 2000 yields than with 50 (commit 4fcc596; the no-CMA rows of
// bench/results/2026-11-21-coll-shm-seal measure that path today).
const (
	spinChecks  = 200
	yieldChecks = 2000
	sleepSlice  = 50 * time.Millisecond
)

// condition is what a waiting ring end checks. An interface (implemented by
// pointer types) rather than closures, so that waiting allocates nothing.
type condition interface {
	ready() bool
	stopped() error
}

// await returns when c is ready or stopped, sleeping on self between
// checks. The other side rings self after making progress.
func await(self waiter, c condition) error {
	for range spinChecks {
		if c.ready() {
			return nil
		}
	}
	for range yieldChecks {
		runtime.Gosched()
		if c.ready() {
			return nil
		}
	}
	return sleepUntil(self, c)
}

// sleepUntil sleeps on self until c is ready or stopped: parked on its
// bell when the end is wired, else on its futex.
func sleepUntil(self waiter, c condition) error {
	for {
		if err := c.stopped(); err != nil {
			return err
		}
		// Announce the sleep, then look again: the other side publishes
		// first and reads the count after, so one of us sees the other.
		var ch <-chan struct{}
		var seq uint32
		if self.local != nil {
			ch = self.local.arm()
		} else {
			seq = atomic.LoadUint32(self.word)
		}
		atomic.AddUint32(self.sleeping, 1)
		if c.ready() {
			atomic.AddUint32(self.sleeping, ^uint32(0))
			return nil
		}
		if ch != nil {
			wait(ch, sleepSlice)
			if self.unstack {
				moveOff(atomic.SwapUint32(self.cpu, 0))
			}
		} else {
			futexSleep(self.word, seq, sleepSlice)
		}
		atomic.AddUint32(self.sleeping, ^uint32(0))
		if c.ready() {
			return nil
		}
	}
}
