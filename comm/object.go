package comm

import (
	"errors"
	"fmt"

	"github.com/spmd-go/spmd/internal/objcodec"
)

// ErrDecode: a message received by RecvObj could not be decoded into the
// value given: it holds another type, or bytes that SendObj of this build
// did not write. The message is consumed; later messages are unaffected.
var ErrDecode = errors.New("object message cannot be decoded")

// SendObj sends v to rank dest of c with tag, like mpi4py's lower-case
// send: any value that RecvObj can decode on the other side, with no size
// to agree on. How v travels depends on its type:
//
//   - []byte, string, a slice of a Go numeric type ([]float64, []int32, …)
//     or one numeric or bool value, or a named type over one of these
//     (type Vector []float64): as its bytes, no encoding. A slice or
//     string too long to go eagerly (Config.EagerLimit, ShmEagerLimit)
//     goes as Send would send its bytes, straight from its memory, behind
//     a small message naming its type and length; a shorter value is
//     copied once, behind an 8-byte header, into one eager message. The
//     receiver must ask for the same type, a named type over it, or an
//     interface{}. A pointer to a []byte, string or numeric slice sends
//     the same message without the allocation that converting a slice to
//     an interface costs.
//   - a value implementing encoding.BinaryMarshaler: as what MarshalBinary
//     returns, likewise; the receiver's pointer must implement
//     encoding.BinaryUnmarshaler.
//   - anything else: gob. Type descriptions travel once per communicator,
//     pair of ranks and direction, not with every message, so a stream of
//     values of one struct type costs gob's value encoding only; a type
//     that can hold an interface value carries its descriptions every
//     time (gob describes the concrete types as it meets them). The value
//     must survive a gob round trip (exported fields, registered
//     interface types).
//
// SendObj returns, like Send, once v may change. The encoding is for ranks
// of one build of one program: it assumes the byte order and type sizes
// that Send does. A message sent by SendObj must be received by RecvObj.
// Sending to ProcNull does nothing.
func SendObj(c *Comm, v any, dest, tag int) error {
	if err := c.checkSend(dest, tag); err != nil {
		return err
	}
	if dest == ProcNull {
		return nil
	}
	x, ok, err := objcodec.View(v)
	if err != nil {
		return encodeError(v, dest, err)
	}
	var msg []byte
	switch {
	case ok && c.splits(&x, dest):
		return c.sendSplit(x.Kind, x.Bytes, dest, tag)
	case ok:
		msg = x.Encode(objBuf)
	default:
		if msg, err = c.encodeGob(v, dest); err != nil {
			return encodeError(v, dest, err)
		}
	}
	err = c.sendBlocking(msg, dest, tag, false)
	releaseObjBuf(msg)
	return err
}

// encodeError is the error of a value that failed to encode for dest.
func encodeError(v any, dest int, err error) error {
	return fmt.Errorf("comm: encode %T for rank %d: %w", v, dest, err)
}

// RecvObj receives a value sent by SendObj into ptr, a pointer to a value
// of the type sent, from rank source (or AnySource) with tag (or AnyTag),
// like mpi4py's lower-case recv. The message is matched first and sized
// after, so there is no buffer to get wrong and no probe to race with.
//
// Slices are decoded into the capacity *ptr already has, as gob does:
// receiving into the same variable in a loop allocates nothing once it is
// large enough. A long slice or string (one that SendObj sent behind a
// small message) is received straight into that capacity, or into one new
// array when it does not fit, with no other copy than Recv's; a short
// []byte that does not fit takes over the received buffer instead of a
// copy. A pointer to an interface{} receives a value of the type sent,
// for the fast types (see SendObj). The status's Bytes is the length of
// the value's bytes plus an 8-byte header.
//
// A message that holds another type than *ptr, or that SendObj did not
// write, fails with an error wrapping ErrDecode, and *ptr may be partly
// written; the message is consumed and the next RecvObj is unaffected.
// From ProcNull, RecvObj returns at once and leaves *ptr alone.
func RecvObj(c *Comm, ptr any, source, tag int) (Status, error) {
	if err := c.checkRecv(source, tag); err != nil {
		return Status{}, err
	}
	return c.recvObj(ptr, source, tag)
}

// recvObj is RecvObj with its arguments checked.
func (c *Comm) recvObj(ptr any, source, tag int) (Status, error) {
	buf, st, direct := c.recvObjDirect(source, tag)
	var err error
	if !direct {
		buf, st, err = c.recvAlloc(source, tag)
	}
	if err != nil || st.Source == ProcNull {
		return st, err
	}
	if objcodec.IsSplit(buf) {
		if direct {
			// recvSplit gives the head back with putPayload.
			head := append(getPayload(len(buf))[:0], buf...)
			releaseObjBuf(buf)
			buf = head
		}
		err = c.recvSplit(buf, &st, ptr)
	} else {
		var kept bool
		kept, err = c.decodeObj(buf, st.Source, ptr)
		if !kept {
			releaseObjBuf(buf) // a spare from the direct path, or putPayload's
		}
	}
	if err != nil {
		return st, fmt.Errorf("comm: decode message from rank %d tag %d into %T: %w", st.Source, st.Tag, ptr, err)
	}
	return st, nil
}

// recvObjDirect tries the direct path of a blocking receive (recvDirect)
// for a small object message, into a buffer from objBuf, which the caller
// gives back with releaseObjBuf unless the decoded value keeps it; it
// reports false, having received nothing, where that path does not apply
// or the message does not fit. A profiled world takes the ordinary path,
// which counts the receive as RecvObj.
func (c *Comm) recvObjDirect(source, tag int) ([]byte, Status, bool) {
	if c.prof != nil || source < 0 || c.w.oversubscribed {
		return nil, Status{}, false
	}
	buf := objBuf(spareSize)
	st, _, ok := c.recvDirect(buf, source, tag)
	if !ok {
		releaseObjBuf(buf)
		return nil, Status{}, false
	}
	return buf[:st.Bytes], st, true
}

// recvAlloc receives on c's context into a buffer of the message's size,
// from getPayload (or a buffer handed over from the unexpected queue,
// which is one too). Arguments are already checked.
func (c *Comm) recvAlloc(source, tag int) ([]byte, Status, error) {
	req := c.w.getRequest()
	req.alloc = true
	c.irecv(c.ctx, nil, source, tag, req)
	st, err := req.Wait() // counted as RecvObj when profiled (see irecv)
	buf := req.buf
	c.w.putRequest(req)
	return buf, st, err
}

// decodeObj decodes msg, an object message that is not split, received
// from source, into ptr. kept reports that ptr now holds msg's memory,
// which must not be recycled.
func (c *Comm) decodeObj(msg []byte, source int, ptr any) (kept bool, err error) {
	k, gen, payload, err := objcodec.Header(msg)
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrDecode, err)
	}
	switch k {
	case objcodec.KindGobStream:
		return false, c.decodeGob(gen, payload, source, ptr)
	case objcodec.KindGobSelf:
		err = objcodec.DecodeSelf(msg, ptr)
	default:
		kept, err = objcodec.DecodeFast(k, payload, ptr, true)
	}
	if err != nil {
		return kept, fmt.Errorf("%w: %w", ErrDecode, err)
	}
	return kept, nil
}
