package comm

import (
	"errors"
	"fmt"
	"io"

	"github.com/spmd-go/spmd/comm/internal/match"
	"github.com/spmd-go/spmd/comm/internal/shm"
	"github.com/spmd-go/spmd/comm/internal/wire"
)

// errProtocol marks a peer that broke the protocol; the link is dropped.
var errProtocol = errors.New("protocol violation")

// handle processes one frame read from l; payload bytes, if any, are next
// on br. An error means the stream can no longer be trusted. It takes the
// credit that any frame may carry and dispatches on the kind; each kind has
// a handler of its own.
func (w *world) handle(l *link, h *wire.Header, br frameSource) error {
	if h.Credit > 0 {
		l.credit.Add(int64(h.Credit))
	}
	switch h.Kind {
	case wire.Eager:
		return w.handleEager(l, h, br)
	case wire.RTS:
		w.handleRTS(l, h)
	case wire.CTS:
		return w.handleCTS(l, h)
	case wire.Pulled:
		return w.handlePulled(l, h)
	case wire.Data:
		return w.handleData(l, h, br)
	case wire.Packed:
		return w.handlePacked(l, h, br)
	case wire.Share:
		return w.handleShare(l, h)
	case wire.Pushed:
		return w.handlePushed(l, h)
	case wire.Credit:
		// The credit, taken above, is all it carries.
	case wire.Bye:
		l.byeSeen = true
	}
	return nil
}

// handleEager takes an eager message: straight into a posted receive that
// matches it, or else into a buffer of its own, queued as unexpected.
func (w *world) handleEager(l *link, h *wire.Header, br frameSource) error {
	if h.Inlined() {
		// The payload is in the header, and nothing follows it.
		l.inline.b = h.InlineBytes(&l.inlineBuf)
		br = &l.inline
	}
	env := match.Envelope{Context: h.Context, Src: int(h.Src), Tag: int(h.Tag), Len: int(h.Len)}
	if l.counts.on {
		env.Seq = l.countArrival()
	}
	r, m := w.eng.Arrive(l.peer, env, false, 0, 0)
	if r != nil {
		return w.eagerIntoPosted(l, r.Owner.(*Request), &env, br)
	}
	return w.eagerUnexpected(l, m, br)
}

// eagerIntoPosted reads an eager payload into the receive that matched it
// on arrival, discarding what does not fit, and completes the receive.
func (w *world) eagerIntoPosted(l *link, req *Request, env *match.Envelope, br frameSource) error {
	st, terr := receiveInto(req, env)
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

// eagerUnexpected reads the payload of m, an eager message queued as
// unexpected, into a buffer of its own. A receive posted meanwhile, bound
// to m, takes it at once; otherwise waiting probes are woken.
func (w *world) eagerUnexpected(l *link, m *match.Message, br frameSource) error {
	payload := getPayload(m.Env.Len)
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
	return nil
}

// handleRTS takes the announcement of a rendezvous message: a posted
// receive that matches it is granted at once; otherwise it waits as
// unexpected, and waiting probes are woken.
func (w *world) handleRTS(l *link, h *wire.Header) {
	env := match.Envelope{Context: h.Context, Src: int(h.Src), Tag: int(h.Tag), Len: int(h.Len)}
	if l.counts.on {
		env.Seq = l.countArrival()
	}
	if r, _ := w.eng.Arrive(l.peer, env, true, h.ID, h.Aux); r != nil {
		w.grant(l, r.Owner.(*Request), &env, h.ID, h.Aux)
		return
	}
	w.probes.broadcast()
}

// handleCTS takes a receiver's grant of a rendezvous send: the data goes
// out through the writer goroutine, or, with nothing granted (an empty
// receive buffer), the send completes.
func (w *world) handleCTS(l *link, h *wire.Header) error {
	req := w.rdv.takeSend(h.ID)
	if req == nil || req.peer != l.peer || h.Len > uint64(len(req.buf)) {
		return fmt.Errorf("%w: CTS for unknown send %d", errProtocol, h.ID)
	}
	if h.Len == 0 {
		req.complete(Status{}, nil)
		return nil
	}
	l.enqueue(queuedWrite{h: wire.Header{Kind: wire.Data, Aux: h.Aux, Len: h.Len}, payload: req.buf[:h.Len], done: req})
	return nil
}

// handlePulled takes a receiver's word that it copied a rendezvous
// message straight out of this process's memory: the send is complete.
func (w *world) handlePulled(l *link, h *wire.Header) error {
	req := w.rdv.takeSend(h.ID)
	if req == nil || req.peer != l.peer || h.Len > uint64(len(req.buf)) {
		return fmt.Errorf("%w: pulled for unknown send %d", errProtocol, h.ID)
	}
	req.complete(Status{}, nil)
	return nil
}

// handleData reads the data of a granted rendezvous receive into its
// buffer and completes it.
func (w *world) handleData(l *link, h *wire.Header, br frameSource) error {
	g := w.rdv.takeRecv(h.Aux)
	if g == nil || g.peer != l.peer || h.Len != uint64(g.st.Bytes) {
		return fmt.Errorf("%w: data for unknown receive %d", errProtocol, h.Aux)
	}
	if _, err := io.ReadFull(br, g.req.buf[:h.Len]); err != nil {
		g.req.complete(Status{}, &PeerLostError{Rank: l.peer, Cause: err})
		return err
	}
	g.req.complete(g.st, g.err)
	return nil
}

// receiveInto prepares req to take a message with env: it allocates the
// buffer of an object receive and works out the status and truncation.
func receiveInto(req *Request, env *match.Envelope) (Status, error) {
	if req.alloc {
		req.buf = getPayload(env.Len) // RecvObj recycles it
	}
	req.recvSeq = env.Seq
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
		req.recvSeq = m.Env.Seq
		req.buf, m.Payload = m.Payload, nil // hand the buffer over, no copy
		st = Status{Source: m.Env.Src, Tag: m.Env.Tag, Bytes: m.Env.Len}
	} else {
		st, err = receiveInto(req, &m.Env)
		copy(req.buf, m.Payload[:st.Bytes])
		putPayload(m.Payload)
	}
	w.link(m.Peer).giveCredit(int64(m.Env.Len) + messageOverhead)
	w.eng.Release(m)
	req.complete(st, err)
}

// grant answers a matched RTS: on shared memory, when the sender offered
// its buffer's address, by sharing the copy with the sender where it can
// (rendezvous_share.go), else, where this rank may read the sender's
// memory, by copying the message straight out of it and answering Pulled;
// otherwise with a CTS for as many bytes as req can take, and the data
// follows.
func (w *world) grant(l *link, req *Request, env *match.Envelope, sendID, addr uint64) {
	st, err := receiveInto(req, env)
	h := wire.Header{Kind: wire.CTS, ID: sendID, Len: uint64(st.Bytes)}
	if addr != 0 && w.canShare(l, st.Bytes) && w.grantShared(l, req, st, err, sendID, addr) {
		return
	}
	if addr != 0 && st.Bytes > 0 && l.shm != nil && l.shm.readsPeer {
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
