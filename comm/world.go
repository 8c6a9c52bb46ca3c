package comm

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/spmd-go/spmd/comm/internal/match"
	"github.com/spmd-go/spmd/comm/internal/shm"
	"github.com/spmd-go/spmd/comm/internal/tcp"
	"github.com/spmd-go/spmd/comm/internal/wire"
)

// world is the per-process runtime behind every communicator of a job.
type world struct {
	rank, size int
	cfg        Config
	boot       Bootstrap
	eng        *match.Engine
	links      []*link                    // by world rank; links[rank] is the pipe to self
	spare      [2]atomic.Pointer[Request] // requests for blocking calls (getRequest)
	rdv        rendezvous
	limits     wire.Limits
	ctxs       contextTable
	probes     notifier
	diag       diagnostics
	spanStart  int64 // when Init returned, Unix nanoseconds (see markSpan)
	listener   *tcp.Listener
	segments   []*shm.Segment // mapped shared-memory segments, unmapped at Finalize
	logf       func(format string, args ...any)

	// oversubscribed: this host runs more ranks of the job than it has
	// cores, so waiting ranks must give their core away (see yield).
	oversubscribed bool
	finalizing     atomic.Bool
	reportOnce     sync.Once // the first lost peer is reported to the launcher
	finOnce        sync.Once
	finErr         error
	abortOnce      sync.Once
}

// errProtocol marks a peer that broke the protocol; the link is dropped.
var errProtocol = errors.New("protocol violation")

// handle processes one frame read from l; payload bytes, if any, are next
// on br. An error means the stream can no longer be trusted.
func (w *world) handle(l *link, h *wire.Header, br frameSource) error {
	if h.Credit > 0 {
		l.credit.Add(int64(h.Credit))
	}
	switch h.Kind {
	case wire.Eager:
		env := match.Envelope{Context: h.Context, Src: int(h.Src), Tag: int(h.Tag), Len: int(h.Len)}
		r, m := w.eng.Arrive(l.peer, env, false, 0, 0)
		if r != nil {
			req := r.Owner.(*Request)
			st, terr := receiveInto(req, &env)
			n := st.Bytes
			if v, ok := br.(*frameView); ok && len(v.b) == env.Len {
				// The payload lies in place (shared memory): copy it,
				// rather than a trip through io.ReadFull and Read.
				copy(req.buf[:n], v.b)
				v.b = nil
				l.giveCredit(int64(env.Len) + messageOverhead)
				req.complete(st, terr)
				return nil
			}
			if _, err := io.ReadFull(br, req.buf[:n]); err != nil {
				req.complete(Status{}, &PeerLostError{Rank: l.peer, Cause: err})
				return err
			}
			if _, err := br.Discard(env.Len - n); err != nil {
				req.complete(Status{}, &PeerLostError{Rank: l.peer, Cause: err})
				return err
			}
			l.giveCredit(int64(env.Len) + messageOverhead)
			req.complete(st, terr)
			return nil
		}
		payload := getPayload(env.Len)
		if _, err := io.ReadFull(br, payload); err != nil {
			if r := w.eng.Abandon(m); r != nil {
				r.Owner.(*Request).complete(Status{}, &PeerLostError{Rank: l.peer, Cause: err})
			}
			w.eng.Release(m)
			putPayload(payload)
			return err
		}
		if r := w.eng.Ready(m, payload); r != nil {
			w.deliverBuffered(r.Owner.(*Request), m)
			return nil
		}
		w.probes.broadcast()
	case wire.RTS:
		env := match.Envelope{Context: h.Context, Src: int(h.Src), Tag: int(h.Tag), Len: int(h.Len)}
		if r, _ := w.eng.Arrive(l.peer, env, true, h.ID, h.Aux); r != nil {
			w.grant(l, r.Owner.(*Request), &env, h.ID, h.Aux)
			return nil
		}
		w.probes.broadcast()
	case wire.CTS:
		req := w.rdv.takeSend(h.ID)
		if req == nil || req.peer != l.peer || h.Len > uint64(len(req.buf)) {
			return fmt.Errorf("%w: CTS for unknown send %d", errProtocol, h.ID)
		}
		if h.Len == 0 {
			req.complete(Status{}, nil)
			return nil
		}
		l.enqueue(queuedWrite{h: wire.Header{Kind: wire.Data, Aux: h.Aux, Len: h.Len}, payload: req.buf[:h.Len], done: req})
	case wire.Pulled:
		req := w.rdv.takeSend(h.ID)
		if req == nil || req.peer != l.peer || h.Len > uint64(len(req.buf)) {
			return fmt.Errorf("%w: pulled for unknown send %d", errProtocol, h.ID)
		}
		req.complete(Status{}, nil)
	case wire.Data:
		g := w.rdv.takeRecv(h.Aux)
		if g == nil || g.peer != l.peer || h.Len != uint64(g.st.Bytes) {
			return fmt.Errorf("%w: data for unknown receive %d", errProtocol, h.Aux)
		}
		if _, err := io.ReadFull(br, g.req.buf[:h.Len]); err != nil {
			g.req.complete(Status{}, &PeerLostError{Rank: l.peer, Cause: err})
			return err
		}
		g.req.complete(g.st, g.err)
	case wire.Credit:
	case wire.Bye:
		l.byeSeen = true
	}
	return nil
}

// receiveInto prepares req to take a message with env: it allocates the
// buffer of an object receive and works out the status and truncation.
func receiveInto(req *Request, env *match.Envelope) (Status, error) {
	if req.alloc {
		req.buf = make([]byte, env.Len)
	}
	st := Status{Source: env.Src, Tag: env.Tag, Bytes: min(env.Len, len(req.buf))}
	if env.Len > len(req.buf) {
		return st, fmt.Errorf("comm: %d-byte message from rank %d tag %d into a %d-byte buffer: %w",
			env.Len, env.Src, env.Tag, len(req.buf), ErrTruncate)
	}
	return st, nil
}

// deliverBuffered completes req from an unexpected eager message and
// returns the message's credit to its sender.
func (w *world) deliverBuffered(req *Request, m *match.Message) {
	var st Status
	var err error
	if req.alloc {
		req.buf, m.Payload = m.Payload, nil // hand the buffer over, no copy
		st = Status{Source: m.Env.Src, Tag: m.Env.Tag, Bytes: m.Env.Len}
	} else {
		st, err = receiveInto(req, &m.Env)
		copy(req.buf, m.Payload[:st.Bytes])
		putPayload(m.Payload)
	}
	w.links[m.Peer].giveCredit(int64(m.Env.Len) + messageOverhead)
	w.eng.Release(m)
	req.complete(st, err)
}

// grant answers a matched RTS: on shared memory, when the sender offered
// its buffer's address and this rank may read its memory, by copying the
// message straight out of it and answering Pulled; otherwise with a CTS for
// as many bytes as req can take, and the data follows.
func (w *world) grant(l *link, req *Request, env *match.Envelope, sendID, addr uint64) {
	st, err := receiveInto(req, env)
	h := wire.Header{Kind: wire.CTS, ID: sendID, Len: uint64(st.Bytes)}
	if addr != 0 && st.Bytes > 0 && l.shm != nil && l.shm.pull {
		if shm.ReadRemote(l.shm.pid, uintptr(addr), req.buf[:st.Bytes]) == nil {
			h.Kind = wire.Pulled
			req.complete(st, err)
			l.enqueue(queuedWrite{h: h})
			return
		}
		// Refused after all (the peer died, or policy changed): fall back
		// to data through the ring, which overwrites what was read.
	}
	if st.Bytes == 0 {
		req.complete(st, err)
	} else {
		h.Aux = w.rdv.addRecv(&grant{req: req, peer: l.peer, st: st, err: err})
	}
	l.enqueue(queuedWrite{h: h})
}

// peerLost fails everything that depends on world rank peer.
func (w *world) peerLost(peer int, cause error) {
	l := w.links[peer]
	err := &PeerLostError{Rank: peer, Cause: cause}
	if !l.lostErr.CompareAndSwap(nil, err) {
		return
	}
	l.closing.Store(true)
	l.conn.Close()
	// Report before failing anything: the program may exit the moment its
	// operation fails.
	if lr, ok := w.boot.(lossReporter); ok {
		w.reportOnce.Do(func() { lr.ReportLost(peer) })
	}
	for _, r := range w.eng.PeerLost(peer, err) {
		r.Owner.(*Request).complete(Status{}, err)
	}
	w.rdv.peerLost(peer, err)
	l.failQueue(err)
	w.probes.broadcast()
}

// notifier wakes goroutines blocked in Probe when a message arrives.
type notifier struct {
	waiters atomic.Int32
	mu      sync.Mutex
	ch      chan struct{}
}

// wait returns a channel closed at the next broadcast; call done after.
func (n *notifier) wait() <-chan struct{} {
	n.waiters.Add(1)
	n.mu.Lock()
	if n.ch == nil {
		n.ch = make(chan struct{})
	}
	ch := n.ch
	n.mu.Unlock()
	return ch
}

func (n *notifier) done() { n.waiters.Add(-1) }

func (n *notifier) broadcast() {
	if n.waiters.Load() == 0 {
		return
	}
	n.mu.Lock()
	if n.ch != nil {
		close(n.ch)
		n.ch = nil
	}
	n.mu.Unlock()
}
