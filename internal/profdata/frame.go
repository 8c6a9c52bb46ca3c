package profdata

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrProtocol is wrapped by every error the collector protocol returns for
// a frame that does not follow it: an unknown kind, a wrong length, a bad
// magic number.
var ErrProtocol = errors.New("profdata: collector protocol violation")

// The collector protocol is a sequence of frames, each a header (kind u8,
// body length u32 little-endian) and a body. Fixed-size kinds must carry
// exactly their size; the others are bounded, so a reader never allocates
// more than the kind allows before it has checked the header.
const headerSize = 5

// Frame kinds, in the order a session uses them.
const (
	kindChallenge  byte = 1 + iota // collector → rank: magic, nonce
	kindHello                      // rank → collector: rank, nonce, MAC
	kindAccept                     // collector → rank: MAC
	kindClock                      // rank → collector: rank clock, at-finalize flag
	kindClockReply                 // collector → rank: collector clock
	kindData                       // rank → collector: Encode'd RankData
	kindAck                        // collector → rank: data stored
	kindRefuse                     // collector → rank: why not, as text
	kindWatch                      // rank → collector: tell me on this connection when the job stops
	kindStop                       // collector → rank: the job stops: upload now; why, as text
)

const (
	nonceSize = 32
	macSize   = 32
	// protocolMagic opens every challenge: a rank that dialled something
	// else (or an older collector) fails on it rather than on a MAC.
	protocolMagic = "SPMDPRF1"

	challengeBody  = len(protocolMagic) + nonceSize
	helloBody      = 4 + nonceSize + macSize
	acceptBody     = macSize
	clockBody      = 8 + 1
	clockReplyBody = 8
	maxRefuseBody  = 1024
)

// bodyLimit returns the exact size a kind's body must have (fixed true) or
// the most it may have.
func bodyLimit(kind byte) (n int, fixed bool, ok bool) {
	switch kind {
	case kindChallenge:
		return challengeBody, true, true
	case kindHello:
		return helloBody, true, true
	case kindAccept:
		return acceptBody, true, true
	case kindClock:
		return clockBody, true, true
	case kindClockReply:
		return clockReplyBody, true, true
	case kindData:
		return maxEncoded, false, true
	case kindAck:
		return 0, true, true
	case kindRefuse:
		return maxRefuseBody, false, true
	case kindWatch:
		return 0, true, true
	case kindStop:
		return maxRefuseBody, false, true
	}
	return 0, false, false
}

// parseHeader checks a frame header and returns its kind and body length.
func parseHeader(h []byte) (kind byte, n int, err error) {
	if len(h) != headerSize {
		return 0, 0, fmt.Errorf("%w: header of %d bytes", ErrProtocol, len(h))
	}
	kind = h[0]
	size := binary.LittleEndian.Uint32(h[1:])
	limit, fixed, ok := bodyLimit(kind)
	switch {
	case !ok:
		return 0, 0, fmt.Errorf("%w: unknown frame kind %d", ErrProtocol, kind)
	case fixed && uint64(size) != uint64(limit):
		return 0, 0, fmt.Errorf("%w: frame kind %d of %d bytes, want %d", ErrProtocol, kind, size, limit)
	case uint64(size) > uint64(limit):
		return 0, 0, fmt.Errorf("%w: frame kind %d of %d bytes, more than %d", ErrProtocol, kind, size, limit)
	}
	return kind, int(size), nil
}

// appendHeader appends a frame header to b.
func appendHeader(b []byte, kind byte, n int) []byte {
	b = append(b, kind)
	return binary.LittleEndian.AppendUint32(b, uint32(n))
}

// writeFrame writes one frame with a small body in one write.
func writeFrame(w io.Writer, kind byte, body []byte) error {
	b := appendHeader(make([]byte, 0, headerSize+len(body)), kind, len(body))
	_, err := w.Write(append(b, body...))
	return err
}

// readHeader reads and checks one frame header.
func readHeader(r io.Reader) (kind byte, n int, err error) {
	var h [headerSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, 0, err
	}
	return parseHeader(h[:])
}

// readSmallFrame reads a whole frame whose kind must be one of want and
// whose body is not a data upload, returning the kind and the body.
func readSmallFrame(r io.Reader, want ...byte) (byte, []byte, error) {
	kind, n, err := readHeader(r)
	if err != nil {
		return 0, nil, err
	}
	found := false
	for _, k := range want {
		found = found || k == kind
	}
	if !found || kind == kindData {
		return 0, nil, fmt.Errorf("%w: unexpected frame kind %d", ErrProtocol, kind)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, nil, err
	}
	return kind, body, nil
}

// challenge is the collector's opening: a fresh nonce the rank must MAC.
type challenge struct{ nonce [nonceSize]byte }

func (c *challenge) encode() []byte {
	return append([]byte(protocolMagic), c.nonce[:]...)
}

func (c *challenge) decode(b []byte) error {
	if len(b) != challengeBody || string(b[:len(protocolMagic)]) != protocolMagic {
		return fmt.Errorf("%w: not a profile collector (bad challenge)", ErrProtocol)
	}
	copy(c.nonce[:], b[len(protocolMagic):])
	return nil
}

// hello is the rank's answer: who it is, its own nonce for the collector
// to MAC, and its MAC over the collector's nonce.
type hello struct {
	rank  uint32
	nonce [nonceSize]byte
	mac   [macSize]byte
}

func (h *hello) encode() []byte {
	b := binary.LittleEndian.AppendUint32(nil, h.rank)
	b = append(b, h.nonce[:]...)
	return append(b, h.mac[:]...)
}

func (h *hello) decode(b []byte, size int) error {
	if len(b) != helloBody {
		return fmt.Errorf("%w: hello of %d bytes", ErrProtocol, len(b))
	}
	h.rank = binary.LittleEndian.Uint32(b)
	if uint64(h.rank) >= uint64(size) {
		return fmt.Errorf("%w: hello from rank %d in a job of %d", ErrProtocol, h.rank, size)
	}
	copy(h.nonce[:], b[4:])
	copy(h.mac[:], b[4+nonceSize:])
	return nil
}

// clockPing carries the rank's clock reading when it sent the ping.
type clockPing struct {
	rankNs     int64
	atFinalize bool
}

func (p *clockPing) encode() []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(p.rankNs))
	if p.atFinalize {
		return append(b, 1)
	}
	return append(b, 0)
}

func (p *clockPing) decode(b []byte) error {
	if len(b) != clockBody || b[8] > 1 {
		return fmt.Errorf("%w: clock ping", ErrProtocol)
	}
	p.rankNs = int64(binary.LittleEndian.Uint64(b))
	p.atFinalize = b[8] == 1
	return nil
}

// clockReply carries the collector's clock when it answered.
type clockReply struct{ collectorNs int64 }

func (r *clockReply) encode() []byte {
	return binary.LittleEndian.AppendUint64(nil, uint64(r.collectorNs))
}

func decodeClockReply(b []byte) (int64, error) {
	if len(b) != clockReplyBody {
		return 0, fmt.Errorf("%w: clock reply", ErrProtocol)
	}
	return int64(binary.LittleEndian.Uint64(b)), nil
}
