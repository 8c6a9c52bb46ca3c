package squeeze

import (
	"fmt"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

// Decoder decompresses chunks received on one link, keeping its buffers
// between them. It is not safe for concurrent use.
type Decoder struct {
	zstd *zstd.Decoder // made on first use
	in   []byte        // packed bytes as read
	shuf []byte        // shuffled raw bytes
}

// Buffer returns a buffer of n bytes (at most MaxEncodedLen(MaxChunk)) to
// read a chunk's packed bytes into, valid until the next call.
func (d *Decoder) Buffer(n int) []byte {
	d.in = grow(d.in, n)
	return d.in
}

// Decode decompresses packed, a chunk's bytes described by c (from
// ParseChunk), into dst, which must be c.Raw bytes long. Input that does
// not decode to exactly c.Raw bytes is an error wrapping ErrChunk.
func (d *Decoder) Decode(dst, packed []byte, c Chunk) error {
	if len(dst) != c.Raw {
		return fmt.Errorf("%w: %d-byte destination for %d raw bytes", ErrChunk, len(dst), c.Raw)
	}
	out := dst
	if c.Shuffled {
		d.shuf = grow(d.shuf, c.Raw)
		out = d.shuf
	}
	switch c.Method {
	case Stored:
		if len(packed) != c.Raw {
			return fmt.Errorf("%w: stored chunk of %d bytes for %d", ErrChunk, len(packed), c.Raw)
		}
		copy(out, packed)
	case S2:
		n, err := s2.DecodedLen(packed)
		if err != nil || n != c.Raw {
			return fmt.Errorf("%w: s2 chunk decodes to %d bytes, want %d (%v)", ErrChunk, n, c.Raw, err)
		}
		if _, err := s2.Decode(out, packed); err != nil {
			return fmt.Errorf("%w: %w", ErrChunk, err)
		}
	case Zstd:
		if d.zstd == nil {
			var err error
			d.zstd, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1),
				zstd.WithDecoderMaxMemory(MaxChunk), zstd.WithDecoderLowmem(true))
			if err != nil {
				return fmt.Errorf("squeeze: zstd decoder: %w", err)
			}
		}
		got, err := d.zstd.DecodeAll(packed, out[:0])
		if err != nil {
			return fmt.Errorf("%w: %w", ErrChunk, err)
		}
		if len(got) != c.Raw || &got[0] != &out[0] {
			return fmt.Errorf("%w: zstd chunk decodes to %d bytes, want %d", ErrChunk, len(got), c.Raw)
		}
	default:
		return fmt.Errorf("%w: method %v", ErrChunk, c.Method)
	}
	if c.Shuffled {
		unshuffle8(dst, out)
	}
	return nil
}
