package launcher

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// The proxy protocol: spmdrun (the root) and one `spmdrun --proxy` per
// remote host talk over one authenticated TCP connection (see
// proxyauth.go) in frames: a 4-byte big-endian length, then a type byte
// and the body. Bodies are sequences of unsigned varints and
// length-prefixed strings, read by a decoder that checks every length
// against what is left, so a malformed frame is an error, never a panic
// or a huge allocation.

// maxFrame bounds a frame: the largest is a fence's puts (a business card
// per rank of one host, each under a kilobyte) or an output chunk.
const maxFrame = 16 << 20

// Frame types. Root to proxy: spec, fenceDone, signal, stdin, shutdown,
// lost. Proxy to root: started, fence, notice, output, abort, closed, exit.
const (
	frSpec byte = iota + 1
	frFenceDone
	frSignal
	frStdin
	frShutdown
	frStarted
	frFence
	frNotice
	frOutput
	frAbort
	frClosed
	frExit
	frLost
)

// errFrame is wrapped by every decoding failure.
var errFrame = errors.New("malformed proxy frame")

// encoder appends fields to a frame body.
type encoder struct{ b []byte }

func (e *encoder) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) int(v int)     { e.b = binary.AppendVarint(e.b, int64(v)) }
func (e *encoder) bool(v bool) {
	if v {
		e.uint(1)
	} else {
		e.uint(0)
	}
}
func (e *encoder) bytes(p []byte) { e.uint(uint64(len(p))); e.b = append(e.b, p...) }
func (e *encoder) str(s string)   { e.uint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) strs(ss []string) {
	e.uint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
}
func (e *encoder) ints(vs []int) {
	e.uint(uint64(len(vs)))
	for _, v := range vs {
		e.int(v)
	}
}

// decoder reads fields from a frame body; the first failure sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: bad %s", errFrame, what)
	}
}

func (d *decoder) uint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("unsigned integer")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) int() int {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 || v < math.MinInt32 || v > math.MaxInt32 {
		d.fail("integer")
		return 0
	}
	d.b = d.b[n:]
	return int(v)
}

func (d *decoder) bool() bool {
	switch d.uint() {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail("boolean")
	return false
}

func (d *decoder) bytes() []byte {
	n := d.uint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail("length")
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) str() string { return string(d.bytes()) }

// count reads a list length, refusing one that cannot fit in what is left
// (every element takes at least one byte).
func (d *decoder) count() int {
	n := d.uint()
	if n > uint64(len(d.b)) {
		d.fail("list length")
		return 0
	}
	return int(n)
}

func (d *decoder) strs() []string {
	n := d.count()
	if n == 0 {
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = d.str()
	}
	return ss
}

func (d *decoder) ints() []int {
	n := d.count()
	if n == 0 {
		return nil
	}
	vs := make([]int, n)
	for i := range vs {
		vs[i] = d.int()
	}
	return vs
}

// end fails if bytes are left over: a frame must hold exactly its fields.
func (d *decoder) end() error {
	if d.err == nil && len(d.b) != 0 {
		d.fail("frame: trailing bytes")
	}
	return d.err
}

// writeFrame writes one frame of type typ with body.
func writeFrame(w io.Writer, typ byte, body []byte) error {
	if len(body)+1 > maxFrame {
		return fmt.Errorf("proxy frame of %d bytes exceeds %d", len(body)+1, maxFrame)
	}
	buf := make([]byte, 5, 5+len(body))
	binary.BigEndian.PutUint32(buf, uint32(len(body)+1))
	buf[4] = typ
	_, err := w.Write(append(buf, body...))
	return err
}

// readFrame reads one frame, returning its type and body.
func readFrame(r io.Reader) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:4]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	if n < 1 || n > maxFrame {
		return 0, nil, fmt.Errorf("%w: length %d", errFrame, n)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	return buf[0], buf[1:], nil
}
