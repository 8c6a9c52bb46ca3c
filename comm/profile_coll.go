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
	e.op, e.alg = p.collNames.ids(p, op, alg)
	p.count(&e, end)
	p.mu.Unlock()
}

// collNameCache remembers the name ids of the collectives and algorithms
// seen last, so that a collective call finds its ids without hashing its
// names: package collective passes the same strings for the same call
// every time, and two strings that share their bytes compare equal
// without reading them. It is direct-mapped by the names' lengths; a miss
// interns the names (profiler.nameID) and takes the slot.
type collNameCache [8]struct {
	op, alg     string
	opID, algID uint16
}

// ids returns the ids of op and alg (0 for an empty alg); the caller
// holds p.mu.
func (cache *collNameCache) ids(p *profiler, op, alg string) (opID, algID uint16) {
	e := &cache[(len(op)*3+len(alg))%len(cache)]
	if e.opID != 0 && e.op == op && e.alg == alg {
		return e.opID, e.algID
	}
	opID = p.nameID(op)
	if alg != "" {
		algID = p.nameID(alg)
	}
	e.op, e.alg, e.opID, e.algID = op, alg, opID, algID
	return opID, algID
}
