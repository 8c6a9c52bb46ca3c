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
// call. The message's first chunk decides, on a sample, whether to shuffle
// and whether to compress at all; a chunk that does not pay is sent stored
// and the rest of the message too.
func (e *Encoder) Encode(raw []byte, first bool) ([]byte, Chunk) {
	stored := Chunk{Raw: len(raw)}
	if first && !e.choose(raw) {
		e.giveUp = true
	}
	if e.giveUp {
		return raw, stored
	}
	shuffled := e.shuffled && len(raw)%8 == 0
	packed := e.pack(raw, shuffled, &e.out)
	if !pays(len(packed), len(raw)) {
		e.giveUp = true
		return raw, stored
	}
	return packed, Chunk{Method: e.method, Shuffled: shuffled, Raw: len(raw)}
}

// sampleBytes is how much of a message's first chunk choose compresses to
// decide: enough for the compressors to find what repeats, little enough
// that data which does not shrink costs next to nothing.
const sampleBytes = 64 << 10

// choose compresses a sample of raw both as it is and shuffled (see
// shuffle8; when it is whole words), keeps the better transform for the
// message, and reports whether it pays at all.
func (e *Encoder) choose(raw []byte) bool {
	sample := raw[:min(len(raw), sampleBytes)]
	plain := len(e.pack(sample, false, &e.out))
	best := plain
	e.shuffled = false
	if len(sample)%8 == 0 {
		if n := len(e.pack(sample, true, &e.out)); n < plain {
			best, e.shuffled = n, true
		}
	}
	return pays(best, len(sample))
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
