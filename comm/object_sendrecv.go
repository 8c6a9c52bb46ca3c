package comm

import (
	"context"

	"github.com/spmd-go/spmd/internal/commhook"
	"github.com/spmd-go/spmd/internal/objcodec"
)

// The object collectives exchange values pairwise; done as SendObj then
// RecvObj, an exchange costs two one-way trips, and a large value's
// rendezvous must be ordered by rank to avoid a deadlock. sendrecvObj
// starts the send without waiting, receives, then waits for the send: one
// trip, whatever the sizes. Package collective reaches it through
// internal/commhook.

func init() { commhook.SetSendrecvObj((*Comm).sendrecvObjHook) }

func (c *Comm) sendrecvObjHook(v any, dest, sendTag int, ptr any, source, recvTag int) error {
	if err := c.checkSend(dest, sendTag); err != nil {
		return err
	}
	if err := c.checkRecv(source, recvTag); err != nil {
		return err
	}
	_, err := c.sendrecvObj(v, dest, sendTag, ptr, source, recvTag)
	return err
}

// sendrecvObj sends v to dest and receives a value into ptr from source,
// as SendObj and RecvObj do, at once. Arguments are already checked.
func (c *Comm) sendrecvObj(v any, dest, sendTag int, ptr any, source, recvTag int) (Status, error) {
	if dest == ProcNull {
		return c.recvObj(ptr, source, recvTag)
	}
	x, ok, err := objcodec.View(v)
	if err != nil {
		return Status{}, encodeError(v, dest, err)
	}
	w := c.w
	var msg, hbuf []byte
	first, second := w.getRequest(), (*Request)(nil)
	switch {
	case ok && c.splits(&x, dest):
		second = w.getRequest()
		hbuf = c.startSplit(x.Kind, x.Bytes, dest, sendTag, first, second)
	case ok:
		msg = x.Encode(objBuf)
	default:
		if msg, err = c.encodeGob(v, dest); err != nil {
			w.putRequest(first)
			return Status{}, encodeError(v, dest, err)
		}
	}
	if msg != nil {
		c.isend(c.ctx, msg, dest, sendTag, false, first)
	}
	st, rerr := c.recvObj(ptr, source, recvTag)
	_, serr := first.wait(context.Background())
	w.putRequest(first)
	if second != nil {
		releaseObjBuf(hbuf)
		if _, err := second.wait(context.Background()); serr == nil {
			serr = err
		}
		w.putRequest(second)
	} else {
		releaseObjBuf(msg)
	}
	if serr != nil {
		return st, serr
	}
	return st, rerr
}
