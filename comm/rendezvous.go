package comm

import "sync"

// rendezvous tracks large messages between RTS and data: sends waiting for
// the receiver's CTS, and receives waiting for the granted data.
type rendezvous struct {
	mu    sync.Mutex
	next  uint64
	sends map[uint64]*Request
	recvs map[uint64]*grant
}

// grant is a receive whose CTS has gone out.
type grant struct {
	req  *Request
	peer int // world rank the data comes from
	st   Status
	err  error // ErrTruncate when the message is longer than the buffer
	got  int   // bytes of compressed data received so far (handlePacked)
}

func (rv *rendezvous) init() {
	rv.sends = make(map[uint64]*Request)
	rv.recvs = make(map[uint64]*grant)
}

func (rv *rendezvous) addSend(r *Request) uint64 {
	rv.mu.Lock()
	rv.next++
	id := rv.next
	rv.sends[id] = r
	rv.mu.Unlock()
	return id
}

func (rv *rendezvous) takeSend(id uint64) *Request {
	rv.mu.Lock()
	r := rv.sends[id]
	delete(rv.sends, id)
	rv.mu.Unlock()
	return r
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
	for id, g := range rv.recvs {
		if g.peer == peer {
			failed = append(failed, g.req)
			delete(rv.recvs, id)
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
	return len(rv.sends), len(rv.recvs)
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
	return n
}
