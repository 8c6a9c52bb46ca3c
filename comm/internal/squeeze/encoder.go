package squeeze

import (
	"fmt"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

// Encoder compresses the chunks of one link's messages. It keeps its
// buffers between messages, so that a link in steady state allocates
// nothing. An Encoder is not safe for concurrent use.
type Encoder struct {
	method   Method
	zstd     *zstd.Encoder // made on first use
	out      []byte        // packed bytes of the current chunk
	alt      []byte        // the other candidate while choosing
	shuf     []byte        // shuffled raw bytes
	shuffled bool          // this message's chunks are shuffled first
	giveUp   bool          // this message stopped shrinking: send the rest stored
}

// NewEncoder returns an Encoder for method m (not Stored).
func NewEncoder(m Method) (*Encoder, error) {
	if m != S2 && m != Zstd {
		return nil, fmt.Errorf("%w: cannot encode with %v", ErrMethod, m)
	}
	return &Encoder{method: m}, nil
}

// Begin starts a new message.
func (e *Encoder) Begin() { e.shuffled, e.giveUp = false, false }

// Shrank reports whether the message so far has shrunk: false once a chunk
// did not pay, for Policy.Observe.
func (e *Encoder) Shrank() bool { return !e.giveUp }

// Encode returns what to send for raw, the next chunk of the message
// (1 to MaxChunk bytes), and its descriptor. The result is raw itself for
// a Stored chunk, else a buffer of the Encoder's, valid until the next
// call. The message's first chunk decides whether to shuffle; a chunk
// that does not pay is sent stored and the rest of the message too.
func (e *Encoder) Encode(raw []byte, first bool) ([]byte, Chunk) {
	stored := Chunk{Raw: len(raw)}
	if e.giveUp {
		return raw, stored
	}
	var packed []byte
	if first {
		packed, e.shuffled = e.choose(raw)
	} else {
		packed = e.pack(raw, e.shuffled && len(raw)%8 == 0, &e.out)
	}
	if !pays(len(packed), len(raw)) {
		e.giveUp = true
		return raw, stored
	}
	return packed, Chunk{Method: e.method, Shuffled: e.shuffled && len(raw)%8 == 0, Raw: len(raw)}
}

// choose compresses raw both as it is and shuffled (see shuffle8; when it
// is whole words) and keeps the smaller.
func (e *Encoder) choose(raw []byte) ([]byte, bool) {
	plain := e.pack(raw, false, &e.out)
	if len(raw)%8 != 0 {
		return plain, false
	}
	shuffled := e.pack(raw, true, &e.alt)
	if len(shuffled) < len(plain) {
		e.out, e.alt = e.alt, e.out
		return shuffled, true
	}
	return plain, false
}

// pack compresses raw, shuffled first if asked, into *buf.
func (e *Encoder) pack(raw []byte, shuffled bool, buf *[]byte) []byte {
	src := raw
	if shuffled {
		e.shuf = grow(e.shuf, len(raw))
		shuffle8(e.shuf, raw)
		src = e.shuf
	}
	switch e.method {
	case S2:
		*buf = grow(*buf, s2.MaxEncodedLen(len(src)))
		*buf = s2.EncodeBetter((*buf)[:cap(*buf)], src)
	case Zstd:
		if e.zstd == nil {
			// Errors come only from invalid options.
			e.zstd, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest),
				zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true))
		}
		*buf = e.zstd.EncodeAll(src, (*buf)[:0])
	}
	return *buf
}

// grow returns b with a length of n, reusing its array when it is big
// enough.
func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}
