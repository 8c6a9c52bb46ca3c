package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// HeaderSize is the fixed size in bytes of every frame header.
const HeaderSize = 48

// Magic and Version open every frame header; a mismatch means the peer is not
// an spmd rank of a compatible version. Version 2: shared-memory ring frames
// start on 64-byte boundaries. Version 3: each behind a seal word.
// Version 4: shared copies (Share, Pushed). Version 5: small Eager
// payloads travel inside the header (InlineMax).
const (
	Magic   uint16 = 0x5053 // "SP"
	Version uint8  = 5
)

// InlineMax is the largest Eager payload that travels inside the header,
// in the bytes of the ID and Aux fields, which an Eager frame has no other
// use for; no payload bytes follow such a header. On shared memory a
// frame's seal, header and up to 8 payload bytes fill one cache line, the
// unit that moves from the writer's core to the reader's: inlined, a
// message of up to 16 bytes (an 8-byte value behind an object header)
// moves as one line rather than two.
const InlineMax = 16

// Inlined reports whether h is an Eager frame whose payload travels inside
// the header.
func (h *Header) Inlined() bool { return h.Kind == Eager && h.Len <= InlineMax }

// PutInline stores p, at most InlineMax bytes, as the payload of an Eager
// header (its ID and Aux, zero-padded) and sets Len.
func (h *Header) PutInline(p []byte) {
	var b [InlineMax]byte
	copy(b[:], p)
	h.Len = uint64(len(p))
	h.ID = binary.LittleEndian.Uint64(b[0:])
	h.Aux = binary.LittleEndian.Uint64(b[8:])
}

// InlineBytes returns the payload of an Inlined header, written into b.
func (h *Header) InlineBytes(b *[InlineMax]byte) []byte {
	binary.LittleEndian.PutUint64(b[0:], h.ID)
	binary.LittleEndian.PutUint64(b[8:], h.Aux)
	return b[:min(h.Len, InlineMax)]
}

// Kind says what a frame does.
type Kind uint8

// Frame kinds. Only Eager, Data and Packed frames carry a payload on the wire.
const (
	// Eager carries a whole message: envelope plus Len payload bytes.
	Eager Kind = iota + 1
	// RTS (ready to send) announces a message of Len bytes that waits in the
	// sender until the receiver grants it with CTS; ID names the send.
	RTS
	// CTS (clear to send) answers an RTS: ID echoes the sender's ID, Aux
	// names the receive, and Len is how many bytes the receiver accepts (less
	// than the message when its buffer is too small).
	CTS
	// Data carries the Len bytes granted by a CTS; Aux names the receive.
	Data
	// Credit returns eager-buffer credit (the Credit field) and nothing else.
	Credit
	// Bye says the sender finalized cleanly: a close after it is not a failure.
	Bye
	// Pulled answers an RTS whose sender is on the same host: the receiver
	// copied Len bytes straight out of the sender's buffer (cross-memory
	// attach), so the send is complete and no Data follows. ID echoes the
	// sender's ID.
	Pulled
	// Packed carries one chunk of the data granted by a CTS, compressed
	// (SPMD_COMPRESS): Len packed bytes follow, standing for ID raw bytes of
	// the message; Context holds the chunk's encoding (package
	// comm/internal/squeeze), Aux names the receive. A message's chunks
	// arrive in order and fill the receive's buffer from its start.
	Packed
	// Share answers an RTS on the same host when each rank may copy from
	// and into the other's memory: the receiver copies the head of the Len
	// granted bytes out of the sender's buffer itself, and offers the
	// sender the rest, from ShareCut(Len) to Len, to copy into the
	// receiver's buffer at address Aux. Context names the claim slot in
	// the pair's shared memory that decides which of them copies the rest,
	// Tag (as a uint32) the offer's generation there. ID echoes the
	// sender's ID. The receiver answers Pulled when it is done copying
	// (the send is then complete: the sender handled Share before), the
	// sender Pushed when it copied the rest.
	Share
	// Pushed answers Share when the sender claimed the rest: it copied
	// those Len bytes into the receiver's buffer. ID is the sender's ID.
	Pushed
	maxKind = Pushed
)

// ShareCut is where the sender's part of a shared copy of n bytes
// (Share) starts: half way, rounded down to a 4 KiB page, so that the
// two parts pin no page in common when the buffers start on a page.
func ShareCut(n uint64) uint64 { return n / 2 &^ 4095 }

var kindNames = [...]string{Eager: "eager", RTS: "rts", CTS: "cts", Data: "data", Credit: "credit", Bye: "bye", Pulled: "pulled", Packed: "packed", Share: "share", Pushed: "pushed"}

func (k Kind) String() string {
	if k >= Eager && k <= maxKind {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// HasPayload reports whether Len payload bytes follow a header of this kind.
func (k Kind) HasPayload() bool { return k == Eager || k == Data || k == Packed }

// ErrMalformed is wrapped by every decoding error.
var ErrMalformed = errors.New("malformed frame")

// Header is the fixed-size frame header.
//
// Layout (offsets in bytes): 0 magic u16, 2 version u8, 3 kind u8, 4 src i32,
// 8 context u32, 12 tag i32, 16 len u64, 24 id u64, 32 aux u64,
// 40 credit u32, 44 reserved u32 (zero). An Inlined Eager frame carries
// its payload at 24, zero-padded to 40.
type Header struct {
	Kind    Kind
	Src     int32  // sender's rank in the communicator of Context
	Context uint32 // communicator context id
	Tag     int32
	Len     uint64 // payload bytes (Eager, Data, Packed), message bytes (RTS), granted bytes (CTS)
	ID      uint64 // sender's request id (RTS, CTS, Pulled, Share, Pushed); raw bytes (Packed); inline payload (Eager)
	Aux     uint64 // receiver's request id (CTS, Data); sender's buffer address (RTS on shared memory); receiver's (Share); inline payload (Eager)
	Credit  uint32 // eager credit returned to the frame's receiver
	// Seq is not on the wire: a profiled sender's number for the message
	// (comm's flow arrows), set as the frame is written.
	Seq uint64
}

// Limits bound what a decoded header may announce.
type Limits struct {
	// MaxEager is the largest Eager payload accepted.
	MaxEager uint64
	// MaxMessage is the largest message (RTS, CTS, Data) accepted.
	MaxMessage uint64
}

// Encode writes h into b, which must hold at least HeaderSize bytes.
func (h *Header) Encode(b []byte) {
	_ = b[HeaderSize-1]
	binary.LittleEndian.PutUint16(b[0:], Magic)
	b[2] = Version
	b[3] = uint8(h.Kind)
	binary.LittleEndian.PutUint32(b[4:], uint32(h.Src))
	binary.LittleEndian.PutUint32(b[8:], h.Context)
	binary.LittleEndian.PutUint32(b[12:], uint32(h.Tag))
	binary.LittleEndian.PutUint64(b[16:], h.Len)
	binary.LittleEndian.PutUint64(b[24:], h.ID)
	binary.LittleEndian.PutUint64(b[32:], h.Aux)
	binary.LittleEndian.PutUint32(b[40:], h.Credit)
	binary.LittleEndian.PutUint32(b[44:], 0)
}

// Decode parses b into h and validates it against lim. On error h is
// unspecified and the stream must be abandoned: framing is lost.
func (h *Header) Decode(b []byte, lim Limits) error {
	if len(b) < HeaderSize {
		return fmt.Errorf("%w: %d header bytes, want %d", ErrMalformed, len(b), HeaderSize)
	}
	if m := binary.LittleEndian.Uint16(b[0:]); m != Magic {
		return fmt.Errorf("%w: bad magic %#04x", ErrMalformed, m)
	}
	if b[2] != Version {
		return fmt.Errorf("%w: version %d, want %d", ErrMalformed, b[2], Version)
	}
	h.Kind = Kind(b[3])
	if h.Kind < Eager || h.Kind > maxKind {
		return fmt.Errorf("%w: unknown kind %d", ErrMalformed, b[3])
	}
	if binary.LittleEndian.Uint32(b[44:]) != 0 {
		return fmt.Errorf("%w: reserved field set", ErrMalformed)
	}
	h.Src = int32(binary.LittleEndian.Uint32(b[4:]))
	h.Context = binary.LittleEndian.Uint32(b[8:])
	h.Tag = int32(binary.LittleEndian.Uint32(b[12:]))
	h.Len = binary.LittleEndian.Uint64(b[16:])
	h.ID = binary.LittleEndian.Uint64(b[24:])
	h.Aux = binary.LittleEndian.Uint64(b[32:])
	h.Credit = binary.LittleEndian.Uint32(b[40:])
	switch h.Kind {
	case Eager:
		if h.Len > lim.MaxEager {
			return fmt.Errorf("%w: eager payload of %d bytes exceeds the limit %d", ErrMalformed, h.Len, lim.MaxEager)
		}
		if h.Len <= InlineMax {
			for _, c := range b[24+h.Len : 24+InlineMax] {
				if c != 0 {
					return fmt.Errorf("%w: bytes after an inline payload of %d", ErrMalformed, h.Len)
				}
			}
		}
	case RTS, CTS, Data, Pulled, Packed, Share, Pushed:
		if h.Len > lim.MaxMessage {
			return fmt.Errorf("%w: %v of %d bytes exceeds the limit %d", ErrMalformed, h.Kind, h.Len, lim.MaxMessage)
		}
	case Credit, Bye:
		if h.Len != 0 {
			return fmt.Errorf("%w: %v frame with length %d", ErrMalformed, h.Kind, h.Len)
		}
	}
	if h.Src < 0 && (h.Kind == Eager || h.Kind == RTS) {
		return fmt.Errorf("%w: negative source rank %d", ErrMalformed, h.Src)
	}
	return nil
}
