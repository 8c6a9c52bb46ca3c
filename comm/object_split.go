package comm

import (
	"context"
	"errors"
	"fmt"

	"github.com/spmd-go/spmd/internal/objcodec"
)

// A value whose bytes would not go eagerly anyway (a []byte, string or
// numeric slice, or MarshalBinary's result, longer than the link's eager
// limit) travels split, so that the object path copies no more than Send
// and Recv do: a small head (kind, length, a sequence number) on the
// program's tag, then the bytes themselves as a plain message sent from
// the sender's memory and received into the receiver's (the capacity its
// slice already has, or one new allocation). The encode buffer and the
// decode copy of a whole message are gone; what is added is one eager
// message of objcodec.SplitSize bytes.
//
// The payload's tag is negative (no user receive, AnyTag included, matches
// it) and carries the sequence number that the head names: the receiver,
// having matched the head with whatever source and tag it asked for,
// receives exactly that payload from exactly that rank, whatever other
// goroutines receive meanwhile. Numbers are per communicator and sending
// rank; a sender has one split payload outstanding per goroutine (SendObj
// returns once it is received), so they cannot come round while one is in
// flight.
//
// A profiled world sends whole messages, so that the profile counts one
// message per SendObj with the object's size.

// splitTagBase is the tag of the payload numbered 0; payload tags run
// from it down by sequence number modulo splitTags. They lie far below
// the runtime's own negative tags (tagObjectTypes and those of
// contexts.go).
const (
	splitTagBase = -(1 << 30)
	splitTags    = 1 << 29
)

func splitTag(seq uint32) int { return splitTagBase - int(seq%splitTags) }

// splits reports whether x goes to dest split: a kind with plain bytes,
// too long for the link's eager limit, on a world that is not profiled.
func (c *Comm) splits(x *objcodec.Viewed, dest int) bool {
	n := len(x.Bytes) + objcodec.HeaderSize
	if n <= min(c.w.cfg.EagerLimit, c.w.cfg.ShmEagerLimit) || c.prof != nil || !objcodec.Splittable(x.Kind) {
		return false
	}
	l, err := c.w.linkTo(c.group[dest])
	return err == nil && n > l.eager
}

// startSplit starts the sends of the head (in head) and the payload b (in
// payload) of a split message of kind k, and returns the head's buffer, to
// give back once head is complete. The head goes at once unless the link
// is out of eager credit. Arguments are already checked.
func (c *Comm) startSplit(k objcodec.Kind, b []byte, dest, tag int, head, payload *Request) (hbuf []byte) {
	seq := c.streams().splitSeq.Add(1)
	hbuf = objBuf(objcodec.SplitSize)
	objcodec.PutSplit(hbuf, k, seq, len(b))
	c.isend(c.ctx, hbuf, dest, tag, false, head)
	c.isend(c.ctx, b, dest, splitTag(seq), false, payload)
	return hbuf
}

// sendSplit is SendObj of a value that travels split.
func (c *Comm) sendSplit(k objcodec.Kind, b []byte, dest, tag int) error {
	w := c.w
	head, payload := w.getRequest(), w.getRequest()
	hbuf := c.startSplit(k, b, dest, tag, head, payload)
	_, herr := head.wait(context.Background())
	releaseObjBuf(hbuf)
	_, perr := payload.wait(context.Background())
	w.putRequest(head)
	w.putRequest(payload)
	if herr != nil {
		return herr
	}
	return perr
}

// recvSplit receives the payload that head, the split head matched with
// status *st, announces, into ptr, and sets st.Bytes to the length the
// object's whole message would have had.
func (c *Comm) recvSplit(head []byte, st *Status, ptr any) error {
	k, seq, n, err := objcodec.Split(head, c.w.limits.MaxMessage)
	putPayload(head)
	if err != nil {
		// Not a head SendObj wrote: there is no payload to wait for.
		return fmt.Errorf("%w: %w", ErrDecode, err)
	}
	st.Bytes = objcodec.HeaderSize + n
	dst, u, err := objcodec.Into(k, n, ptr, getPayload)
	if err != nil {
		// Consume the payload all the same: a receive of nothing takes
		// the message without its bytes and lets the sender go on.
		req := c.w.getRequest()
		c.irecv(c.ctx, nil, st.Source, splitTag(seq), req)
		_, _ = req.wait(context.Background()) // ErrTruncate, expected
		c.w.putRequest(req)
		return fmt.Errorf("%w: %w", ErrDecode, err)
	}
	req := c.w.getRequest()
	c.irecv(c.ctx, dst, st.Source, splitTag(seq), req)
	pst, err := req.wait(context.Background())
	c.w.putRequest(req)
	switch {
	case errors.Is(err, ErrTruncate):
		err = fmt.Errorf("%w: %w: %w", ErrDecode, objcodec.ErrMalformed, err)
	case err != nil: // the sender was lost, or this rank is finalizing
	case pst.Bytes != n:
		err = fmt.Errorf("%w: %w: a %d-byte payload where the head announced %d",
			ErrDecode, objcodec.ErrMalformed, pst.Bytes, n)
	case u != nil:
		if uerr := u.UnmarshalBinary(dst); uerr != nil {
			err = fmt.Errorf("%w: UnmarshalBinary into %T: %w", ErrDecode, ptr, uerr)
		}
	}
	if u != nil {
		putPayload(dst)
	}
	return err
}
