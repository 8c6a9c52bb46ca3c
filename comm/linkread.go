package comm

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"github.com/spmd-go/spmd/comm/internal/wire"
)

// resumeDelay is how long the reader goroutine stays aside after the last
// polling goroutine leaves a link. Programs that wait again within it (a
// ping-pong, a halo exchange loop) keep the link to themselves and never
// pay for a background wake-up; a message that arrives while nobody waits
// is read at most this much later, by the reader goroutine.
const resumeDelay = 200 * time.Microsecond

// resumeDelayOversub is how far the reader goroutine's check backs off,
// doubling from resumeDelay, while waiters keep polling its link on a host
// with more ranks than cores. Each check wakes a thread, and there a
// thread woken takes a core from a rank: with 4 ranks of 3 links each on 2
// cores, checks every resumeDelay made as many wake-ups as the collectives'
// own context switches (bench/results/2026-11-21-coll-shm-tuned). A waiter
// that gives up polling hands over at once (handover), so the longer delay
// only postpones the background progress of messages that arrive while
// nobody waits.
const resumeDelayOversub = 2 * time.Millisecond

// readFrame reads and handles one frame. The caller holds rmu.
func (l *link) readFrame() error {
	if v, ok := l.src.(frameViewer); ok {
		if f := v.PeekFrame(); f != nil {
			return l.handleInPlace(v, f)
		}
	}
	if _, err := io.ReadFull(l.src, l.rbuf[:]); err != nil {
		return err
	}
	if err := l.rh.Decode(l.rbuf[:], l.w.limits); err != nil {
		return err
	}
	return l.w.handle(l, &l.rh, l.src)
}

// frameViewer is a source that can show a whole frame in place
// (shm.Reader): its header is decoded and its payload copied out from
// there, without a pass through Read for each.
type frameViewer interface {
	PeekFrame() []byte
	ConsumeFrame()
}

// handleInPlace handles frame f, shown in place by v. A frame holds its
// header and exactly the payload the header announces; handle must use it
// all.
func (l *link) handleInPlace(v frameViewer, f []byte) error {
	if len(f) < wire.HeaderSize {
		return fmt.Errorf("%w: a frame of %d bytes", errProtocol, len(f))
	}
	if err := l.rh.Decode(f[:wire.HeaderSize], l.w.limits); err != nil {
		return err
	}
	l.view.b = f[wire.HeaderSize:]
	err := l.w.handle(l, &l.rh, &l.view)
	if err == nil && len(l.view.b) > 0 {
		err = fmt.Errorf("%w: %d bytes after a %v frame's payload", errProtocol, len(l.view.b), l.rh.Kind)
	}
	l.view.b = nil
	v.ConsumeFrame()
	return err
}

// frameView reads a frame's payload from the bytes of the frame in place.
type frameView struct{ b []byte }

func (v *frameView) Read(p []byte) (int, error) {
	if len(v.b) == 0 {
		return 0, io.ErrUnexpectedEOF // a frame ends where its header says
	}
	n := copy(p, v.b)
	v.b = v.b[n:]
	return n, nil
}

func (v *frameView) Discard(n int) (int, error) {
	if n > len(v.b) {
		k := len(v.b)
		v.b = nil
		return k, io.ErrUnexpectedEOF
	}
	v.b = v.b[n:]
	return n, nil
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
	delay := resumeDelay
	for !l.readDead.Load() {
		if l.handover.Swap(false) {
			// A waiter went to sleep: read for it now.
		} else if gen := l.pollGen.Load(); l.pollers.Load() > 0 || gen != seen {
			// Someone polls, or did within the last delay.
			seen = gen
			resume.Reset(delay)
			select {
			case <-resume.C:
				if l.w.oversubscribed {
					delay = min(2*delay, resumeDelayOversub)
				}
			case <-l.idle:
			}
			continue
		}
		delay = resumeDelay
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
			l.w.yield(i / 16)
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

// pollBudget bounds how long a waiting goroutine polls before it sleeps,
// on a host where each rank has a core of its own. Polling answers a
// message within a microsecond; sleeping gives the core away, which there
// nobody else of the job needs, and costs a wake-up through the peer, the
// kernel and Go's scheduler: tens of microseconds, and worse, the kernel
// may put the woken rank on its waker's core (it does on a virtual machine
// that hides its caches), where the two then take turns. A rank that the
// kernel stops for a millisecond (its own housekeeping threads do) made
// its peer, with a budget of a few hundred microseconds, sleep and pay all
// that, so that the mean latency of whole runs of messages went from one
// value to another and back (bench/results/2026-12-06-small-path). Open
// MPI's waiters never sleep; on a busy host, though, a rank that polls
// long keeps a core from the programs that share it.
const pollBudget = 2 * time.Millisecond

// oversubPollBudget replaces pollBudget when ranks outnumber cores. There
// polling costs the others little — each pass ends in sched_yield, which
// hands the core to any rank that can use it — while sleeping costs a
// chain of wake-ups (the peer's futex wake, this link's reader thread, then
// the waiter), each a context switch that takes a core from a rank doing
// work. Collective steps of a megabyte wait longer than pollBudget there:
// with pollBudget, allgather of 1 MiB on 4 ranks on 2 cores was slower and
// far less steady than with this budget, which brought it to Open MPI's
// (which yields and never sleeps; bench/results/2026-11-21-coll-shm-tuned).
// After it the waiter sleeps as usual, so a rank blocked for long still
// gives its core away.
const oversubPollBudget = 5 * time.Millisecond

// poll makes progress on the link(s) r depends on until r completes or the
// budget runs out, and reports whether r completed.
func (r *Request) poll() bool {
	w := r.w
	if w == nil || r.isDone() {
		return r.isDone()
	}
	// When ranks outnumber cores, a waiter reads every link: a frame on a
	// link nobody polls wakes that link's sleeping reader thread, and on an
	// oversubscribed host each such wake-up costs a context switch.
	if r.pollPeer >= 0 && !w.oversubscribed {
		l := w.link(r.pollPeer)
		if l == nil {
			// No link yet: the peer's first frame comes on the link its
			// dial makes, whose reader goroutine completes r.
			return false
		}
		l.startPolling()
		done := r.pollLinks(l)
		l.stopPolling(!done)
		return done
	}
	// Links made while this waits are polled too (pollLinks reloads the
	// list), though their reader goroutines do not know it: bracketing
	// them is only a hint.
	links := w.links()
	for _, l := range links {
		l.startPolling()
	}
	done := r.pollLinks(nil)
	for _, l := range links {
		l.stopPolling(!done)
	}
	return done
}

// How often a waiting goroutine yields: after pollPasses passes over its
// links without its request completing, or oversubPollPasses when ranks
// outnumber cores; and, when they do, how many of those yields go to the
// other processes (sched_yield) for each one that also runs the other
// goroutines of this process (runtime.Gosched).
//
// With a core each, yielding only serves the other goroutines of this
// process when they have no P of their own, and each Gosched is a trip
// through Go's scheduler (global run queue lock, a clock read, often a
// wake-up of an idle P): a message that lands meanwhile waits for it. A
// pass over one link is cheap, so 256 passes still yield often. The
// one-way latency of 8-byte messages fell as the passes between yields
// rose from 32 to 256, and hardly at all beyond
// (bench/results/2026-11-21-coll-shm-tuned).
//
// Oversubscribed, every pass spent polling is a pass the peer waited for
// cannot run, and a switch between processes costs less than a round of
// polling that finds nothing, so a waiter should step aside at once;
// Gosched, on the other hand, costs a trip through Go's scheduler (its
// timer check reads the clock) and rarely finds work. The barrier on 4
// ranks on 2 cores was markedly faster yielding every 4 passes with a
// Gosched every 8th yield than every 32 passes with a Gosched each time
// (bench/results/2026-11-21-coll-shm-tuned).
const (
	pollPasses          = 256
	oversubPollPasses   = 4
	oversubGoschedEvery = 8
)

// yield lets others run between polls; n counts the caller's yields so
// far. When this host has more ranks than cores it first gives the core to
// the other processes (sched_yield, as Open MPI's mpi_yield_when_idle), or
// a polling rank would keep the core from the very peer it waits for, and
// only every oversubGoschedEvery-th time to the other goroutines of this
// process; otherwise it gives way to those goroutines only.
//
// sched_yield goes through RawSyscall: it returns as soon as this thread
// runs again, and entering Go's syscall state would let the runtime hand
// this P to another thread meanwhile, which costs that thread a wake-up
// and this one a wait for a P when it returns.
func (w *world) yield(n int) {
	if w.oversubscribed {
		_, _, _ = unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
		if n%oversubGoschedEvery != oversubGoschedEvery-1 {
			return
		}
	}
	runtime.Gosched()
}

// pollLinks makes progress on link one, or on every link (one == nil),
// until r completes or the budget runs out.
func (r *Request) pollLinks(one *link) bool {
	passes, budget := pollPasses, pollBudget
	if r.w.oversubscribed {
		passes, budget = oversubPollPasses, oversubPollBudget
	}
	var start time.Time
	for i := 0; ; i++ {
		if one != nil {
			one.tryProgress()
		} else {
			for _, l := range r.w.links() {
				l.tryProgress()
			}
		}
		if r.isDone() {
			return true
		}
		if i%passes == passes-1 {
			var waited time.Duration
			if start.IsZero() {
				start = time.Now()
			} else if waited = time.Since(start); waited > budget {
				return false
			}
			for _, l := range r.w.links() {
				l.nudge()
			}
			r.w.yield(i / passes)
			if waited > stepAsideAfter && !r.w.oversubscribed {
				stepAside()
			}
		}
	}
}

// stepAsideAfter is how long a waiter polls before each of its yields
// also offers its core to the other processes (sched_yield), on a host
// where each rank has a core of its own. A rank that waits this long may
// wait for a peer that the kernel has put on this very core (see
// pollBudget), which could not run until this one slept; yielding lets it
// run, and, both being runnable, lets the kernel move one of them to an
// idle core. Sooner, it would hand the core to other programs on a busy
// host while the peer's answer may be on its way; on a core of its own,
// sched_yield returns at once.
const stepAsideAfter = 500 * time.Microsecond

// stepAside gives this thread's core to another runnable thread, if the
// kernel has one there (see world.yield for why RawSyscall).
func stepAside() { _, _, _ = unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0) }
