package objcodec

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sync"
)

// A gob stream is a sequence of messages, each a byte count and a body
// whose first item is a signed type id: negative for the description of
// type −id, non-negative for a value of that type. A gob.Encoder describes
// each type once, the first time it meets it, and a gob.Decoder must have
// read the description before a value that uses it.
//
// spmd's receivers may decode the values of one sender in another order than
// it encoded them (messages of different tags, AnySource receives), so a
// GobEncoder splits what its gob.Encoder writes: the descriptions go into a
// chunk numbered 1, 2, … that the caller sends apart, in order; the value
// message carries the number of chunks written so far (its generation). A
// GobDecoder applies chunks in order and decodes a value once it holds
// every chunk up to the value's generation. Values are independent of each
// other, given the descriptions.

// gob describes the concrete types of interface values when it meets them,
// in the middle of the value's encoding, so the output of such a value
// does not split into descriptions and a value. Values whose type can hold
// an interface therefore travel self-described (KindGobSelf), outside the
// stream.

// GobEncoder is the sending end of a gob stream. It is not safe for
// concurrent use.
type GobEncoder struct {
	buf bytes.Buffer
	enc *gob.Encoder
	gen uint32 // chunks of type descriptions written
	// selfOnly: gob wrote output that did not split, so descriptions
	// it counts as sent never went out; every value is self-described
	// from then on.
	selfOnly bool
	// held: descriptions gob wrote for a value that then failed to
	// encode. gob counts them as sent, so they go out with the next
	// chunk; until then no value needs them.
	held []byte
}

// NewGobEncoder returns an encoder at the start of a stream.
func NewGobEncoder() *GobEncoder {
	e := new(GobEncoder)
	e.enc = gob.NewEncoder(&e.buf)
	return e
}

// Encode encodes v. It returns the chunk of type descriptions v needs that
// this stream has not described yet (nil if none; the caller must deliver
// it, in order, before the value can be decoded) and the value message
// (header included, in a buffer from alloc). When encoding fails there is
// no chunk: descriptions gob wrote before it failed go with the next one.
//
// A value whose type can hold an interface comes back self-described
// (KindGobSelf) with no chunk.
func (e *GobEncoder) Encode(v any, alloc Alloc) (chunk, msg []byte, err error) {
	if e.selfOnly || v == nil || holdsInterface(reflect.TypeOf(v)) {
		msg, err = EncodeSelf(v, alloc)
		return nil, msg, err
	}
	e.buf.Reset()
	encErr := encodeGuarded(e.enc, v)
	defs, value, err := splitGob(e.buf.Bytes())
	if err != nil {
		e.selfOnly = true
		msg, err = EncodeSelf(v, alloc)
		return nil, msg, err
	}
	if encErr != nil {
		e.held = append(e.held, defs...)
		return nil, nil, encErr
	}
	if len(defs) > 0 || len(e.held) > 0 {
		e.gen++
		chunk = append(e.held, defs...)
		e.held = nil
	}
	msg = alloc(HeaderSize + len(value))
	PutHeader(msg, KindGobStream, e.gen)
	copy(msg[HeaderSize:], value)
	return chunk, msg, nil
}

// interfaceTypes caches holdsInterface by type.
var interfaceTypes sync.Map // reflect.Type → bool

// holdsInterface reports whether a value of type t can hold an interface
// value: t is one, or an element, key or field of it is, at any depth.
func holdsInterface(t reflect.Type) bool {
	if v, ok := interfaceTypes.Load(t); ok {
		return v.(bool)
	}
	h := walkInterface(t, map[reflect.Type]bool{})
	interfaceTypes.Store(t, h)
	return h
}

func walkInterface(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false // a cycle: its other paths are walked where it began
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return walkInterface(t.Elem(), seen)
	case reflect.Map:
		return walkInterface(t.Key(), seen) || walkInterface(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if walkInterface(t.Field(i).Type, seen) {
				return true
			}
		}
	}
	return false
}

// encodeGuarded encodes v with enc, turning what gob would panic on (a
// nil pointer) into an error.
func encodeGuarded(enc *gob.Encoder, v any) error {
	if v == nil {
		return errors.New("gob: cannot encode a nil value")
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return fmt.Errorf("gob: cannot encode a nil %T", v)
	}
	return enc.Encode(v)
}

// splitGob splits gob output into its leading type descriptions and the
// value message that ends it (nil when gob stopped before the value).
func splitGob(b []byte) (defs, value []byte, err error) {
	off := 0
	for off < len(b) {
		body, next, err := gobMessage(b, off)
		if err != nil {
			return nil, nil, err
		}
		id, _, err := gobInt(body)
		if err != nil {
			return nil, nil, err
		}
		if id >= 0 {
			if next != len(b) {
				return nil, nil, fmt.Errorf("%w: gob value message followed by %d bytes", ErrMalformed, len(b)-next)
			}
			return b[:off], b[off:], nil
		}
		off = next
	}
	return b, nil, nil
}

// gobMessage returns the body of the gob message at b[off:] and the offset
// after it.
func gobMessage(b []byte, off int) (body []byte, next int, err error) {
	n, w, err := gobUint(b[off:])
	if err != nil {
		return nil, 0, err
	}
	start := off + w
	if n > uint64(len(b)-start) || n == 0 {
		return nil, 0, fmt.Errorf("%w: gob message of %d bytes with %d left", ErrMalformed, n, len(b)-start)
	}
	return b[start : start+int(n)], start + int(n), nil
}

// gobUint decodes gob's unsigned integer: one byte below 128, else the
// negated byte count followed by that many big-endian bytes.
func gobUint(b []byte) (x uint64, width int, err error) {
	if len(b) == 0 {
		return 0, 0, fmt.Errorf("%w: gob integer missing", ErrMalformed)
	}
	if b[0] < 0x80 {
		return uint64(b[0]), 1, nil
	}
	n := 256 - int(b[0]) // the byte is the count, negated
	if n > 8 || n >= len(b) {
		return 0, 0, fmt.Errorf("%w: gob integer of %d bytes", ErrMalformed, n)
	}
	for _, c := range b[1 : 1+n] {
		x = x<<8 | uint64(c)
	}
	return x, 1 + n, nil
}

// gobInt decodes gob's signed integer: the unsigned one with the sign in
// the low bit.
func gobInt(b []byte) (int64, int, error) {
	u, w, err := gobUint(b)
	if err != nil {
		return 0, 0, err
	}
	if u&1 != 0 {
		return ^int64(u >> 1), w, nil
	}
	return int64(u >> 1), w, nil
}

// GobDecoder is the receiving end of a gob stream. It is not safe for
// concurrent use.
type GobDecoder struct {
	src     segments
	dec     *gob.Decoder
	applied uint32   // chunks applied
	pending [][]byte // chunks received, not yet read by dec
	broken  error    // set when a chunk could not be read: the stream is lost
}

// NewGobDecoder returns a decoder at the start of a stream.
func NewGobDecoder() *GobDecoder {
	d := new(GobDecoder)
	d.dec = gob.NewDecoder(&d.src)
	return d
}

// Needs reports whether the decoder must be given more chunks before it can
// decode a value of generation gen.
func (d *GobDecoder) Needs(gen uint32) bool { return d.applied+uint32(len(d.pending)) < gen }

// AddChunk gives the decoder the next chunk of type descriptions, in the
// order the encoder produced them. The decoder keeps chunk.
func (d *GobDecoder) AddChunk(chunk []byte) { d.pending = append(d.pending, chunk) }

// Decode decodes the payload of a KindGobStream message of generation gen
// into ptr, a non-nil pointer. It fails with an error wrapping
// ErrMalformed if the decoder lacks chunks the value needs (Needs) or the
// bytes are not gob's, and with gob's error if the value does not fit ptr.
func (d *GobDecoder) Decode(gen uint32, payload []byte, ptr any) (err error) {
	if d.broken != nil {
		return d.broken
	}
	if d.Needs(gen) {
		return fmt.Errorf("%w: value of generation %d before its type descriptions (%d applied)", ErrMalformed, gen, d.applied+uint32(len(d.pending)))
	}
	if err := checkTarget(ptr); err != nil {
		return err
	}
	// The pending chunks go first, so that gob reads the descriptions
	// before the value; it reads them whatever becomes of the value.
	d.src.set(d.pending, payload)
	defsLeft := func() int { return d.src.lenBefore(len(d.pending)) }
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: gob failed on these bytes: %v", ErrMalformed, r)
		}
		if n := defsLeft(); n > 0 {
			d.broken = fmt.Errorf("%w: type descriptions unreadable (%d bytes left): stream lost", ErrMalformed, n)
			if err == nil {
				err = d.broken
			}
		}
		d.applied += uint32(len(d.pending))
		clear(d.pending)
		d.pending = d.pending[:0]
		if err == nil && d.src.left() > 0 {
			err = fmt.Errorf("%w: %d bytes after the value", ErrMalformed, d.src.left())
		}
		d.src.set(nil, nil)
	}()
	if err := d.dec.Decode(ptr); err != nil {
		return fmt.Errorf("gob: %w", err)
	}
	return nil
}

// checkTarget rejects what gob would panic on or silently skip.
func checkTarget(ptr any) error {
	rv := reflect.ValueOf(ptr)
	if !rv.IsValid() || rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("%w: decoding into %T, not a non-nil pointer", ErrType, ptr)
	}
	return nil
}

// EncodeSelf encodes v as a complete gob stream (KindGobSelf), type
// descriptions included, for a value that is encoded once and decoded by
// ranks that keep no stream with the sender.
func EncodeSelf(v any, alloc Alloc) ([]byte, error) {
	if msg, ok, err := EncodeFast(v, alloc); ok {
		return msg, err
	}
	var b bytes.Buffer
	b.Write(make([]byte, HeaderSize))
	if err := encodeGuarded(gob.NewEncoder(&b), v); err != nil {
		return nil, err
	}
	msg := alloc(b.Len())
	copy(msg, b.Bytes())
	PutHeader(msg, KindGobSelf, 0)
	return msg, nil
}

// DecodeSelf decodes a message that EncodeSelf or EncodeFast wrote into
// ptr. The payload is never kept.
func DecodeSelf(msg []byte, ptr any) (err error) {
	k, _, payload, err := Header(msg)
	if err != nil {
		return err
	}
	switch k {
	case KindGobStream:
		return fmt.Errorf("%w: a stream's gob value without its stream", ErrMalformed)
	case KindGobSelf:
		if err := checkTarget(ptr); err != nil {
			return err
		}
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%w: gob failed on these bytes: %v", ErrMalformed, r)
			}
		}()
		r := bytes.NewReader(payload)
		if err := gob.NewDecoder(r).Decode(ptr); err != nil {
			return fmt.Errorf("gob: %w", err)
		}
		if r.Len() > 0 {
			return fmt.Errorf("%w: %d bytes after the value", ErrMalformed, r.Len())
		}
		return nil
	}
	_, err = DecodeFast(k, payload, ptr, false)
	return err
}

// segments is an io.Reader over a list of byte slices, read in turn; it
// is also an io.ByteReader, so that gob reads from it without a buffer
// of its own that could hold bytes of the next message.
type segments struct {
	segs [][]byte
	last []byte
	i    int // current segment; len(segs) means last
}

func (s *segments) set(segs [][]byte, last []byte) { s.segs, s.last, s.i = segs, last, 0 }

func (s *segments) cur() *[]byte {
	for s.i < len(s.segs) && len(s.segs[s.i]) == 0 {
		s.i++
	}
	if s.i < len(s.segs) {
		return &s.segs[s.i]
	}
	return &s.last
}

func (s *segments) Read(p []byte) (int, error) {
	c := s.cur()
	if len(*c) == 0 {
		return 0, io.EOF
	}
	n := copy(p, *c)
	*c = (*c)[n:]
	return n, nil
}

func (s *segments) ReadByte() (byte, error) {
	c := s.cur()
	if len(*c) == 0 {
		return 0, io.EOF
	}
	b := (*c)[0]
	*c = (*c)[1:]
	return b, nil
}

// lenBefore returns the bytes left unread in the first n segments.
func (s *segments) lenBefore(n int) int {
	t := 0
	for _, b := range s.segs[:min(n, len(s.segs))] {
		t += len(b)
	}
	return t
}

// left returns the bytes left unread in all.
func (s *segments) left() int { return s.lenBefore(len(s.segs)) + len(s.last) }
