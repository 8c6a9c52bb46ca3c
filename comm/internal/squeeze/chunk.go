package squeeze

import (
	"errors"
	"fmt"
)

// MaxChunk is the most raw bytes one chunk carries.
const MaxChunk = 1 << 20

// Method is how a chunk's bytes are encoded.
type Method uint8

// Methods. The zero Method is Stored, so a chunk descriptor of zeros is a
// plain one.
const (
	Stored    Method = iota // the raw bytes themselves
	S2                      // klauspost/compress/s2 block format
	Zstd                    // Zstandard frame (klauspost/compress/zstd)
	maxMethod = Zstd
)

var methodNames = [...]string{Stored: "off", S2: "s2", Zstd: "zstd"}

func (m Method) String() string {
	if m <= maxMethod {
		return methodNames[m]
	}
	return fmt.Sprintf("method(%d)", uint8(m))
}

// ErrMethod is wrapped by ParseMethod's errors.
var ErrMethod = errors.New("squeeze: unknown compression method")

// ParseMethod parses an SPMD_COMPRESS value: "s2", "zstd", or "off" (or
// empty) for Stored, that is, no compression.
func ParseMethod(s string) (Method, error) {
	switch s {
	case "", "off":
		return Stored, nil
	case "s2":
		return S2, nil
	case "zstd":
		return Zstd, nil
	}
	return Stored, fmt.Errorf("%w %q: want s2, zstd or off", ErrMethod, s)
}

// Chunk describes one chunk on the wire: how it is encoded and how many
// raw bytes it stands for.
type Chunk struct {
	Method   Method
	Shuffled bool // 8-byte words were delta-coded and shuffled before compression (shuffle8)
	Raw      int  // raw bytes, 1 to MaxChunk
}

// ErrChunk is wrapped by every error about a chunk received from a peer.
var ErrChunk = errors.New("squeeze: malformed chunk")

// Flags packs the chunk's method and shuffle bit into one word for a frame
// header; ParseChunk undoes it.
func (c Chunk) Flags() uint32 {
	f := uint32(c.Method)
	if c.Shuffled {
		f |= 1 << 8
	}
	return f
}

// ParseChunk checks a chunk descriptor read from a frame header: flags as
// Flags writes them, raw bytes within MaxChunk, and a payload of packed
// bytes that its method can produce (a stored chunk's payload is its raw
// bytes; a compressed one is never longer than MaxEncodedLen).
func ParseChunk(flags uint32, raw, packed uint64) (Chunk, error) {
	m := Method(flags & 0xff)
	rest := flags &^ 0x1ff
	c := Chunk{Method: m, Shuffled: flags&(1<<8) != 0, Raw: int(raw)}
	switch {
	case m > maxMethod || rest != 0:
		return Chunk{}, fmt.Errorf("%w: flags %#x", ErrChunk, flags)
	case raw == 0 || raw > MaxChunk:
		return Chunk{}, fmt.Errorf("%w: %d raw bytes, want 1 to %d", ErrChunk, raw, MaxChunk)
	case m == Stored && (packed != raw || c.Shuffled):
		return Chunk{}, fmt.Errorf("%w: stored chunk of %d bytes carries %d", ErrChunk, raw, packed)
	case packed == 0 || packed > uint64(MaxEncodedLen(int(raw))):
		return Chunk{}, fmt.Errorf("%w: %d packed bytes for %d raw", ErrChunk, packed, raw)
	case c.Shuffled && raw%8 != 0:
		return Chunk{}, fmt.Errorf("%w: shuffled chunk of %d bytes, not whole words", ErrChunk, raw)
	}
	return c, nil
}

// MaxEncodedLen bounds the packed size of a raw chunk of n bytes under
// every method: what a receiver must be ready to read.
func MaxEncodedLen(n int) int {
	// Both formats add a few bytes per block of incompressible input; a
	// sixteenth plus a constant covers either with room to spare.
	return n + n/16 + 1024
}
