package comm

import (
	"fmt"
	"io"

	"github.com/spmd-go/spmd/comm/internal/shm"
	"github.com/spmd-go/spmd/internal/lossnote"
)

// UnexpectedBytes exposes the eager bytes a rank holds unexpected, so tests
// can check that memory stays within the credit window.
func UnexpectedBytes(c *Comm) int { return c.w.eng.Stats().UnexpectedBytes }

// EagerWindow exposes the configured window.
func EagerWindow(c *Comm) int { return c.w.cfg.EagerWindow }

// PendingRendezvous exposes open rendezvous operations.
func PendingRendezvous(c *Comm) (sends, recvs int) { return c.w.rdv.pending() }

// LinkKind tells how c reaches its rank r: "self", "tcp", "shm" or
// "shm+cma" (large messages copied straight from the sender), or "none"
// while there is no link yet.
func LinkKind(c *Comm, r int) string {
	w, peer := c.w, c.group[r]
	l := w.link(peer)
	switch {
	case peer == w.rank:
		return "self"
	case l == nil:
		return "none"
	case l.shm == nil:
		return "tcp"
	case l.shm.readsPeer && l.shm.peerReads:
		return "shm+cma"
	}
	return "shm"
}

// GetPayload and PutPayload expose the unexpected-payload pool.
var GetPayload, PutPayload = getPayload, putPayload

// ContextID exposes a communicator's point-to-point context id.
func ContextID(c *Comm) uint32 { return c.ctx }

// ContextsHeld exposes how many context ids this rank has reserved and how
// many contexts its matching engine holds state for.
func ContextsHeld(c *Comm) (reserved, matching int) {
	c.w.ctxs.mu.Lock()
	reserved = len(c.w.ctxs.used)
	c.w.ctxs.mu.Unlock()
	return reserved, c.w.eng.Contexts()
}

// PackedBytes tells how many data bytes c's rank tried to compress on its
// link to rank r and how many went on the wire for them.
func PackedBytes(c *Comm, r int) (raw, packed uint64) {
	l, err := c.w.linkTo(c.group[r])
	if err != nil || l.packer == nil {
		return 0, 0
	}
	return l.packer.raw.Load(), l.packer.packed.Load()
}

// Connect makes c's link to its rank r if there is none yet, as a first
// send would.
func Connect(c *Comm, r int) error {
	_, err := c.w.linkTo(c.group[r])
	return err
}

// Links counts the links c's rank holds to other ranks.
func Links(c *Comm) int { return len(c.w.links()) - 1 }

// SegmentBytes sums the sizes of the pair segments c's rank has mapped.
func SegmentBytes(c *Comm) int {
	c.w.linkMu.Lock()
	defer c.w.linkMu.Unlock()
	n := 0
	for _, s := range c.w.segments {
		n += s.Size()
	}
	return n
}

// RingSize is the ring size c's rank gives the pair segments it creates.
func RingSize(c *Comm) int { return c.w.ringSize }

// PeerLost fails everything c's rank has that depends on its rank r, as a
// launcher's word that r died does.
func PeerLost(c *Comm, r int, cause error) { c.w.peerLost(c.group[r], cause) }

// ReadNotices reads launcher loss notices from r, as the pipe named by
// SPMD_NOTIFY_FD is read.
func ReadNotices(c *Comm, r io.Reader) { go c.w.readNotices(r) }

// HoldNotices makes c's world hold loss notices as it does while Join
// wires up; JoinNotices applies them as the end of Join does.
func HoldNotices(c *Comm) {
	c.w.notices.mu.Lock()
	c.w.notices.joined = false
	c.w.notices.mu.Unlock()
}

// JoinNotices applies the held loss notices, as the end of Join does.
func JoinNotices(c *Comm) { c.w.noticesJoined() }

// NoticeLost hands c's world a loss notice as if read from the launcher.
func NoticeLost(c *Comm, rank int, cause string) {
	c.w.noticeLost(lossnote.Loss{Rank: rank, Cause: cause})
}

// SharesCopies reports whether large messages from rank r are copied by
// both ranks at once (rendezvous_share.go).
func SharesCopies(c *Comm, r int) bool {
	l := c.w.link(c.group[r])
	return l != nil && c.w.canShare(l, shareMinBytes)
}

// SharedCopies counts the receives of c's world whose copy was shared.
func SharedCopies(c *Comm) uint64 { return c.w.rdv.shared.Load() }

// RefuseShares makes c's rank leave to rank r every part of a message
// that r offers it (wire.Share): r then copies it all. Call it before any
// message to r.
func RefuseShares(c *Comm, r int) error {
	l, err := c.w.linkTo(c.group[r])
	if err != nil {
		return err
	}
	if l.shm == nil {
		return fmt.Errorf("no shared-memory link to rank %d", r)
	}
	l.shm.share.claims = shm.Claims{}
	return nil
}

// ShareMinBytes is the smallest message whose copy is shared.
const ShareMinBytes = shareMinBytes
