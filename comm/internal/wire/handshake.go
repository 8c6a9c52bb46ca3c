package wire

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// The connection handshake proves that both ends hold the job's secret cookie
// without sending it: the listener sends a random challenge, the dialer
// answers with its rank, its own challenge and an HMAC over both, and the
// listener answers the dialer's challenge. Each side checks the other's MAC.
const (
	NonceSize     = 32
	MACSize       = sha256.Size
	ChallengeSize = 4 + NonceSize                   // magic u16, version u8, pad u8, nonce
	HelloSize     = 4 + 4 + 4 + NonceSize + MACSize // magic, version, pad, dialer rank i32, listener rank i32, nonce, mac
	AcceptSize    = MACSize
)

// EncodeChallenge writes the listener's challenge into b (ChallengeSize bytes).
func EncodeChallenge(b []byte, nonce *[NonceSize]byte) {
	_ = b[ChallengeSize-1]
	binary.LittleEndian.PutUint16(b, Magic)
	b[2], b[3] = Version, 0
	copy(b[4:], nonce[:])
}

// DecodeChallenge validates a challenge and returns its nonce.
func DecodeChallenge(b []byte) (nonce [NonceSize]byte, err error) {
	if len(b) != ChallengeSize {
		return nonce, fmt.Errorf("%w: challenge of %d bytes", ErrMalformed, len(b))
	}
	if binary.LittleEndian.Uint16(b) != Magic || b[2] != Version {
		return nonce, fmt.Errorf("%w: challenge from an incompatible peer", ErrMalformed)
	}
	copy(nonce[:], b[4:])
	return nonce, nil
}

// Hello is the dialer's answer to a challenge.
type Hello struct {
	From, To int32 // dialer's and listener's world ranks
	Nonce    [NonceSize]byte
	MAC      [MACSize]byte
}

// HelloMAC computes the MAC a dialer sends: it binds the cookie, the
// listener's challenge, both ranks and the dialer's own nonce.
func HelloMAC(cookie []byte, challenge *[NonceSize]byte, from, to int32, nonce *[NonceSize]byte) [MACSize]byte {
	m := hmac.New(sha256.New, cookie)
	var r [8]byte
	binary.LittleEndian.PutUint32(r[0:], uint32(from))
	binary.LittleEndian.PutUint32(r[4:], uint32(to))
	m.Write([]byte("spmd-hello"))
	m.Write(challenge[:])
	m.Write(r[:])
	m.Write(nonce[:])
	var out [MACSize]byte
	copy(out[:], m.Sum(nil))
	return out
}

// AcceptMAC computes the listener's answer to the dialer's nonce.
func AcceptMAC(cookie []byte, nonce *[NonceSize]byte, from, to int32) [MACSize]byte {
	m := hmac.New(sha256.New, cookie)
	var r [8]byte
	binary.LittleEndian.PutUint32(r[0:], uint32(from))
	binary.LittleEndian.PutUint32(r[4:], uint32(to))
	m.Write([]byte("spmd-accept"))
	m.Write(nonce[:])
	m.Write(r[:])
	var out [MACSize]byte
	copy(out[:], m.Sum(nil))
	return out
}

// Encode writes h into b (HelloSize bytes).
func (h *Hello) Encode(b []byte) {
	_ = b[HelloSize-1]
	binary.LittleEndian.PutUint16(b, Magic)
	b[2], b[3] = Version, 0
	binary.LittleEndian.PutUint32(b[4:], uint32(h.From))
	binary.LittleEndian.PutUint32(b[8:], uint32(h.To))
	copy(b[12:], h.Nonce[:])
	copy(b[12+NonceSize:], h.MAC[:])
}

// Decode parses b into h, checking framing and that the ranks lie in [0, size).
// It does not check the MAC: that needs the cookie and the challenge.
func (h *Hello) Decode(b []byte, size int) error {
	if len(b) != HelloSize {
		return fmt.Errorf("%w: hello of %d bytes", ErrMalformed, len(b))
	}
	if binary.LittleEndian.Uint16(b) != Magic || b[2] != Version || b[3] != 0 {
		return fmt.Errorf("%w: hello from an incompatible peer", ErrMalformed)
	}
	h.From = int32(binary.LittleEndian.Uint32(b[4:]))
	h.To = int32(binary.LittleEndian.Uint32(b[8:]))
	if h.From < 0 || int(h.From) >= size || h.To < 0 || int(h.To) >= size {
		return fmt.Errorf("%w: hello names ranks %d→%d outside a world of %d", ErrMalformed, h.From, h.To, size)
	}
	copy(h.Nonce[:], b[12:])
	copy(h.MAC[:], b[12+NonceSize:])
	return nil
}
