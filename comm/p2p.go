package comm

import (
	"context"

	"github.com/spmd-go/spmd/comm/internal/match"
	"github.com/spmd-go/spmd/comm/internal/shm"
	"github.com/spmd-go/spmd/comm/internal/wire"
)

// Send sends buf to rank dest of c with tag (≥ 0). It returns when buf may
// be reused: at once for messages within the eager limit, after the
// receiver has matched them for larger ones.
func Send[T Scalar](c *Comm, buf []T, dest, tag int) error {
	if c.profiled() {
		return c.sendTimed(opSend, bytesOf(buf), dest, tag, false)
	}
	_, err := c.send(bytesOf(buf), dest, tag, false)
	return err
}

// Ssend is Send that returns only once the receiver has matched the message
// (synchronous mode), whatever its size.
func Ssend[T Scalar](c *Comm, buf []T, dest, tag int) error {
	if c.profiled() {
		return c.sendTimed(opSsend, bytesOf(buf), dest, tag, true)
	}
	_, err := c.send(bytesOf(buf), dest, tag, true)
	return err
}

// sendBlocking is the blocking send of SendObj, which the profile counts
// as SendObj.
func (c *Comm) sendBlocking(buf []byte, dest, tag int, sync bool) error {
	if c.prof != nil {
		return c.sendTimed(opSendObj, buf, dest, tag, sync)
	}
	_, err := c.send(buf, dest, tag, sync)
	return err
}

// send is a blocking send; it returns the message's number on its link
// when the world is profiled (see profile_link.go).
func (c *Comm) send(buf []byte, dest, tag int, sync bool) (uint64, error) {
	if err := c.checkSend(dest, tag); err != nil {
		return 0, err
	}
	if !sync {
		if sent, seq, err := c.sendEagerSeq(c.ctx, buf, dest, tag); sent {
			return seq, err
		}
	}
	req := c.w.getRequest()
	c.isend(c.ctx, buf, dest, tag, sync, req)
	_, err := req.wait(context.Background())
	seq := req.sendSeq
	c.w.putRequest(req)
	return seq, err
}

// Recv receives into buf a message from rank source (or AnySource) with tag
// (or AnyTag). A message longer than buf fills it and returns an error
// wrapping ErrTruncate; the status then says how many bytes were stored.
func Recv[T Scalar](c *Comm, buf []T, source, tag int) (Status, error) {
	if c.profiled() {
		return c.recvTimed(opRecv, bytesOf(buf), source, tag)
	}
	if err := c.checkRecv(source, tag); err != nil {
		return Status{}, err
	}
	if st, _, ok := c.recvDirect(bytesOf(buf), source, tag); ok {
		return st, nil
	}
	req := c.w.getRequest()
	c.irecv(c.ctx, bytesOf(buf), source, tag, req)
	st, err := req.wait(context.Background())
	c.w.putRequest(req)
	return st, err
}

// Isend starts a send and returns at once; buf must not change until the
// request completes. A send that completes at once (a message within the
// eager limit, which is copied out before Isend returns) may return a
// request shared by such sends, complete and with a zero status, so that
// a window of small sends allocates nothing: do not tell requests apart
// by their pointers.
func Isend[T Scalar](c *Comm, buf []T, dest, tag int) (*Request, error) {
	if c.profiled() {
		return c.isendTimed(opIsend, bytesOf(buf), dest, tag, false)
	}
	if err := c.checkSend(dest, tag); err != nil {
		return nil, err
	}
	sent, _, err := c.sendEagerSeq(c.ctx, bytesOf(buf), dest, tag)
	if sent && err == nil {
		return sentRequest, nil
	}
	req := new(Request)
	if sent {
		req.w = c.w
		req.complete(Status{}, err)
		return req, nil
	}
	c.isend(c.ctx, bytesOf(buf), dest, tag, false, req)
	return req, nil
}

// sentRequest is the request of every Isend that completed at once and
// without error. Nothing writes to it after init: complete claims a
// request once, and a done request is never subscribed to (WaitAny) nor
// recycled (putRequest only takes the requests of blocking calls).
var sentRequest = func() *Request {
	r := new(Request)
	r.complete(Status{}, nil)
	return r
}()

// Issend starts a synchronous-mode send (see Ssend).
func Issend[T Scalar](c *Comm, buf []T, dest, tag int) (*Request, error) {
	if c.profiled() {
		return c.isendTimed(opIssend, bytesOf(buf), dest, tag, true)
	}
	if err := c.checkSend(dest, tag); err != nil {
		return nil, err
	}
	req := new(Request)
	c.isend(c.ctx, bytesOf(buf), dest, tag, true, req)
	return req, nil
}

// Irecv starts a receive and returns at once; read buf only after the
// request completes.
func Irecv[T Scalar](c *Comm, buf []T, source, tag int) (*Request, error) {
	if c.profiled() {
		return c.irecvTimed(opIrecv, bytesOf(buf), source, tag)
	}
	if err := c.checkRecv(source, tag); err != nil {
		return nil, err
	}
	req := new(Request)
	c.irecv(c.ctx, bytesOf(buf), source, tag, req)
	return req, nil
}

// Sendrecv sends send to dest and receives into recv from source at once,
// so that exchanges in a ring or a halo cannot deadlock whatever the sizes.
func Sendrecv[T, U Scalar](c *Comm, send []T, dest, sendTag int, recv []U, source, recvTag int) (Status, error) {
	if c.profiled() {
		return c.sendrecvTimed(bytesOf(send), dest, sendTag, bytesOf(recv), source, recvTag)
	}
	if err := c.checkSend(dest, sendTag); err != nil {
		return Status{}, err
	}
	if err := c.checkRecv(source, recvTag); err != nil {
		return Status{}, err
	}
	return c.sendrecv(c.ctx, bytesOf(send), dest, sendTag, bytesOf(recv), source, recvTag)
}

// sendrecv posts the receive first, then sends, then waits for both.
func (c *Comm) sendrecv(ctx uint32, send []byte, dest, sendTag int, recv []byte, source, recvTag int) (Status, error) {
	rreq := c.w.getRequest()
	c.irecv(ctx, recv, source, recvTag, rreq)
	sent, serr := c.sendEager(ctx, send, dest, sendTag)
	if !sent {
		sreq := c.w.getRequest()
		c.isend(ctx, send, dest, sendTag, false, sreq)
		_, serr = sreq.wait(context.Background())
		c.w.putRequest(sreq)
	}
	st, rerr := rreq.wait(context.Background())
	c.w.putRequest(rreq)
	if serr != nil {
		return st, serr
	}
	return st, rerr
}

// isend starts a send of buf on context ctx; req completes when buf may be
// reused. Arguments are already checked.
func (c *Comm) isend(ctx uint32, buf []byte, dest, tag int, sync bool, req *Request) {
	w := c.w
	req.w = w
	if dest == ProcNull {
		req.complete(Status{}, nil)
		return
	}
	peer := c.group[dest]
	req.peer, req.pollPeer = peer, peer
	req.tag, req.ctx, req.sync, req.nbytes = tag, ctx, sync, len(buf)
	l, err := w.linkTo(peer)
	if err == nil {
		err = l.lost()
	}
	if err != nil {
		req.complete(Status{}, err)
		return
	}
	if !sync {
		if sent, seq, err := c.sendEagerSeq(ctx, buf, dest, tag); sent {
			req.sendSeq = seq
			req.complete(Status{}, err)
			return
		}
	}
	req.buf = buf
	h := wire.Header{Kind: wire.RTS, Src: int32(c.rank), Context: ctx, Tag: int32(tag), Len: uint64(len(buf))}
	if l.shm != nil && l.shm.peerReads {
		h.Aux = uint64(shm.Addr(buf)) // the receiver may copy it straight from here
	}
	h.ID = w.rdv.addSend(req)
	werr := l.writeFrame(&h, nil)
	req.sendSeq = h.Seq // read by the goroutine that waits, which is this one or one it hands req to
	if werr != nil && w.rdv.takeSend(h.ID) != nil {
		req.complete(Status{}, werr)
	}
}

// sendEager sends buf on context ctx at once if it goes eagerly (within the
// link's eager limit and credit), and reports whether it did; the error is
// the send's outcome then. Blocking sends take this path without a
// request. Arguments are already checked.
func (c *Comm) sendEager(ctx uint32, buf []byte, dest, tag int) (bool, error) {
	sent, _, err := c.sendEagerSeq(ctx, buf, dest, tag)
	return sent, err
}

// sendEagerSeq is sendEager that also returns the message's number on its
// link when the world is profiled (see profile_link.go).
func (c *Comm) sendEagerSeq(ctx uint32, buf []byte, dest, tag int) (sent bool, seq uint64, err error) {
	if dest == ProcNull {
		return true, 0, nil
	}
	l, err := c.w.linkTo(c.group[dest])
	if err == nil {
		err = l.lost()
	}
	if err != nil {
		return true, 0, err
	}
	if len(buf) > l.eager || !l.takeCredit(int64(len(buf))+messageOverhead) {
		return false, 0, nil
	}
	// Field by field, for the reason given in irecv.
	var h wire.Header
	h.Kind, h.Src, h.Context, h.Tag, h.Len = wire.Eager, int32(c.rank), ctx, int32(tag), uint64(len(buf))
	err = l.writeFrame(&h, buf)
	return true, h.Seq, err
}

// irecv posts a receive into buf on context ctx. Arguments are already checked.
func (c *Comm) irecv(ctx uint32, buf []byte, source, tag int, req *Request) {
	w := c.w
	req.w, req.isRecv, req.buf, req.nbytes = w, true, buf, len(buf)
	if req.alloc && c.prof != nil && (tag >= 0 || tag == AnyTag) {
		// RecvObj's receive of the program's message (not one of the
		// runtime's, which have tags below AnyTag): its Wait is counted
		// as RecvObj.
		req.timed, req.comm, req.obj = true, c, true
	}
	if source == ProcNull {
		req.complete(Status{Source: ProcNull, Tag: AnyTag}, nil)
		return
	}
	req.pollPeer = -1
	if source != AnySource {
		req.pollPeer = c.group[source]
	}
	// Field by field: a composite literal is built on the stack and
	// copied in 16-byte moves that straddle its narrower stores, and that
	// failed store forwarding stood out in profiles of a small Sendrecv
	// (bench/results/2026-11-21-msg-path).
	req.recv.Context, req.recv.Src, req.recv.Tag, req.recv.Owner = ctx, source, tag, req
	out, m, err := w.eng.Post(&req.recv)
	if err != nil {
		req.complete(Status{}, err)
		return
	}
	switch out {
	case match.MatchedEager:
		w.deliverBuffered(req, m)
	case match.MatchedRendezvous:
		env, peer, id, addr := m.Env, m.Peer, m.SendID, m.Addr
		w.eng.Release(m)
		w.grant(w.link(peer), req, &env, id, addr)
	}
}
