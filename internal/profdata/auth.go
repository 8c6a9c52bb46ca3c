package profdata

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"net"
	"time"
)

// The collector's handshake proves that both ends hold the job's cookie
// without sending it, as the ranks' own connections do: the collector sends
// a nonce, the rank answers with its rank, a nonce of its own and a MAC over
// both nonces and its rank, and the collector answers the rank's nonce. The
// labels keep these MACs from being replayed on a rank-to-rank connection.

func helloMAC(cookie []byte, challenge, nonce *[nonceSize]byte, rank uint32) [macSize]byte {
	m := hmac.New(sha256.New, cookie)
	m.Write([]byte("spmd-profile-hello"))
	m.Write(challenge[:])
	m.Write(binary.LittleEndian.AppendUint32(nil, rank))
	m.Write(nonce[:])
	var out [macSize]byte
	copy(out[:], m.Sum(nil))
	return out
}

func acceptMAC(cookie []byte, nonce *[nonceSize]byte, rank uint32) [macSize]byte {
	m := hmac.New(sha256.New, cookie)
	m.Write([]byte("spmd-profile-accept"))
	m.Write(nonce[:])
	m.Write(binary.LittleEndian.AppendUint32(nil, rank))
	var out [macSize]byte
	copy(out[:], m.Sum(nil))
	return out
}

func newNonce() (n [nonceSize]byte, err error) {
	_, err = rand.Read(n[:])
	return n, err
}

// IOTimeout bounds every read and write on a collector connection: a peer
// that makes no progress for this long is dropped. IdleTimeout is how long
// the collector keeps a connection that sends nothing between frames; a
// Client dials again by itself when it has been idle for half of it.
const (
	IOTimeout   = 10 * time.Second
	IdleTimeout = time.Minute
)

// timedConn gives every Read and Write its own deadline, so that a stalled
// peer costs at most the timeout while a large upload that keeps moving is
// never cut off.
type timedConn struct {
	net.Conn
	timeout time.Duration
}

func (c *timedConn) Read(b []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

func (c *timedConn) Write(b []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}
