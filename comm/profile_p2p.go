package comm

import "context"

// The profiled twins of the point-to-point, probe and wait calls: each
// checks its arguments as the plain call does (a call rejected there is
// not counted), reads the profile clock, runs the call's unprofiled body,
// and records it. The exported calls branch here when their communicator
// (or request) is profiled.

func (c *Comm) sendTimed(op opID, buf []byte, dest, tag int, sync bool) error {
	if err := c.checkSend(dest, tag); err != nil {
		return err
	}
	p := c.prof
	e := profCall{op: uint16(op), start: p.tick(), bytes: len(buf), peer: c.worldRankOf(dest), tag: tag, ctx: c.ctx}
	seq, err := c.send(buf, dest, tag, sync)
	e.sendSeq = seq
	p.record(&e)
	return err
}

func (c *Comm) recvTimed(op opID, buf []byte, source, tag int) (Status, error) {
	if err := c.checkRecv(source, tag); err != nil {
		return Status{}, err
	}
	p := c.prof
	e := profCall{op: uint16(op), start: p.tick(), ctx: c.ctx}
	if op == opRecv {
		if st, seq, ok := c.recvDirect(buf, source, tag); ok {
			e.recvSeq, e.bytes, e.peer, e.tag = seq, st.Bytes, c.worldRankOf(st.Source), st.Tag
			p.record(&e)
			return st, nil
		}
	}
	req := c.w.getRequest()
	c.irecv(c.ctx, buf, source, tag, req)
	st, err := req.wait(context.Background())
	e.recvSeq = req.recvSeq
	c.w.putRequest(req)
	e.bytes, e.peer, e.tag = st.Bytes, c.worldRankOf(st.Source), st.Tag
	p.record(&e)
	return st, err
}

func (c *Comm) isendTimed(op opID, buf []byte, dest, tag int, sync bool) (*Request, error) {
	if err := c.checkSend(dest, tag); err != nil {
		return nil, err
	}
	p := c.prof
	e := profCall{op: uint16(op), start: p.tick(), bytes: len(buf), peer: c.worldRankOf(dest), tag: tag, ctx: c.ctx}
	req := &Request{timed: true, comm: c}
	c.isend(c.ctx, buf, dest, tag, sync, req)
	e.sendSeq = req.sendSeq
	p.record(&e)
	return req, nil
}

func (c *Comm) irecvTimed(op opID, buf []byte, source, tag int) (*Request, error) {
	if err := c.checkRecv(source, tag); err != nil {
		return nil, err
	}
	p := c.prof
	e := profCall{op: uint16(op), start: p.tick(), bytes: len(buf), peer: c.worldRankOf(source), tag: tag, ctx: c.ctx}
	req := &Request{timed: true, comm: c}
	c.irecv(c.ctx, buf, source, tag, req)
	p.record(&e)
	return req, nil
}

// sendrecvTimed is Sendrecv's profiled twin; its bytes are those sent
// plus those received. An event names one peer, so when the message came
// from another rank than the one sent to, the trace gets a second event
// with the call's times for the message received.
func (c *Comm) sendrecvTimed(send []byte, dest, sendTag int, recv []byte, source, recvTag int) (Status, error) {
	if err := c.checkSend(dest, sendTag); err != nil {
		return Status{}, err
	}
	if err := c.checkRecv(source, recvTag); err != nil {
		return Status{}, err
	}
	p := c.prof
	e := profCall{op: uint16(opSendrecv), start: p.tick(), peer: c.worldRankOf(dest), tag: sendTag, ctx: c.ctx}
	w := c.w
	rreq := w.getRequest()
	c.irecv(c.ctx, recv, source, recvTag, rreq)
	sent, seq, serr := c.sendEagerSeq(c.ctx, send, dest, sendTag)
	if !sent {
		sreq := w.getRequest()
		c.isend(c.ctx, send, dest, sendTag, false, sreq)
		_, serr = sreq.wait(context.Background())
		seq = sreq.sendSeq
		w.putRequest(sreq)
	}
	st, rerr := rreq.wait(context.Background())
	e.sendSeq = seq
	r := profCall{op: e.op, start: e.start, peer: c.worldRankOf(st.Source), tag: st.Tag, ctx: c.ctx,
		bytes: st.Bytes, recvSeq: rreq.recvSeq}
	w.putRequest(rreq)
	e.bytes = len(send) + st.Bytes
	if r.peer == e.peer || r.recvSeq == 0 {
		e.recvSeq = r.recvSeq
		p.record(&e)
	} else {
		p.recordPair(&e, &r)
	}
	if serr != nil {
		return st, serr
	}
	return st, rerr
}

func (c *Comm) iprobeTimed(source, tag int) (bool, Status, error) {
	p := c.prof
	e := profCall{op: uint16(opIprobe), start: p.tick(), peer: c.worldRankOf(source), tag: tag, ctx: c.ctx}
	ok, st, err := c.iprobe(source, tag)
	p.record(&e)
	return ok, st, err
}

func (c *Comm) probeTimed(op opID, ctx context.Context, source, tag int) (Status, error) {
	p := c.prof
	e := profCall{op: uint16(op), start: p.tick(), peer: c.worldRankOf(source), tag: tag, ctx: c.ctx}
	st, err := c.probe(ctx, source, tag)
	if err == nil {
		e.peer, e.tag = c.worldRankOf(st.Source), st.Tag
	}
	p.record(&e)
	return st, err
}

// requestCall starts the event of a wait or test on r, a timed request.
func (r *Request) requestCall(op opID, start int64) profCall {
	e := profCall{op: uint16(op), start: start, peer: -1, tag: AnyTag, ctx: r.comm.ctx}
	if !r.isRecv {
		e.peer, e.tag = r.peer, r.tag
	}
	return e
}

// finish fills in what a completed request tells its wait's event: for a
// receive the message's source, tag, size and number; for a send its size.
func (r *Request) finish(e *profCall, st Status) {
	if r.isRecv {
		e.peer, e.tag, e.bytes, e.recvSeq = r.comm.worldRankOf(st.Source), st.Tag, st.Bytes, r.recvSeq
		return
	}
	e.bytes = r.nbytes
}

func (r *Request) waitTimed(op opID, ctx context.Context) (Status, error) {
	p := r.comm.prof
	e := r.requestCall(op, p.tick())
	st, err := r.wait(ctx)
	if r.isDone() {
		r.finish(&e, st)
	}
	p.record(&e)
	return st, err
}

func (r *Request) testTimed() (bool, Status, error) {
	p := r.comm.prof
	e := r.requestCall(opTest, p.tick())
	done := r.isDone()
	var st Status
	var err error
	if done {
		st, err = r.result()
		r.finish(&e, st)
	}
	p.record(&e)
	return done, st, err
}

// timedIn returns the profiler of the first timed request in reqs, or nil.
func timedIn(reqs []*Request) *profiler {
	for _, r := range reqs {
		if r != nil && r.timed {
			return r.comm.prof
		}
	}
	return nil
}

// waitAll is WaitAll's (and WaitAllStatus's) profiled twin. It records
// one call, whose event carries the first message received; in the trace
// each further message received gets an event of its own with the call's
// times, so that every message has its arrow.
func (p *profiler) waitAll(op opID, reqs []*Request, sts []Status) error {
	start := p.tick()
	err := waitAll(reqs, sts)
	end := p.tick()
	e := profCall{op: uint16(op), start: start, peer: -1, tag: AnyTag}
	p.mu.Lock()
	first := true
	for _, r := range reqs {
		if r == nil || !r.timed || !r.isDone() {
			continue
		}
		m := r.requestCall(op, start)
		st, _ := r.result()
		r.finish(&m, st)
		e.bytes += m.bytes
		e.ctx = m.ctx
		switch {
		case !r.isRecv || r.recvSeq == 0:
		case first:
			e.peer, e.tag, e.recvSeq = m.peer, m.tag, m.recvSeq
			first = false
		case p.trace.events != nil:
			p.trace.add(&m, end)
		}
	}
	p.count(&e, end)
	p.mu.Unlock()
	return err
}

func (p *profiler) waitAny(reqs []*Request) (int, Status, error) {
	start := p.tick()
	i, r, st, err := waitAny(reqs)
	e := profCall{op: uint16(opWaitAny), start: start, peer: -1, tag: AnyTag}
	if r != nil && r.timed {
		e = r.requestCall(opWaitAny, start)
		r.finish(&e, st)
	}
	p.record(&e)
	return i, st, err
}
