package pmi

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Client is a PMI-1 client: one rank's connection to its process manager
// (spmdrun's Server, MPICH's Hydra, or Slurm's pmi2 plugin).
//
// PMI-1 is lock-step, one request in flight per connection, so methods
// serialize on a mutex; they are safe for concurrent use. Close and Abort
// do not wait for a request in flight: they are how a caller gets out of a
// barrier that will not complete.
//
// To suit the strictest server (Slurm reads each request with one read()
// of at most 1024 bytes), every request is written with a single Write,
// never pipelined, and kept shorter than MaxLineLen bytes.
type Client struct {
	mu   sync.Mutex // held for a whole request/reply exchange
	wmu  sync.Mutex // serializes Writes, so Abort can send while a request waits
	conn io.ReadWriteCloser
	br   *bufio.Reader // reads replies; bounded by maxReplyLen

	rank, size     int
	kvsName        string
	keyMax, valMax int

	closed    atomic.Bool
	closeOnce sync.Once

	// Guarded by mu.
	finalized bool
	broken    error // sticky: after an I/O or protocol error the stream is out of step
}

// NewClient runs the PMI-1 init exchange (init, get_maxes, get_my_kvsname)
// over an already-connected stream for the given rank of a job of size
// ranks. On error it closes conn.
func NewClient(conn io.ReadWriteCloser, rank, size int) (*Client, error) {
	return newClient(conn, bufio.NewReaderSize(conn, maxReplyLen), rank, size)
}

// newClient is NewClient with a reader that may already hold bytes read
// from conn (the PMI_PORT handshake reads through it first).
func newClient(conn io.ReadWriteCloser, br *bufio.Reader, rank, size int) (*Client, error) {
	if size < 1 || rank < 0 || rank >= size {
		conn.Close()
		return nil, fmt.Errorf("%w: rank %d of size %d", ErrInvalid, rank, size)
	}
	c := &Client{
		conn:   conn,
		br:     br,
		rank:   rank,
		size:   size,
		keyMax: KeyLenMax,
		valMax: ValLenMax,
	}
	if err := c.init(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// init performs the exchange MPICH's PMI_Init does, plus get_my_kvsname.
func (c *Client) init() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Exactly this line: Slurm accepts only 1.1 (or 2.0) and reads this
	// first request with a single read() of under 64 bytes.
	m, rc, err := c.call("response_to_init", "init", "pmi_version", "1", "pmi_subversion", "1")
	if err != nil {
		return err
	}
	if rc != 0 {
		return rejected("init", rc, &m)
	}
	if v, ok := m.get("pmi_version"); ok && v != "1" {
		return c.fail(fmt.Errorf("%w: server answered init with pmi_version=%s", ErrProtocol, v))
	}

	m, rc, err = c.call("maxes", "get_maxes")
	if err != nil {
		return err
	}
	if rc != 0 {
		return rejected("get_maxes", rc, &m)
	}
	for _, lim := range []struct {
		key string
		dst *int
	}{{"keylen_max", &c.keyMax}, {"vallen_max", &c.valMax}} {
		n, ok, err := m.getInt(lim.key)
		if err != nil {
			return c.fail(err)
		}
		if ok {
			if n < 1 {
				return c.fail(fmt.Errorf("%w: %s=%d", ErrProtocol, lim.key, n))
			}
			*lim.dst = n
		}
	}

	m, rc, err = c.call("my_kvsname", "get_my_kvsname")
	if err != nil {
		return err
	}
	if rc != 0 {
		return rejected("get_my_kvsname", rc, &m)
	}
	name, _ := m.get("kvsname")
	if name == "" {
		return c.fail(fmt.Errorf("%w: my_kvsname reply without kvsname", ErrProtocol))
	}
	c.kvsName = name
	return nil
}

// Rank returns this process's rank.
func (c *Client) Rank() int { return c.rank }

// Size returns the number of ranks in the job.
func (c *Client) Size() int { return c.size }

// KVSName returns the name of the job's key-value space.
func (c *Client) KVSName() string { return c.kvsName }

// Put stores key=value in the job's key-value space. Other ranks see it
// after the next Barrier. Both must be non-empty printable ASCII without
// spaces (33..126), the key at most keylen_max and the value at most
// vallen_max bytes (as the server announced), and the request line shorter
// than MaxLineLen; otherwise Put returns ErrInvalid without sending. A
// duplicate or reserved (PMI_) key yields ErrRejected.
func (c *Client) Put(key, value string) error {
	if err := checkArg("key", key, c.keyMax); err != nil {
		return err
	}
	if err := checkArg("value", value, c.valMax); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	m, rc, err := c.call("put_result", "put", "kvsname", c.kvsName, "key", key, "value", value)
	if err != nil {
		return err
	}
	if rc != 0 {
		return rejected("put "+key, rc, &m)
	}
	return nil
}

// Get returns the value of key: a job attribute (PMI_process_mapping,
// universeSize) or a value put by this rank or, before the last Barrier,
// by any rank. It does not wait for the key to appear; an absent key
// yields ErrKeyNotFound.
func (c *Client) Get(key string) (string, error) {
	if err := checkArg("key", key, c.keyMax); err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	m, rc, err := c.call("get_result", "get", "kvsname", c.kvsName, "key", key)
	if err != nil {
		return "", err
	}
	if rc != 0 {
		// Hydra says msg=key_not_found; other servers may send only a
		// non-zero rc, which for get means the same.
		if msg, ok := m.get("msg"); !ok || strings.Contains(msg, "not_found") {
			return "", fmt.Errorf("%w: %q", ErrKeyNotFound, key)
		}
		return "", rejected("get "+key, rc, &m)
	}
	v, ok := m.get("value")
	if !ok {
		return "", c.fail(fmt.Errorf("%w: get_result without value", ErrProtocol))
	}
	return v, nil
}

// Barrier waits until every rank has entered the barrier. Values put
// before it by any rank are visible to all ranks after it. A barrier the
// server cannot complete (a rank has disconnected) yields ErrRejected.
func (c *Client) Barrier() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, rc, err := c.call("barrier_out", "barrier_in")
	if err != nil {
		return err
	}
	if rc != 0 {
		return rejected("barrier", rc, &m)
	}
	return nil
}

// UniverseSize returns the universe size the server announces.
func (c *Client) UniverseSize() (int, error) {
	return c.intQuery("universe_size", "get_universe_size", "size")
}

// AppNum returns this process's application number (its index among the
// executables of an MPMD launch; Slurm always answers -1).
func (c *Client) AppNum() (int, error) {
	return c.intQuery("appnum", "get_appnum", "appnum")
}

func (c *Client) intQuery(want, cmd, key string) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, rc, err := c.call(want, cmd)
	if err != nil {
		return 0, err
	}
	if rc != 0 {
		return 0, rejected(cmd, rc, &m)
	}
	n, ok, err := m.getInt(key)
	if err == nil && !ok {
		err = fmt.Errorf("%w: %s reply without %s", ErrProtocol, want, key)
	}
	if err != nil {
		return 0, c.fail(err)
	}
	return n, nil
}

// Finalize tells the server this rank is done with PMI (finalize /
// finalize_ack) and closes the connection. Under Hydra a rank whose PMI
// connection closes without it is taken as failed and the job is killed,
// so call it before exiting. Finalize is idempotent.
func (c *Client) Finalize() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.finalized {
		return nil
	}
	m, rc, err := c.call("finalize_ack", "finalize")
	if err == nil && rc != 0 {
		err = rejected("finalize", rc, &m)
	}
	if err == nil {
		c.finalized = true
	}
	if cerr := c.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("pmi: finalize: close: %w", cerr)
	}
	return err
}

// Abort asks the process manager to kill the job with exit code code.
// msg is sent as `message=` with every byte outside 33..126 replaced by
// '_' and cut to fit the line, or left out when empty. No reply comes;
// Abort closes the connection. It does not wait for a request in flight.
func (c *Client) Abort(code int, msg string) error {
	c.wmu.Lock()
	if c.closed.Load() {
		c.wmu.Unlock()
		return fmt.Errorf("pmi: abort: %w", ErrClosed)
	}
	// Marked closed before the write: the server hangs up on receipt,
	// and a request in flight must then report ErrClosed, not EOF.
	c.closed.Store(true)
	_, err := c.conn.Write(abortLine(code, msg))
	c.wmu.Unlock()
	cerr := c.Close()
	if err != nil {
		return fmt.Errorf("pmi: abort: %w", err)
	}
	if cerr != nil {
		return fmt.Errorf("pmi: abort: close: %w", cerr)
	}
	return nil
}

// abortLine builds `cmd=abort exitcode=N [message=M]\n` below MaxLineLen.
func abortLine(code int, msg string) []byte {
	b := []byte("cmd=abort exitcode=" + strconv.Itoa(code))
	if msg != "" {
		clean := []byte(msg)
		for i, ch := range clean {
			if ch < '!' || ch > '~' {
				clean[i] = '_'
			}
		}
		const prefix = " message="
		if room := MaxLineLen - 1 - len(b) - len(prefix) - 1; room > 0 {
			b = append(b, prefix...)
			b = append(b, clean[:min(len(clean), room)]...)
		}
	}
	return append(b, '\n')
}

// Close closes the connection without finalize; Hydra treats that as the
// rank's failure. A request in flight returns ErrClosed. Close is
// idempotent; later calls return nil.
func (c *Client) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		err = c.conn.Close()
	})
	return err
}

// call sends one request and reads its reply, which must be named want. It
// returns the reply and its rc; err covers only failures that leave the
// connection unusable (recorded as sticky) and arguments that cannot be
// sent. The caller holds c.mu.
func (c *Client) call(want, cmd string, kv ...string) (message, int, error) {
	if c.closed.Load() {
		return message{}, 0, fmt.Errorf("pmi: %s: %w", cmd, ErrClosed)
	}
	if c.broken != nil {
		return message{}, 0, c.broken
	}
	line, err := encodeLine(cmd, kv...)
	if err != nil {
		return message{}, 0, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if len(line) >= MaxLineLen {
		return message{}, 0, fmt.Errorf("%w: %s request would be %d bytes; PMI-1 lines must be shorter than %d",
			ErrInvalid, cmd, len(line), MaxLineLen)
	}
	c.wmu.Lock()
	_, err = c.conn.Write(line)
	c.wmu.Unlock()
	if err != nil {
		return message{}, 0, c.fail(fmt.Errorf("pmi: %s: write: %w", cmd, err))
	}
	reply, err := readLine(c.br)
	if err != nil {
		return message{}, 0, c.fail(fmt.Errorf("pmi: %s: read reply: %w", cmd, err))
	}
	m, err := parseLine(reply)
	if err != nil {
		return message{}, 0, c.fail(fmt.Errorf("pmi: %s reply: %w", cmd, err))
	}
	if m.cmd != want {
		return message{}, 0, c.fail(fmt.Errorf("%w: sent cmd=%s, expected cmd=%s, got cmd=%s", ErrProtocol, cmd, want, m.cmd))
	}
	rc, err := m.rc()
	if err != nil {
		return message{}, 0, c.fail(fmt.Errorf("pmi: %s reply: %w", cmd, err))
	}
	return m, rc, nil
}

// fail records err as the connection's sticky failure and returns it. A
// failure caused by Close is reported as ErrClosed.
func (c *Client) fail(err error) error {
	if c.closed.Load() && !errors.Is(err, ErrProtocol) {
		err = fmt.Errorf("%w (%v)", ErrClosed, err)
	}
	c.broken = err
	return err
}

// checkArg validates a key or value before it is put on the wire.
func checkArg(what, s string, maxLen int) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: empty %s", ErrInvalid, what)
	case len(s) > maxLen:
		return fmt.Errorf("%w: %s is %d bytes, limit %d", ErrInvalid, what, len(s), maxLen)
	case !validValue(s):
		return fmt.Errorf("%w: %s must be printable ASCII without spaces (33..126)", ErrInvalid, what)
	}
	return nil
}

// rejected builds the error for a reply with rc!=0.
func rejected(what string, rc int, m *message) error {
	msg, _ := m.get("msg")
	if msg == "" {
		msg, _ = m.get("errmsg")
	}
	return fmt.Errorf("%w: %s: rc=%d msg=%s", ErrRejected, what, rc, msg)
}
