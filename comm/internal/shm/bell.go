package shm

import (
	"sync"
	"time"
)

// A bell is where the goroutines of this process that wait on one end of a
// ring park, when the end is wired (see Reader.Wire): on a channel, which
// leaves the goroutine's P to the others, rather than in a futex system
// call, which keeps it. With GOMAXPROCS at 1 (a rank on a host with as
// many ranks as cores), a goroutine asleep in a futex held the process's
// only P: the rank's other goroutines and its timers waited for the
// runtime's monitor to take the P back, which it does only every few
// milliseconds when the process has been busy, and a one-way message that
// took half a microsecond then took up to tens of milliseconds
// (bench/results/2026-12-06-small-path).
//
// Ring closes the channel the sleepers hold, so that it wakes them all;
// the next sleeper makes a new one. Only sleeping allocates: a goroutine
// gets here after spinning and yielding in vain, and waking it costs far
// more.
type bell struct {
	mu sync.Mutex
	ch chan struct{} // closed by ring; nil while nobody has armed the bell
}

// arm returns the channel that the next ring closes. A sleeper arms the
// bell before its last look at its condition, so that a ring after that
// look is not lost.
func (b *bell) arm() <-chan struct{} {
	b.mu.Lock()
	if b.ch == nil {
		b.ch = make(chan struct{})
	}
	ch := b.ch
	b.mu.Unlock()
	return ch
}

// ring wakes every goroutine that armed the bell.
func (b *bell) ring() {
	b.mu.Lock()
	if b.ch != nil {
		close(b.ch)
		b.ch = nil
	}
	b.mu.Unlock()
}

// wait blocks until ch (from arm) is closed, at most d.
func wait(ch <-chan struct{}, d time.Duration) {
	t := time.NewTimer(d)
	select {
	case <-ch:
	case <-t.C:
	}
	t.Stop()
}
