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
// send to complete has a core and nothing else to do; with both at it the
// copy can take half as long as the receiver alone, which copies at the speed
// of one core (bench/results/2026-12-06-large-messages).
//
//	sender                            receiver
//	RTS (its buffer's address)    →
//	                              ←   Share (the receiver's buffer's address
//	                                  and a claim slot for the tail)
//	claim the tail, write it          read the head
//	Pushed                        →   (the receive completes once both are in)
//	                              ←   Pulled (the send completes)
//
// The tail goes to whichever rank claims it first (shm.Claims, words in
// the pair's segment): a sender that is computing, descheduled or slow to
// read its frames has not claimed it when the receiver is done with the
// head, and the receiver then claims and copies it too, without waiting.
// The receiver waits for the sender only while the sender is copying. The
// sender handles Share before Pulled (one link's frames are handled in
// order, each to its end), so its part is written when its send completes.
//
// Share is offered only when each rank may copy from and into the other's
// memory, the message is large enough to pay for the extra frames
// (shareMinBytes), this host has a core for every rank, and the receiver is
// not itself sending to the sender by rendezvous. With more ranks than
// cores, no core is idle to gain. Two ranks that exchange messages (a
// Sendrecv, the steps of a collective) each copy one message already, both
// cores busy.

// shareMinBytes is the smallest granted message whose copy is shared. A
// shared copy adds a frame each way and a system call on each side, which
// a copy of 64 KiB did not earn back in the windowed bandwidth test while
// one of 128 KiB did (bench/results/2026-12-06-large-messages).
const shareMinBytes = 128 << 10

// grantPool recycles the grants of shared receives.
var grantPool = sync.Pool{New: func() any { return new(grant) }}

// shareSlots are a shared-memory link's claim slots: offers, those of the
// messages this rank receives, which it hands out; claims, those of the
// messages it sends, which the peer hands out.
type shareSlots struct {
	offers, claims shm.Claims
	mu             sync.Mutex
	free           []int32 // offer slots not in use
}

func newShareSlots(offers, claims shm.Claims) *shareSlots {
	s := &shareSlots{offers: offers, claims: claims, free: make([]int32, offers.Len())}
	for i := range s.free {
		s.free[i] = int32(len(s.free) - 1 - i)
	}
	return s
}

// get returns a free offer slot, or false when all are in use.
func (s *shareSlots) get() (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.free) == 0 {
		return 0, false
	}
	slot := s.free[len(s.free)-1]
	s.free = s.free[:len(s.free)-1]
	return int(slot), true
}

// put returns an offer slot that neither rank will use again for its
// offer.
func (s *shareSlots) put(slot int) {
	s.mu.Lock()
	s.free = append(s.free, int32(slot))
	s.mu.Unlock()
}

// canShare reports whether the copy of a matched rendezvous message of n
// granted bytes from l's peer, whose sender offered its buffer's address,
// is offered to the sender.
func (w *world) canShare(l *link, n int) bool {
	return n >= shareMinBytes && !w.oversubscribed && !w.cfg.NoShare &&
		l.shm != nil && l.shm.readsPeer && l.shm.peerReads && !w.rdv.sendingTo(l.peer)
}

// grantShared answers a matched RTS whose sender offered its buffer at
// addr with a shared copy: it offers the sender the tail with Share, reads
// the head, reads the tail too unless the sender claimed it, and says
// Pulled. st and err are the receive's outcome (receiveInto). It reports
// false, doing nothing, when the link has no free claim slot.
func (w *world) grantShared(l *link, req *Request, st Status, err error, sendID, addr uint64) bool {
	slots := l.shm.share
	slot, ok := slots.get()
	if !ok {
		return false
	}
	n := uint64(st.Bytes)
	cut := wire.ShareCut(n)
	gen := slots.offers.Offer(slot)
	g := grantPool.Get().(*grant)
	*g = grant{req: req, peer: l.peer, st: st, err: err, slot: slot}
	g.parts.Store(2)
	w.rdv.shared.Add(1)
	w.rdv.addShare(l.peer, sendID, g)
	l.enqueue(queuedWrite{h: wire.Header{Kind: wire.Share, ID: sendID, Aux: uint64(shm.Addr(req.buf[cut:n])),
		Len: n, Context: uint32(slot), Tag: int32(gen)}})
	rerr := shm.ReadRemote(l.shm.pid, uintptr(addr), req.buf[:cut])
	if slots.offers.ClaimReceiver(slot, gen) {
		// The sender has not begun on the tail, and now never will.
		w.rdv.takeShare(l.peer, sendID)
		slots.put(slot)
		if rerr == nil {
			rerr = shm.ReadRemote(l.shm.pid, uintptr(addr)+uintptr(cut), req.buf[cut:n])
		}
		*g = grant{}
		grantPool.Put(g)
		if rerr == nil {
			l.enqueue(queuedWrite{h: wire.Header{Kind: wire.Pulled, ID: sendID, Len: n}})
			req.complete(st, err)
			return true
		}
	} else if rerr == nil {
		l.enqueue(queuedWrite{h: wire.Header{Kind: wire.Pulled, ID: sendID, Len: cut}})
		g.partDone()
		return true
	}
	// The sender's memory refused a read after all (it died, which the
	// link learns soon, or policy changed): ask for the whole message
	// through the ring, behind the sender's part if it claimed one, which
	// the data then overwrites. A claimed share then never completes;
	// Pushed or the peer's loss clears it.
	h := wire.Header{Kind: wire.CTS, ID: sendID, Len: n}
	h.Aux = w.rdv.addRecv(&grant{req: req, peer: l.peer, st: st, err: err})
	l.enqueue(queuedWrite{h: h})
	return true
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

// handleShare takes a receiver's offer of the tail of a rendezvous send:
// unless the receiver has claimed it back, it writes it into the
// receiver's buffer and answers Pushed. The send stays registered; the
// receiver's Pulled completes it.
func (w *world) handleShare(l *link, h *wire.Header) error {
	req := w.rdv.sendOf(h.ID)
	if req == nil || req.peer != l.peer || h.Len > uint64(len(req.buf)) || l.shm == nil || !l.shm.readsPeer {
		return fmt.Errorf("%w: share of unknown send %d", errProtocol, h.ID)
	}
	if !l.shm.share.claims.ClaimSender(int(h.Context), uint32(h.Tag)) {
		return nil // the receiver copies it
	}
	cut := wire.ShareCut(h.Len)
	if err := shm.WriteRemote(l.shm.pid, uintptr(h.Aux), req.buf[cut:h.Len]); err != nil {
		// The receiver offered this address and the set-up found its
		// memory open to us: only its death (or a bad address from it)
		// fails here, and either ends the link.
		return fmt.Errorf("copying share of send %d: %w", h.ID, err)
	}
	l.enqueue(queuedWrite{h: wire.Header{Kind: wire.Pushed, ID: h.ID, Len: h.Len - cut}})
	return nil
}

// handlePushed takes the sender's word that it wrote its part of a shared
// receive.
func (w *world) handlePushed(l *link, h *wire.Header) error {
	g := w.rdv.takeShare(l.peer, h.ID)
	if g == nil || l.shm == nil {
		return fmt.Errorf("%w: pushed for unknown share %d", errProtocol, h.ID)
	}
	if n := uint64(g.st.Bytes); h.Len != n-wire.ShareCut(n) {
		return fmt.Errorf("%w: pushed %d bytes of share %d, want %d", errProtocol, h.Len, h.ID, n-wire.ShareCut(n))
	}
	l.shm.share.put(g.slot)
	g.partDone()
	return nil
}
