package comm

import (
	"bytes"
	"encoding/gob"
	"fmt"
)

// SendObj sends any gob-encodable value: the convenient, slow path (an
// encoding and a copy per message), like mpi4py's lower-case send. Use Send
// for numeric slices.
func SendObj(c *Comm, v any, dest, tag int) error {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(v); err != nil {
		return fmt.Errorf("comm: encode %T for rank %d: %w", v, dest, err)
	}
	return c.sendBlocking(b.Bytes(), dest, tag, false)
}

// RecvObj receives a value sent by SendObj into ptr (a pointer, as for
// gob.Decoder.Decode). The message is matched first and sized after, so
// there is no buffer to get wrong and no probe to race with.
func RecvObj(c *Comm, ptr any, source, tag int) (Status, error) {
	if err := c.checkRecv(source, tag); err != nil {
		return Status{}, err
	}
	req := c.w.getRequest()
	req.alloc = true
	c.irecv(c.ctx, nil, source, tag, req)
	st, err := req.Wait()
	buf := req.buf
	c.w.putRequest(req)
	if err != nil || st.Source == ProcNull {
		return st, err
	}
	if err := gob.NewDecoder(bytes.NewReader(buf)).Decode(ptr); err != nil {
		return st, fmt.Errorf("comm: decode message from rank %d tag %d into %T: %w", st.Source, st.Tag, ptr, err)
	}
	return st, nil
}
