package comm

import (
	"fmt"
)

// Free releases c (MPI_Comm_free): its context ids, which later Split and
// Dup calls may then reuse, and the values cached on it (Attr), so that a
// program that makes a communicator in a loop and frees it runs in bounded
// memory. Afterwards every operation on c, and on its collective traffic,
// fails with an error wrapping ErrComm; so does a second Free.
//
// Free is collective over c, and each member must have completed every
// operation it started on c — waited for its requests, collectives
// included — before calling it, as MPI requires. Free checks that: if any
// member still has a receive posted or a rendezvous send or receive open on
// c, Free fails on every member with an error wrapping ErrPending naming
// that rank, and c stays usable, so that the program can complete the
// operation and free c again.
//
// Free never lets traffic of c match a later communicator that reuses its
// context id. Each member sends every member, itself included, one last
// message on c's context and waits for one from each; frames between two
// ranks arrive in the order they were written, so once Free returns every
// message sent to this rank on c has arrived, and no member sends on c
// after calling Free. A message that arrived and was never received is a
// program error: Free discards it (returning its sender's credit), frees c
// all the same, and reports the count in an error wrapping ErrPending.
//
// If a member is lost meanwhile, Free fails with an error wrapping
// ErrPeerLost and c stays unusable, its ids reserved. The world
// communicator cannot be freed: Finalize ends it.
func (c *Comm) Free() error {
	if c.profiled() {
		defer c.prof.commCall(opFree, c, c.prof.tick())
	}
	if err := c.usable(); err != nil {
		return err
	}
	if c.ctx == worldContext {
		return fmt.Errorf("comm: the world communicator cannot be freed (Finalize ends it): %w", ErrComm)
	}
	if !c.freed.CompareAndSwap(false, true) {
		return fmt.Errorf("comm: freed communicator: %w", ErrComm)
	}
	c.coll.freed.Store(true)
	counts, err := c.coll.exchangeInt64(tagFree, int64(c.pendingOps()))
	if err != nil {
		// A lost peer or Finalize: c stays unusable, and its ids stay
		// reserved, since stray traffic may still come.
		return fmt.Errorf("comm: free: %w", err)
	}
	for r, n := range counts {
		if n > 0 {
			c.coll.freed.Store(false)
			c.freed.Store(false)
			return fmt.Errorf("comm: free: rank %d has %d operations pending on the communicator: %w", r, n, ErrPending)
		}
	}
	discarded := c.w.releaseContext(c.ctx) + c.w.releaseContext(c.ctx+1)
	c.w.ctxs.release(c.ctx)
	c.attrs.clear()
	c.coll.attrs.clear()
	if discarded > 0 {
		return fmt.Errorf("comm: free: discarded %d messages that arrived on the communicator and were never received: %w", discarded, ErrPending)
	}
	return nil
}

// pendingOps counts this rank's operations on c (either context) that
// Free must not overtake: receives posted and not matched, and rendezvous
// sends and receives not finished. A receive matched to an eager message
// whose payload is still being read is not counted: its frame precedes
// Free's own, so it completes before Free's exchange does.
func (c *Comm) pendingOps() int {
	w := c.w
	return w.eng.Posted(c.ctx) + w.eng.Posted(c.ctx+1) + w.rdv.pendingOn(c.ctx) + w.rdv.pendingOn(c.ctx+1)
}

// releaseContext drops the matching engine's state for context id and
// returns how many unreceived messages it discarded. Receives still posted
// (none, once Free's check passed) fail with ErrComm.
func (w *world) releaseContext(id uint32) int {
	msgs, posted := w.eng.Unregister(id)
	for _, r := range posted {
		r.Owner.(*Request).complete(Status{}, fmt.Errorf("comm: receive on a freed communicator: %w", ErrComm))
	}
	for _, m := range msgs {
		if !m.Rendezvous {
			w.link(m.Peer).giveCredit(int64(m.Env.Len) + messageOverhead)
			putPayload(m.Payload)
		}
		w.eng.Release(m)
	}
	return len(msgs)
}
