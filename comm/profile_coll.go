package comm

import "github.com/spmd-go/spmd/internal/commhook"

// Collectives report to the profile through internal/commhook: package
// collective asks for a communicator's collective view and profile with
// one call as each collective begins, and reports the call once it is
// over. A collective's own messages travel on the collective view, which
// is never profiled, so the collective counts as one call.

func init() { commhook.SetCollectiveCall((*Comm).collectiveCall) }

// collectiveCall returns c's collective view and, when c is profiled, its
// world's collective hook.
func (c *Comm) collectiveCall() (*Comm, *commhook.Profile[*Comm]) {
	if c == nil {
		return nil, nil
	}
	if c.prof == nil {
		return c.coll, nil
	}
	return c.coll, c.prof.collHook
}

// newCollHook makes the hook that package collective reports to.
func (p *profiler) newCollHook() *commhook.Profile[*Comm] {
	return &commhook.Profile[*Comm]{Start: p.tick, End: p.collectiveEnd, Timed: timeRequest}
}

// timeRequest makes waits and tests on req, a non-blocking collective's
// request on c, count as calls.
func timeRequest(c *Comm, req any) {
	if r, ok := req.(*Request); ok && c != nil {
		r.timed, r.comm, r.peer, r.tag = true, c, -1, AnyTag
	}
}

// collectiveEnd records a collective call (see commhook.Profile.End).
func (p *profiler) collectiveEnd(c *Comm, start int64, op, alg string, bytes, root int) {
	end := p.tick()
	e := profCall{start: start, bytes: bytes, peer: -1, tag: AnyTag}
	if c != nil {
		e.ctx, e.peer = c.ctx, c.worldRankOf(root)
	}
	p.mu.Lock()
	e.op = p.nameID(op)
	if alg != "" {
		e.alg = p.nameID(alg)
	}
	p.count(&e, end)
	p.mu.Unlock()
}
