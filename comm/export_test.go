package comm

import (
	"io"

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
// "shm+cma" (large messages copied straight from the sender).
func LinkKind(c *Comm, r int) string {
	w, peer := c.w, c.group[r]
	l := w.links[peer]
	switch {
	case peer == w.rank:
		return "self"
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
