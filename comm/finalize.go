package comm

import (
	"errors"
	"fmt"
	"time"

	"github.com/spmd-go/spmd/comm/internal/wire"
)

// finalizeWait bounds how long Finalize waits for peers to say goodbye.
const finalizeWait = 10 * time.Second

// Finalize ends this process's part in the job (MPI_Finalize). Call it on
// the world communicator, the one Init returned; on any other it returns an
// error wrapping ErrComm and does nothing. It is collective over the world:
// it waits until every rank has called it, so that no message still in
// flight is lost, then closes every connection and tells the launcher.
// Complete every request before calling it; communicators other than the
// world need not be freed first. Later calls return the first call's
// result; every other operation then fails with ErrFinalized.
func (c *Comm) Finalize() error {
	if c == nil || c.w == nil {
		return fmt.Errorf("comm: finalize: nil communicator: %w", ErrComm)
	}
	if c.ctx != worldContext {
		return fmt.Errorf("comm: finalize on %v: only the world communicator finalizes: %w", c, ErrComm)
	}
	w := c.w
	w.finOnce.Do(func() { w.finErr = w.finalize() })
	return w.finErr
}

func (w *world) finalize() error {
	w.markSpan()
	world := w.worldComm()
	var errs []error
	if err := w.finishProfile(); err != nil {
		errs = append(errs, err)
	}
	if err := w.finalBarrier(world); err != nil {
		errs = append(errs, fmt.Errorf("comm: finalize: %w", err))
	}
	w.finalizing.Store(true)
	w.stopDiagnostics()
	errs = append(errs, w.sayGoodbye()...)
	w.linkMu.Lock()
	w.linksClosed = true
	w.linkMu.Unlock()
	for _, l := range w.links() {
		l.shutdown()
	}
	w.closeSegments()
	if err := w.boot.Finalize(); err != nil {
		errs = append(errs, fmt.Errorf("comm: finalize: bootstrap: %w", err))
	}
	return errors.Join(errs...)
}

// finalBarrier waits until every rank has called Finalize. The launcher's
// fence does it without a connection between ranks: a barrier over the
// world would connect each rank to log2(size) partners it may never have
// talked to (links are made on first use), thousands of handshakes at once
// in a large job, only to close them again. Messages in flight need no
// barrier to arrive: a link's goodbye follows every frame sent before it,
// and each rank reads its links to their end (sayGoodbye). Only a PMI
// launcher's fence is used: it knows of ranks that die; other bootstraps
// (rank 0's key-value server in a Slurm step, commtest's) take the barrier
// over the world, which fails promptly when a peer is lost.
func (w *world) finalBarrier(world *Comm) error {
	if _, ok := w.boot.(lossReporter); ok && w.size > 1 {
		return w.boot.Fence()
	}
	return world.coll.barrier()
}

// sayGoodbye ends every link cleanly: it sends the peer a goodbye, closes
// its side, and waits until the peer has closed its own. Links are made
// on first use, so one can still appear while this runs: a peer that
// dialled this rank just before the barrier ended, whose connection the
// listener is still setting up. Each round says goodbye on the links made
// since the last; once a round finds none, the listener is closed, which
// waits for the connections it is taking, and a last round covers them.
// No link can appear after that: Finalize refuses to dial.
func (w *world) sayGoodbye() []error {
	var errs []error
	deadline := time.NewTimer(finalizeWait)
	defer deadline.Stop()
	done := map[*link]bool{}
	listening := w.listener != nil
	for {
		var round []*link
		for _, l := range w.links() {
			if l.peer != w.rank && !done[l] {
				round = append(round, l)
				done[l] = true
			}
		}
		if len(round) == 0 {
			if !listening {
				return errs
			}
			w.listener.Close()
			listening = false
			continue
		}
		for _, l := range round {
			l.closing.Store(true)
		}
		for _, l := range round {
			if l.lost() != nil {
				continue
			}
			_ = l.writeFrame(&wire.Header{Kind: wire.Bye}, nil)
			_ = l.half()
		}
		for _, l := range round {
			select {
			case <-l.readerDone:
			case <-deadline.C:
				errs = append(errs, fmt.Errorf("comm: finalize: rank %d did not close its connection within %v", l.peer, finalizeWait))
				if listening {
					w.listener.Close()
				}
				return errs
			}
		}
	}
}

// worldComm returns a communicator over the world's contexts.
func (w *world) worldComm() *Comm {
	group := make([]int, w.size)
	for i := range group {
		group[i] = i
	}
	c := &Comm{w: w, ctx: worldContext, rank: w.rank, group: group}
	c.coll = &Comm{w: w, ctx: worldContext + 1, rank: w.rank, group: group}
	return c
}

// Abort ends the whole job with code, like MPI_Abort: the launcher is told
// (and ends every rank), then this process exits. It does not return.
func (c *Comm) Abort(code int) {
	w := c.w
	w.abortOnce.Do(func() {
		_ = w.boot.Abort(code, fmt.Sprintf("rank %d called Abort(%d)", w.rank, code))
		// Drop every connection at once, as the exit would, so peers notice
		// even if the launcher is slow.
		w.closeLinks(false)
	})
	w.cfg.Exit(code)
}
