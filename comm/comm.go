package comm

import (
	"fmt"
	"math"
	"sync/atomic"

	"github.com/spmd-go/spmd/internal/commhook"
)

// ProcNull as a source or destination makes the operation a no-op that
// completes at once (MPI_PROC_NULL), which keeps boundary ranks of a stencil
// free of special cases. A receive from ProcNull reports Source ProcNull,
// Tag AnyTag and 0 bytes.
const ProcNull = -2

// Comm is a communicator: a group of ranks and a private context in which
// their messages match. The world communicator comes from Init; Split and Dup
// make others, and Free releases those. A nil *Comm is the null
// communicator (Split with Undefined).
type Comm struct {
	w     *world
	ctx   uint32 // point-to-point context; ctx+1 is the collective context
	rank  int
	group []int // communicator rank → world rank
	coll  *Comm
	attrs attrs         // values cached by packages above (Attr)
	freed atomic.Bool   // Free has begun: no operation may start
	cart  *cartTopology // nil unless made by CartCreate, CartSub or Dup of one
	prof  *profiler     // the world's profiler if it profiles; always nil on a collective view

	objs atomic.Pointer[objectStreams] // SendObj/RecvObj gob streams, made on first use
}

// worldContext is the world communicator's context id; it is never freed.
const worldContext = 0

// newComm makes a communicator on context id (and id+1 for collectives).
func (w *world) newComm(id uint32, group []int, rank int) *Comm {
	c := &Comm{w: w, ctx: id, rank: rank, group: group, prof: w.prof}
	c.coll = &Comm{w: w, ctx: id + 1, rank: rank, group: group}
	c.coll.coll = c.coll
	w.eng.RegisterContext(id, group)
	w.eng.RegisterContext(id+1, group)
	return c
}

// Rank returns the calling process's rank in c, or -1 for a nil communicator.
func (c *Comm) Rank() int {
	if c == nil {
		return -1
	}
	return c.rank
}

// Size returns the number of ranks in c, or 0 for a nil communicator.
func (c *Comm) Size() int {
	if c == nil {
		return 0
	}
	return len(c.group)
}

// WorldRank returns the world rank of c's rank r, or -1 if r is out of range.
func (c *Comm) WorldRank(r int) int {
	if c == nil || r < 0 || r >= len(c.group) {
		return -1
	}
	return c.group[r]
}

// collective returns the view of c on its private collective context: the
// same group and ranks, but traffic that never matches c's point-to-point
// messages, even AnySource/AnyTag receives. Package collective runs on it;
// it reaches this method through internal/commhook, so user code cannot.
func (c *Comm) collective() *Comm {
	if c == nil {
		return nil
	}
	return c.coll
}

func init() { commhook.SetCollectiveView((*Comm).collective) }

// String describes c for logs.
func (c *Comm) String() string {
	if c == nil {
		return "comm(null)"
	}
	return fmt.Sprintf("comm(ctx %d, rank %d of %d)", c.ctx, c.rank, len(c.group))
}

func (c *Comm) usable() error {
	if c == nil || c.w == nil {
		return fmt.Errorf("comm: nil communicator: %w", ErrComm)
	}
	if c.freed.Load() {
		return fmt.Errorf("comm: freed communicator: %w", ErrComm)
	}
	if c.w.finalizing.Load() {
		return fmt.Errorf("comm: %w", ErrFinalized)
	}
	return nil
}

func (c *Comm) checkSend(dest, tag int) error {
	if err := c.usable(); err != nil {
		return err
	}
	if (dest < 0 || dest >= len(c.group)) && dest != ProcNull {
		return fmt.Errorf("comm: send to rank %d in a communicator of %d: %w", dest, len(c.group), ErrRank)
	}
	if tag < 0 || tag > math.MaxInt32 {
		return fmt.Errorf("comm: send with tag %d: %w", tag, ErrTag)
	}
	return nil
}

func (c *Comm) checkRecv(src, tag int) error {
	if err := c.usable(); err != nil {
		return err
	}
	if (src < 0 || src >= len(c.group)) && src != AnySource && src != ProcNull {
		return fmt.Errorf("comm: receive from rank %d in a communicator of %d: %w", src, len(c.group), ErrRank)
	}
	if (tag < 0 && tag != AnyTag) || tag > math.MaxInt32 {
		return fmt.Errorf("comm: receive with tag %d: %w", tag, ErrTag)
	}
	return nil
}
