// Package tcp sets up spmd's authenticated TCP connections between ranks.
//
// Every connection starts with a challenge–response on the job's secret
// cookie (see package wire): a process that cannot prove it holds the cookie
// is dropped and logged, and the job goes on. After the handshake the
// connection is an ordinary byte stream with TCP_NODELAY set; framing is the
// caller's.
package tcp

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spmd-go/spmd/comm/internal/wire"
)

// HandshakeTimeout bounds each side's handshake unless the caller says
// otherwise (Listener.SetHandshakeTimeout, Dial's context), so that a stray
// process that connects and says nothing cannot hold a listener slot for
// ever. Ranks of a job on a host with far more ranks than cores may not
// run for seconds at a time, so the runtime gives its connect timeout.
const HandshakeTimeout = 5 * time.Second

// ErrAuth is wrapped by handshake failures caused by a wrong cookie.
var ErrAuth = errors.New("authentication failed")

// ErrRefused is wrapped by a Dial that found nobody listening.
var ErrRefused = errors.New("connection refused: the rank is not listening (gone?)")

// Listener accepts authenticated connections from the other ranks of a job.
type Listener struct {
	ln     net.Listener
	cookie []byte
	rank   int
	size   int
	accept func(peer int, c *net.TCPConn)
	logf   func(format string, args ...any)
	wg     sync.WaitGroup

	timeout atomic.Int64 // the handshake's bound, nanoseconds

	mu         sync.Mutex
	closed     bool
	handshakes map[net.Conn]struct{} // in progress: Close cuts them short
}

// Listen listens on addr ("host:port"; port 0 picks one). Each connection
// that passes the handshake is handed to accept with the dialer's world
// rank; failures are reported through logf and the connection is closed.
func Listen(addr string, cookie []byte, rank, size int, accept func(peer int, c *net.TCPConn), logf func(string, ...any)) (*Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("tcp: listen on %s: %w", addr, err)
	}
	l := &Listener{ln: ln, cookie: cookie, rank: rank, size: size, accept: accept, logf: logf,
		handshakes: make(map[net.Conn]struct{})}
	l.timeout.Store(int64(HandshakeTimeout))
	l.wg.Add(1)
	go l.serve()
	return l, nil
}

// SetHandshakeTimeout bounds the handshakes that start from now on.
func (l *Listener) SetHandshakeTimeout(d time.Duration) { l.timeout.Store(int64(d)) }

// Addr returns the listening address.
func (l *Listener) Addr() *net.TCPAddr { return l.ln.Addr().(*net.TCPAddr) }

// Close stops accepting, cuts short the handshakes in progress (a stranger
// that connects and stays silent must not delay a rank's exit), and waits
// for their goroutines.
func (l *Listener) Close() error {
	err := l.ln.Close()
	l.mu.Lock()
	l.closed = true
	for c := range l.handshakes {
		c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
	return err
}

// track registers a connection in handshake, or reports that the listener
// is closed.
func (l *Listener) track(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.handshakes[c] = struct{}{}
	return true
}

func (l *Listener) untrack(c net.Conn) {
	l.mu.Lock()
	delete(l.handshakes, c)
	l.mu.Unlock()
}

func (l *Listener) serve() {
	defer l.wg.Done()
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				l.logf("tcp: accept: %v", err)
			}
			return
		}
		if !l.track(c) {
			c.Close()
			return
		}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			tc := c.(*net.TCPConn)
			peer, err := l.handshake(tc)
			l.untrack(c)
			if err != nil {
				l.logf("tcp: rank %d dropped a connection from %s: %v", l.rank, c.RemoteAddr(), err)
				c.Close()
				return
			}
			l.accept(peer, tc)
		}()
	}
}

func (l *Listener) handshake(c *net.TCPConn) (int, error) {
	if err := c.SetDeadline(time.Now().Add(time.Duration(l.timeout.Load()))); err != nil {
		return 0, err
	}
	var challenge [wire.NonceSize]byte
	if _, err := rand.Read(challenge[:]); err != nil {
		return 0, err
	}
	var cb [wire.ChallengeSize]byte
	wire.EncodeChallenge(cb[:], &challenge)
	if _, err := c.Write(cb[:]); err != nil {
		return 0, fmt.Errorf("send challenge: %w", err)
	}
	var hb [wire.HelloSize]byte
	if _, err := io.ReadFull(c, hb[:]); err != nil {
		return 0, fmt.Errorf("read hello: %w", err)
	}
	var h wire.Hello
	if err := h.Decode(hb[:], l.size); err != nil {
		return 0, err
	}
	if int(h.To) != l.rank {
		return 0, fmt.Errorf("%w: hello addressed to rank %d", ErrAuth, h.To)
	}
	want := wire.HelloMAC(l.cookie, &challenge, h.From, h.To, &h.Nonce)
	if !hmac.Equal(want[:], h.MAC[:]) {
		return 0, fmt.Errorf("%w: bad MAC from a process claiming rank %d", ErrAuth, h.From)
	}
	reply := wire.AcceptMAC(l.cookie, &h.Nonce, h.From, h.To)
	if _, err := c.Write(reply[:]); err != nil {
		return 0, fmt.Errorf("send accept: %w", err)
	}
	if err := tune(c); err != nil {
		return 0, err
	}
	return int(h.From), nil
}

// Dial connects rank from to rank to at addr and proves the cookie, within
// ctx's deadline (HandshakeTimeout for the handshake when ctx has none). A
// refused connection is final (ErrRefused): a rank publishes its address
// only once it listens, so nobody listening there means the rank has gone.
// Other failures to connect are retried until ctx ends.
func Dial(ctx context.Context, addr string, cookie []byte, from, to int) (*net.TCPConn, error) {
	var d net.Dialer
	backoff := time.Millisecond
	for {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			tc := c.(*net.TCPConn)
			if err := dialHandshake(ctx, tc, cookie, from, to); err != nil {
				c.Close()
				return nil, fmt.Errorf("tcp: rank %d → rank %d at %s: %w", from, to, addr, err)
			}
			return tc, nil
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("tcp: rank %d → rank %d at %s: %w: %w", from, to, addr, ErrRefused, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("tcp: rank %d → rank %d at %s: %w", from, to, addr, err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}

func dialHandshake(ctx context.Context, c *net.TCPConn, cookie []byte, from, to int) error {
	deadline := time.Now().Add(HandshakeTimeout)
	if d, ok := ctx.Deadline(); ok {
		deadline = d
	}
	if err := c.SetDeadline(deadline); err != nil {
		return err
	}
	var cb [wire.ChallengeSize]byte
	if _, err := io.ReadFull(c, cb[:]); err != nil {
		return fmt.Errorf("read challenge: %w", err)
	}
	challenge, err := wire.DecodeChallenge(cb[:])
	if err != nil {
		return err
	}
	h := wire.Hello{From: int32(from), To: int32(to)}
	if _, err := rand.Read(h.Nonce[:]); err != nil {
		return err
	}
	h.MAC = wire.HelloMAC(cookie, &challenge, h.From, h.To, &h.Nonce)
	var hb [wire.HelloSize]byte
	h.Encode(hb[:])
	if _, err := c.Write(hb[:]); err != nil {
		return fmt.Errorf("send hello: %w", err)
	}
	var ab [wire.AcceptSize]byte
	if _, err := io.ReadFull(c, ab[:]); err != nil {
		return fmt.Errorf("read accept (wrong cookie or wrong process at that address?): %w", err)
	}
	want := wire.AcceptMAC(cookie, &h.Nonce, h.From, h.To)
	if !hmac.Equal(want[:], ab[:]) {
		return fmt.Errorf("%w: the listener could not prove the job cookie", ErrAuth)
	}
	return tune(c)
}

// tune clears the handshake deadline and sets the options every spmd
// connection runs with: no Nagle delay (latency-bound small messages) and
// keepalive, so that a host that vanishes is noticed.
func tune(c *net.TCPConn) error {
	if err := c.SetDeadline(time.Time{}); err != nil {
		return err
	}
	if err := c.SetNoDelay(true); err != nil {
		return err
	}
	return c.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: 5 * time.Second, Interval: 2 * time.Second, Count: 3})
}
