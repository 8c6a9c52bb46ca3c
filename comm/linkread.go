package comm

import (
	"errors"

	"golang.org/x/sys/unix"
	"io"
	"runtime"
	"time"
)

// resumeDelay is how long the reader goroutine stays aside after the last
// polling goroutine leaves a link. Programs that wait again within it (a
// ping-pong, a halo exchange loop) keep the link to themselves and never
// pay for a background wake-up; a message that arrives while nobody waits
// is read at most this much later, by the reader goroutine.
const resumeDelay = 200 * time.Microsecond

// readFrame reads and handles one frame. The caller holds rmu.
func (l *link) readFrame() error {
	if _, err := io.ReadFull(l.src, l.rbuf[:]); err != nil {
		return err
	}
	if err := l.rh.Decode(l.rbuf[:], l.w.limits); err != nil {
		return err
	}
	return l.w.handle(l, &l.rh, l.src)
}

// drain handles every frame that is waiting. The caller holds rmu.
func (l *link) drain() error {
	for !l.readDead.Load() && l.src.Ready() {
		if err := l.readFrame(); err != nil {
			l.readFailed(err)
			return err
		}
	}
	return nil
}

// tryProgress handles the frames waiting on l, unless another goroutine is
// reading it already. It never blocks for a frame to start.
func (l *link) tryProgress() {
	if l.readDead.Load() || !l.src.Hint() || !l.rmu.TryLock() {
		return
	}
	_ = l.drain()
	l.rmu.Unlock()
}

// startPolling and stopPolling bracket a goroutine's polling of l. The
// reader goroutine notices on its own (pollGen) that polling has stopped
// for a while; only a poller that stops without its request done, about
// to sleep, signals it to take over at once (handover). Signalling every
// stop would cost a goroutine wake-up per message.
func (l *link) startPolling() {
	l.pollers.Add(1)
	l.pollGen.Add(1)
}

func (l *link) stopPolling(handover bool) {
	l.pollers.Add(-1)
	if handover {
		l.handover.Store(true)
		select {
		case l.idle <- struct{}{}:
		default:
		}
	}
}

// readLoop is the link's reader goroutine: it reads whenever no waiting
// goroutine polls the link, so that messages progress while the program
// computes.
func (l *link) readLoop() {
	defer close(l.readerDone)
	resume := time.NewTimer(resumeDelay)
	defer resume.Stop()
	var seen uint64
	for !l.readDead.Load() {
		if l.handover.Swap(false) {
			// A waiter went to sleep: read for it now.
		} else if gen := l.pollGen.Load(); l.pollers.Load() > 0 || gen != seen {
			// Someone polls, or did within the last resumeDelay.
			seen = gen
			resume.Reset(resumeDelay)
			select {
			case <-resume.C:
			case <-l.idle:
			}
			continue
		}
		if err := l.src.WaitReady(&l.pollers); err != nil {
			l.rmu.Lock()
			l.readFailed(err)
			l.rmu.Unlock()
			return
		}
		if l.pollers.Load() > 0 {
			continue
		}
		l.rmu.Lock()
		_ = l.drain()
		l.rmu.Unlock()
		l.linger()
	}
}

// lingerTime is how long the reader goroutine keeps polling after a frame
// before it sleeps again: messages come in bursts (a window of Isends, a
// collective's rounds), and sleeping after each would make every sender
// pay a futex wake-up and every frame a thread wake-up.
const lingerTime = 20 * time.Microsecond

func (l *link) linger() {
	start := time.Now()
	for i := 0; l.pollers.Load() == 0 && !l.readDead.Load(); i++ {
		if l.src.Hint() && l.rmu.TryLock() {
			progressed := l.src.Ready()
			_ = l.drain()
			l.rmu.Unlock()
			if progressed {
				start = time.Now()
				continue
			}
		}
		if i%16 == 15 {
			if time.Since(start) > lingerTime {
				return
			}
			l.w.yield()
		}
	}
}

// readFailed ends the read side: quietly after the peer's goodbye or while
// finalizing, as the peer's loss otherwise. The caller holds rmu.
func (l *link) readFailed(err error) {
	if l.readDead.Swap(true) {
		return
	}
	if l.closing.Load() || l.byeSeen && errors.Is(err, io.EOF) {
		return
	}
	if errors.Is(err, io.EOF) {
		err = errors.New("connection closed without finalize (process exited?)")
	}
	l.w.peerLost(l.peer, err)
}

// pollBudget bounds how long a waiting goroutine polls before it sleeps.
// Polling answers a message within a microsecond; sleeping costs a wake-up
// (several microseconds) but gives the core away, which matters when ranks
// outnumber cores.
const pollBudget = 300 * time.Microsecond

// poll makes progress on the link(s) r depends on until r completes or the
// budget runs out, and reports whether r completed.
func (r *Request) poll() bool {
	w := r.w
	if w == nil || r.done.Load() {
		return r.done.Load()
	}
	// When ranks outnumber cores, a waiter reads every link: a frame on a
	// link nobody polls wakes that link's sleeping reader thread, and on an
	// oversubscribed host each such wake-up costs a context switch.
	if r.pollPeer >= 0 && !w.oversubscribed {
		l := w.links[r.pollPeer]
		l.startPolling()
		done := r.pollLinks(w.links[r.pollPeer : r.pollPeer+1])
		l.stopPolling(!done)
		return done
	}
	for _, l := range w.links {
		l.startPolling()
	}
	done := r.pollLinks(w.links)
	for _, l := range w.links {
		l.stopPolling(!done)
	}
	return done
}

// yield lets others run between polls: the other goroutines of this
// process, and, when this host has more ranks than cores, the other
// processes too (sched_yield, as Open MPI's mpi_yield_when_idle), or a
// polling rank would keep the core from the very peer it waits for.
func (w *world) yield() {
	if w.oversubscribed {
		_, _, _ = unix.Syscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
	}
	runtime.Gosched()
}

func (r *Request) pollLinks(links []*link) bool {
	var start time.Time
	for i := 0; ; i++ {
		for _, l := range links {
			l.tryProgress()
		}
		if r.done.Load() {
			return true
		}
		if i%32 == 31 {
			if start.IsZero() {
				start = time.Now()
			} else if time.Since(start) > pollBudget {
				return false
			}
			r.w.yield()
		}
	}
}
