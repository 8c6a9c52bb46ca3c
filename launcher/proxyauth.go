package launcher

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// The proxy handshake proves, both ways, that each end knows the job's
// cookie without sending it: the proxy sends a nonce and says which host it
// is; the root answers with its own nonce and an HMAC over both nonces and
// the claim; the proxy checks it and answers with its HMAC. A connection
// that fails is closed before any frame is read, so the root's port
// accepts nothing from strangers.

const (
	proxyMagic      = "SPMDPRX1"
	nonceLen        = 32
	maxHostLen      = 255
	handshakeWithin = 10 * time.Second
)

// errAuth is wrapped by every handshake failure.
var errAuth = errors.New("proxy authentication failed")

// proxyClaim is who a connecting proxy says it is: the index of its host in
// the job's mapping, or -1 to be matched by Name (proxies started together
// by srun, pbsdsh or HTCondor do not know their index).
type proxyClaim struct {
	Index int
	Name  string
}

func proofMAC(cookie []byte, who string, nonceP, nonceR []byte, c proxyClaim) []byte {
	m := hmac.New(sha256.New, cookie)
	m.Write([]byte(who))
	m.Write(nonceP)
	m.Write(nonceR)
	var idx [4]byte
	binary.BigEndian.PutUint32(idx[:], uint32(int32(c.Index)))
	m.Write(idx[:])
	m.Write([]byte(c.Name))
	return m.Sum(nil)
}

// proveToRoot runs the proxy's side of the handshake on conn.
func proveToRoot(conn net.Conn, cookie []byte, c proxyClaim) error {
	if len(c.Name) > maxHostLen {
		return fmt.Errorf("host name %q is too long", c.Name)
	}
	_ = conn.SetDeadline(time.Now().Add(handshakeWithin))
	defer conn.SetDeadline(time.Time{})
	nonceP := make([]byte, nonceLen)
	_, _ = rand.Read(nonceP)
	hello := append([]byte(proxyMagic), nonceP...)
	hello = binary.BigEndian.AppendUint32(hello, uint32(int32(c.Index)))
	hello = append(hello, byte(len(c.Name)))
	hello = append(hello, c.Name...)
	if _, err := conn.Write(hello); err != nil {
		return fmt.Errorf("proxy handshake: %w", err)
	}
	answer := make([]byte, nonceLen+sha256.Size)
	if _, err := io.ReadFull(conn, answer); err != nil {
		return fmt.Errorf("proxy handshake: %w: root closed the connection (%w)", errAuth, err)
	}
	nonceR, macR := answer[:nonceLen], answer[nonceLen:]
	if !hmac.Equal(macR, proofMAC(cookie, "spmd-root", nonceP, nonceR, c)) {
		return fmt.Errorf("proxy handshake: %w: the root does not know the job's cookie", errAuth)
	}
	if _, err := conn.Write(proofMAC(cookie, "spmd-proxy", nonceP, nonceR, c)); err != nil {
		return fmt.Errorf("proxy handshake: %w", err)
	}
	return nil
}

// acceptProof runs the root's side of the handshake on conn and returns
// what the proxy claims to be.
func acceptProof(conn net.Conn, cookie []byte) (proxyClaim, error) {
	_ = conn.SetDeadline(time.Now().Add(handshakeWithin))
	defer conn.SetDeadline(time.Time{})
	hello := make([]byte, len(proxyMagic)+nonceLen+4+1)
	if _, err := io.ReadFull(conn, hello); err != nil {
		return proxyClaim{}, fmt.Errorf("%w: %w", errAuth, err)
	}
	if string(hello[:len(proxyMagic)]) != proxyMagic {
		return proxyClaim{}, fmt.Errorf("%w: not a proxy", errAuth)
	}
	nonceP := hello[len(proxyMagic) : len(proxyMagic)+nonceLen]
	rest := hello[len(proxyMagic)+nonceLen:]
	c := proxyClaim{Index: int(int32(binary.BigEndian.Uint32(rest)))}
	name := make([]byte, rest[4])
	if _, err := io.ReadFull(conn, name); err != nil {
		return proxyClaim{}, fmt.Errorf("%w: %w", errAuth, err)
	}
	c.Name = string(name)
	nonceR := make([]byte, nonceLen)
	_, _ = rand.Read(nonceR)
	if _, err := conn.Write(append(nonceR, proofMAC(cookie, "spmd-root", nonceP, nonceR, c)...)); err != nil {
		return proxyClaim{}, fmt.Errorf("%w: %w", errAuth, err)
	}
	macP := make([]byte, sha256.Size)
	if _, err := io.ReadFull(conn, macP); err != nil {
		return proxyClaim{}, fmt.Errorf("%w: %w", errAuth, err)
	}
	if !hmac.Equal(macP, proofMAC(cookie, "spmd-proxy", nonceP, nonceR, c)) {
		return proxyClaim{}, fmt.Errorf("%w: wrong proof of the cookie", errAuth)
	}
	return c, nil
}
