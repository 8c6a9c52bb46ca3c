package comm

import (
	"sync"
	"sync/atomic"
)

// rendezvous tracks large messages between RTS and data: sends waiting for
// the receiver's CTS (or its word that it copied them), receives waiting
// for the granted data, and shared receives waiting for the sender's part
// (rendezvous_share.go).
type rendezvous struct {
	mu     sync.Mutex
	next   uint64
	sends  map[uint64]*Request
	recvs  map[uint64]*grant
	shares map[shareKey]*grant
	// sendsTo counts the sends in sends by destination world rank.
	sendsTo map[int]int
	// shared counts the receives whose copy was shared, for tests.
	shared atomic.Uint64
}

// shareKey names a shared receive by the sender's world rank and the
// sender's ID for the message, which the sender's Pushed echoes: the
// sender's IDs are unique among its own sends only.
type shareKey struct {
	peer int
	send uint64
}

// grant is a receive whose CTS has gone out.
type grant struct {
	req  *Request
	peer int // world rank the data comes from
	st   Status
	err  error // ErrTruncate when the message is longer than the buffer
	got  int   // bytes of compressed data received so far (handlePacked)
	// parts counts the copies of a shared receive still running: this
	// rank's and the sender's. Whoever ends the last one completes req.
	parts atomic.Int32
	slot  int // a shared receive's claim slot
}

func (rv *rendezvous) init() {
	rv.sends = make(map[uint64]*Request)
	rv.recvs = make(map[uint64]*grant)
	rv.shares = make(map[shareKey]*grant)
	rv.sendsTo = make(map[int]int)
}

// sendOf returns the send registered as id, leaving it registered.
func (rv *rendezvous) sendOf(id uint64) *Request {
	rv.mu.Lock()
	r := rv.sends[id]
	rv.mu.Unlock()
	return r
}

// addShare registers g, a receive shared with peer's send id.
func (rv *rendezvous) addShare(peer int, send uint64, g *grant) {
	rv.mu.Lock()
	rv.shares[shareKey{peer, send}] = g
	rv.mu.Unlock()
}

// takeShare removes and returns the receive shared with peer's send id.
func (rv *rendezvous) takeShare(peer int, send uint64) *grant {
	k := shareKey{peer, send}
	rv.mu.Lock()
	g := rv.shares[k]
	delete(rv.shares, k)
	rv.mu.Unlock()
	return g
}

func (rv *rendezvous) addSend(r *Request) uint64 {
	rv.mu.Lock()
	rv.next++
	id := rv.next
	rv.sends[id] = r
	rv.sendsTo[r.peer]++
	rv.mu.Unlock()
	return id
}

func (rv *rendezvous) takeSend(id uint64) *Request {
	rv.mu.Lock()
	r := rv.sends[id]
	if r != nil {
		delete(rv.sends, id)
		if rv.sendsTo[r.peer]--; rv.sendsTo[r.peer] == 0 {
			delete(rv.sendsTo, r.peer)
		}
	}
	rv.mu.Unlock()
	return r
}

// sendingTo reports whether a send to world rank peer waits in a
// rendezvous.
func (rv *rendezvous) sendingTo(peer int) bool {
	rv.mu.Lock()
	n := rv.sendsTo[peer]
	rv.mu.Unlock()
	return n > 0
}

func (rv *rendezvous) addRecv(g *grant) uint64 {
	rv.mu.Lock()
	rv.next++
	id := rv.next
	rv.recvs[id] = g
	rv.mu.Unlock()
	return id
}

func (rv *rendezvous) takeRecv(id uint64) *grant {
	rv.mu.Lock()
	g := rv.recvs[id]
	delete(rv.recvs, id)
	rv.mu.Unlock()
	return g
}

// recvOf returns the receive granted as id, leaving it granted.
func (rv *rendezvous) recvOf(id uint64) *grant {
	rv.mu.Lock()
	g := rv.recvs[id]
	rv.mu.Unlock()
	return g
}

// peerLost fails every rendezvous with peer.
func (rv *rendezvous) peerLost(peer int, err error) {
	rv.mu.Lock()
	var failed []*Request
	for id, r := range rv.sends {
		if r.peer == peer {
			failed = append(failed, r)
			delete(rv.sends, id)
		}
	}
	delete(rv.sendsTo, peer)
	for id, g := range rv.recvs {
		if g.peer == peer {
			failed = append(failed, g.req)
			delete(rv.recvs, id)
		}
	}
	for k, g := range rv.shares {
		if k.peer == peer {
			failed = append(failed, g.req)
			delete(rv.shares, k)
		}
	}
	rv.mu.Unlock()
	for _, r := range failed {
		r.complete(Status{}, err)
	}
}

// pending counts open rendezvous operations.
func (rv *rendezvous) pending() (sends, recvs int) {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return len(rv.sends), len(rv.recvs) + len(rv.shares)
}

// pendingOn counts open rendezvous operations on context ctx.
func (rv *rendezvous) pendingOn(ctx uint32) int {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	n := 0
	for _, r := range rv.sends {
		if r.ctx == ctx {
			n++
		}
	}
	for _, g := range rv.recvs {
		if g.req.recv.Context == ctx {
			n++
		}
	}
	for _, g := range rv.shares {
		if g.req.recv.Context == ctx {
			n++
		}
	}
	return n
}
