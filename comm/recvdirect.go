package comm

import (
	"github.com/spmd-go/spmd/comm/internal/match"
	"github.com/spmd-go/spmd/comm/internal/wire"
)

// directPasses bounds how long a blocking receive from one peer polls
// that peer's ring for the frame itself (recvDirect) before it posts the
// receive and waits the ordinary way: long enough for the answer of a
// ping-pong.
const directPasses = 1024

// recvDirect is the fast path of a blocking receive from one peer over
// shared memory (Recv, RecvObj): it polls the peer's ring and takes the
// next frame straight into buf when that frame is an eager message for
// this receive that nothing else takes first (match.Engine.LockIfFirst),
// with no request, no posting and no completion, as Open MPI's fast boxes
// do. It reports false, having taken nothing, when the path does not apply
// (the host is oversubscribed, the peer is not on shared memory), when the
// next frame is anything else, or when no frame comes within
// directPasses; the ordinary path then does the receive. The receive
// behaves as if posted when it takes the frame, so MPI's order holds:
// earlier unexpected messages and earlier posted receives that match go
// first.
//
// In a profiled world it also returns the message's number on its link
// (see profile_link.go), which the trace's flow arrows need.
func (c *Comm) recvDirect(buf []byte, source, tag int) (Status, uint64, bool) {
	w := c.w
	if source < 0 || w.oversubscribed {
		return Status{}, 0, false
	}
	l := w.link(c.group[source])
	if l == nil || l.shm == nil {
		return Status{}, 0, false
	}
	v, ok := l.src.(frameViewer)
	if !ok {
		return Status{}, 0, false
	}
	l.startPolling()
	for range directPasses {
		if l.readDead.Load() {
			break
		}
		if !l.src.Hint() || !l.rmu.TryLock() {
			continue
		}
		st, seq, took := c.takeDirect(l, v, buf, source, tag)
		if !took {
			// A frame that is not this receive's, already begun by
			// PeekFrame (whose seal Hint no longer sees): handle it
			// and whatever follows now, as any reader would.
			_ = l.drain()
		}
		l.rmu.Unlock()
		if took {
			l.stopPolling(false)
			return st, seq, true
		}
		break
	}
	l.stopPolling(false)
	return Status{}, 0, false
}

// takeDirect takes the frame waiting on l into buf if recvDirect may (see
// there). The caller holds l.rmu, and must handle the frame (drain) if
// takeDirect declines it.
func (c *Comm) takeDirect(l *link, v frameViewer, buf []byte, source, tag int) (Status, uint64, bool) {
	f := v.PeekFrame()
	if len(f) < wire.HeaderSize || l.rh.Decode(f[:wire.HeaderSize], c.w.limits) != nil {
		return Status{}, 0, false // not whole in place, or bad: the ordinary path reads it
	}
	h := &l.rh
	env := match.Envelope{Context: h.Context, Src: int(h.Src), Tag: int(h.Tag), Len: int(h.Len)}
	payload := f[wire.HeaderSize:]
	if h.Inlined() {
		payload = h.InlineBytes(&l.inlineBuf)
	}
	if h.Kind != wire.Eager || h.Context != c.ctx || env.Len > len(buf) || len(payload) != env.Len ||
		!match.Matches(source, tag, &env) {
		return Status{}, 0, false
	}
	if !c.w.eng.LockIfFirst(&env, source, tag) {
		return Status{}, 0, false
	}
	var seq uint64
	if l.counts.on {
		seq = l.countArrival() // as handleEager numbers it
	}
	copy(buf, payload)
	c.w.eng.Unlock()
	if h.Credit > 0 {
		l.credit.Add(int64(h.Credit))
	}
	v.ConsumeFrame()
	l.giveCredit(int64(env.Len) + messageOverhead)
	return Status{Source: source, Tag: env.Tag, Bytes: env.Len}, seq, true
}
