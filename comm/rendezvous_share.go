package comm

import (
	"fmt"
	"sync"

	"github.com/spmd-go/spmd/comm/internal/shm"
	"github.com/spmd-go/spmd/comm/internal/wire"
)

// A shared copy moves a large message between two ranks on one host with
// both of them copying at once: the receiver reads the head of the message
// out of the sender's buffer (process_vm_readv) while the sender writes the
// tail into the receiver's (process_vm_writev). A sender waiting for its
// send to complete has a core and nothing else to do; with it the copy
// takes about half as long, where the receiver alone copied at the speed
// of one core (bench/results/2026-12-06-large-messages).
//
//	sender                         receiver
//	RTS (its buffer's address) →
//	                             ← Share (the receiver's buffer's address)
//	write the tail                 read the head
//	Pushed                     →   (the receive completes once both are done)
//	                             ← Pulled (the send completes)
//
// The sender handles Share before Pulled (one link's frames are handled in
// order, each to its end), so its part is written when its send completes.
// Share is used only when each rank may copy from and into the other's
// memory, the message is large enough to pay for the extra frames
// (shareMinBytes), this host has a core for every rank, and the receiver is
// not itself sending to the sender by rendezvous. With more ranks than
// cores, the sender's part would wait for the sender to be scheduled, and
// no core is idle to gain. Two ranks that exchange messages (a Sendrecv,
// the steps of a collective) each copy one message already, both cores
// busy: sharing would only add frames, and make each receive wait for the
// other rank's part (it must then be running, not just alive).

// shareMinBytes is the smallest granted message whose copy is shared. A
// shared copy adds a frame each way and a system call, which smaller
// copies do not earn back (bench/results/2026-12-06-large-messages).
const shareMinBytes = 64 << 10

// grantPool recycles the grants of shared receives.
var grantPool = sync.Pool{New: func() any { return new(grant) }}

// canShare reports whether the copy of a matched rendezvous message of n
// granted bytes from l's peer, whose sender offered its buffer's address,
// is shared with the sender.
func (w *world) canShare(l *link, n int) bool {
	return n >= shareMinBytes && !w.oversubscribed && !w.cfg.NoShare &&
		l.shm != nil && l.shm.readsPeer && l.shm.peerReads && !w.rdv.sendingTo(l.peer)
}

// grantShared answers a matched RTS whose sender offered its buffer at
// addr with a shared copy: it asks the sender for the tail with Share,
// reads the head itself, and says Pulled. st and err are the receive's
// outcome (receiveInto).
func (w *world) grantShared(l *link, req *Request, st Status, err error, sendID, addr uint64) {
	n := uint64(st.Bytes)
	cut := wire.ShareCut(n)
	g := grantPool.Get().(*grant)
	*g = grant{req: req, peer: l.peer, st: st, err: err}
	g.parts.Store(2)
	w.rdv.shared.Add(1)
	w.rdv.addShare(l.peer, sendID, g)
	l.enqueue(queuedWrite{h: wire.Header{Kind: wire.Share, ID: sendID, Aux: uint64(shm.Addr(req.buf[cut:n])), Len: n}})
	if rerr := shm.ReadRemote(l.shm.pid, uintptr(addr), req.buf[:cut]); rerr != nil {
		// The sender's memory refused the read after all (it died, which
		// the link learns soon, or policy changed): ask for the whole
		// message through the ring, behind the sender's part, which the
		// data then overwrites. The shared grant never completes; Pushed
		// or the peer's loss clears it.
		h := wire.Header{Kind: wire.CTS, ID: sendID, Len: n}
		h.Aux = w.rdv.addRecv(&grant{req: req, peer: l.peer, st: st, err: err})
		l.enqueue(queuedWrite{h: h})
		return
	}
	l.enqueue(queuedWrite{h: wire.Header{Kind: wire.Pulled, ID: sendID, Len: cut}})
	g.partDone()
}

// partDone ends one part of a shared receive; the last completes it. The
// caller must not touch g afterwards.
func (g *grant) partDone() {
	if g.parts.Add(-1) != 0 {
		return
	}
	req, st, err := g.req, g.st, g.err
	*g = grant{}
	grantPool.Put(g)
	req.complete(st, err)
}

// handleShare takes a receiver's request to copy the tail of a rendezvous
// send into its buffer: it writes it there and answers Pushed. The send
// stays registered; the receiver's Pulled completes it.
func (w *world) handleShare(l *link, h *wire.Header) error {
	req := w.rdv.sendOf(h.ID)
	if req == nil || req.peer != l.peer || h.Len > uint64(len(req.buf)) || l.shm == nil || !l.shm.readsPeer {
		return fmt.Errorf("%w: share of unknown send %d", errProtocol, h.ID)
	}
	cut := wire.ShareCut(h.Len)
	if err := shm.WriteRemote(l.shm.pid, uintptr(h.Aux), req.buf[cut:h.Len]); err != nil {
		// The receiver offered this address and the set-up found its
		// memory open to us: only its death or a bad address fails here.
		return fmt.Errorf("%w: share of send %d: %w", errProtocol, h.ID, err)
	}
	l.enqueue(queuedWrite{h: wire.Header{Kind: wire.Pushed, ID: h.ID, Len: h.Len - cut}})
	return nil
}

// handlePushed takes the sender's word that it wrote its part of a shared
// receive.
func (w *world) handlePushed(l *link, h *wire.Header) error {
	g := w.rdv.takeShare(l.peer, h.ID)
	if g == nil {
		return fmt.Errorf("%w: pushed for unknown share %d", errProtocol, h.ID)
	}
	if n := uint64(g.st.Bytes); h.Len != n-wire.ShareCut(n) {
		return fmt.Errorf("%w: pushed %d bytes of share %d, want %d", errProtocol, h.Len, h.ID, n-wire.ShareCut(n))
	}
	g.partDone()
	return nil
}
