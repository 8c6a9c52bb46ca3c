package pmi

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// conn is a client's lock-step request/reply connection to its process
// manager. Both clients use it, each with the codec of its wire (lineCodec
// for PMI-1, frameCodec for PMI-2), much as net/textproto.Conn serves
// several line protocols. What the two wires share lives here:
//
//   - One request in flight. mu is held for a whole exchange, and each
//     request is written with a single Write: Slurm reads every request
//     with one read() and never looks for a second.
//   - A sticky failure. After an I/O or protocol error the stream is out of
//     step, so every later request returns that error (broken).
//   - A way out of a wait. close and sendLast do not take mu, so they can
//     end a barrier that will not complete; the request in flight then
//     fails with ErrClosed rather than with the I/O error the close caused.
type conn struct {
	mu  sync.Mutex // held for a whole request/reply exchange
	wmu sync.Mutex // serializes Writes, so sendLast can write while a request waits
	rwc io.ReadWriteCloser
	br  *bufio.Reader // reads replies; its size bounds a PMI-1 reply line

	closed    atomic.Bool
	closeOnce sync.Once

	// Guarded by mu.
	codec     codec // PMI-2 starts with one PMI-1 line, then switches
	finalized bool
	broken    error // sticky: after an I/O or protocol error the stream is out of step
}

// codec is how one wire writes requests and reads replies.
type codec interface {
	// encode returns request cmd, with kv alternating keys and values, as
	// bytes to write. An argument that cannot be sent yields an error
	// wrapping ErrInvalid.
	encode(cmd string, kv []string) ([]byte, error)
	// read returns the next reply's bytes; the slice may be valid only
	// until the next read from br.
	read(br *bufio.Reader) ([]byte, error)
	// parse parses a reply read returned.
	parse(p []byte) (message, error)
	// needsRC reports whether a reply without rc is malformed. PMI-1
	// servers may leave rc out to mean success; PMI-2 replies carry it.
	needsRC() bool
	// rejected builds the error for a reply to request what with rc != 0,
	// from the explanation the wire's servers give.
	rejected(what string, rc int, m *message) error
}

// newConn returns a connection over rwc that reads through br (a reader of
// rwc, which may already hold bytes read from it) and starts with codec c.
func newConn(rwc io.ReadWriteCloser, br *bufio.Reader, c codec) *conn {
	return &conn{rwc: rwc, br: br, codec: c}
}

// call sends request cmd and reads its reply, which must be named want
// (and carry rc, where the wire needs it). It returns the reply and its rc;
// err covers only failures that leave the connection unusable (recorded as
// sticky) and arguments that cannot be sent. The caller holds c.mu.
func (c *conn) call(want, cmd string, kv ...string) (message, int, error) {
	m, err := c.exchange(cmd, cmd, kv)
	if err != nil {
		return message{}, 0, err
	}
	rc, err := c.check(want, cmd, &m)
	if err != nil {
		return message{}, 0, err
	}
	return m, rc, nil
}

// exchange sends request cmd and reads and parses one reply, whatever it
// is; what names the request in errors. The caller holds c.mu.
func (c *conn) exchange(what, cmd string, kv []string) (message, error) {
	if c.closed.Load() {
		return message{}, fmt.Errorf("pmi: %s: %w", what, ErrClosed)
	}
	if c.broken != nil {
		return message{}, c.broken
	}
	req, err := c.codec.encode(cmd, kv)
	if err != nil {
		return message{}, err
	}
	c.wmu.Lock()
	_, err = c.rwc.Write(req)
	c.wmu.Unlock()
	if err != nil {
		return message{}, c.fail(fmt.Errorf("pmi: %s: write: %w", what, err))
	}
	reply, err := c.codec.read(c.br)
	if err != nil {
		return message{}, c.fail(fmt.Errorf("pmi: %s: read reply: %w", what, err))
	}
	m, err := c.codec.parse(reply)
	if err != nil {
		return message{}, c.fail(fmt.Errorf("pmi: %s reply: %w", what, err))
	}
	return m, nil
}

// check checks that m, the reply to request cmd, is named want and has a
// well-formed rc, and returns the rc. The caller holds c.mu.
func (c *conn) check(want, cmd string, m *message) (int, error) {
	if m.cmd != want {
		return 0, c.fail(fmt.Errorf("%w: sent cmd=%s, expected cmd=%s, got cmd=%s", ErrProtocol, cmd, want, m.cmd))
	}
	if _, ok := m.get("rc"); !ok && c.codec.needsRC() {
		return 0, c.fail(fmt.Errorf("%w: %s without rc", ErrProtocol, want))
	}
	rc, err := m.rc()
	if err != nil {
		return 0, c.fail(fmt.Errorf("pmi: %s reply: %w", cmd, err))
	}
	return rc, nil
}

// request is call for the requests whose only failure reply is a
// rejection: a reply with rc != 0 yields the wire's ErrRejected error, with
// what naming the request. The caller holds c.mu.
func (c *conn) request(what, want, cmd string, kv ...string) (message, error) {
	m, rc, err := c.call(want, cmd, kv...)
	if err != nil {
		return message{}, err
	}
	if rc != 0 {
		return message{}, c.codec.rejected(what, rc, &m)
	}
	return m, nil
}

// fail records err as the connection's sticky failure and returns it. A
// failure caused by close is reported as ErrClosed. The caller holds c.mu.
func (c *conn) fail(err error) error {
	if c.closed.Load() && !errors.Is(err, ErrProtocol) {
		err = fmt.Errorf("%w (%v)", ErrClosed, err)
	}
	c.broken = err
	return err
}

// finalize sends finalize, whose reply is named want, once, and closes the
// connection whatever the answer. Later calls return nil.
func (c *conn) finalize(want string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.finalized {
		return nil
	}
	_, err := c.request("finalize", want, "finalize")
	if err == nil {
		c.finalized = true
	}
	if cerr := c.close(); err == nil && cerr != nil {
		err = fmt.Errorf("pmi: finalize: close: %w", cerr)
	}
	return err
}

// sendLast writes req, a request no reply follows (abort), and closes the
// connection. It does not wait for a request in flight, which then fails
// with ErrClosed; what names the request in errors.
func (c *conn) sendLast(what string, req []byte) error {
	c.wmu.Lock()
	if c.closed.Load() {
		c.wmu.Unlock()
		return fmt.Errorf("pmi: %s: %w", what, ErrClosed)
	}
	// Marked closed before the write: the server hangs up on receipt,
	// and a request in flight must then report ErrClosed, not EOF.
	c.closed.Store(true)
	_, err := c.rwc.Write(req)
	c.wmu.Unlock()
	cerr := c.close()
	if err != nil {
		return fmt.Errorf("pmi: %s: %w", what, err)
	}
	if cerr != nil {
		return fmt.Errorf("pmi: %s: close: %w", what, cerr)
	}
	return nil
}

// close closes the stream once; later calls return nil. A request in
// flight fails with ErrClosed.
func (c *conn) close() error {
	var err error
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		err = c.rwc.Close()
	})
	return err
}
