package pmi

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Client is a PMI-1 client: one rank's connection to its process manager
// (spmdrun's Server, MPICH's Hydra, or Slurm's pmi2 plugin).
//
// PMI-1 is lock-step, one request in flight per connection, so methods
// serialize; they are safe for concurrent use. Close and Abort do not wait
// for a request in flight: they are how a caller gets out of a barrier
// that will not complete.
//
// To suit the strictest server (Slurm reads each request with one read()
// of at most 1024 bytes), every request is written with a single Write,
// never pipelined, and kept shorter than MaxLineLen bytes.
type Client struct {
	conn *conn

	rank, size     int
	kvsName        string
	keyMax, valMax int
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
	if err := checkRankSize(rank, size); err != nil {
		conn.Close()
		return nil, err
	}
	return startPMI1(newConn(conn, br, lineCodec{}), rank, size, nil)
}

// checkRankSize checks a PMI-1 client's rank and size before anything is
// sent.
func checkRankSize(rank, size int) error {
	if size < 1 || rank < 0 || rank >= size {
		return fmt.Errorf("%w: rank %d of size %d", ErrInvalid, rank, size)
	}
	return nil
}

// startPMI1 runs the PMI-1 init exchange on cn, a new connection with the
// line codec, and returns the client. initReply, if not nil, is the
// server's answer to an init request already sent (see negotiate). On
// error it closes cn.
func startPMI1(cn *conn, rank, size int, initReply *message) (*Client, error) {
	c := &Client{
		conn:   cn,
		rank:   rank,
		size:   size,
		keyMax: KeyLenMax,
		valMax: ValLenMax,
	}
	if err := c.init(initReply); err != nil {
		cn.close()
		return nil, err
	}
	return c, nil
}

// initRequest is the PMI-1 init request's arguments. Exactly these: Slurm
// accepts only 1.1 (or 2.0) and reads this first request with a single
// read() of under 64 bytes.
var initRequest = []string{"pmi_version", "1", "pmi_subversion", "1"}

// init performs the exchange MPICH's PMI_Init does, plus get_my_kvsname.
// reply, if not nil, is the answer to an init request already sent.
func (c *Client) init(reply *message) error {
	cn := c.conn
	cn.mu.Lock()
	defer cn.mu.Unlock()
	if reply == nil {
		m, err := cn.exchange("init", "init", initRequest)
		if err != nil {
			return err
		}
		reply = &m
	}
	rc, err := cn.check("response_to_init", "init", reply)
	if err != nil {
		return err
	}
	if rc != 0 {
		return cn.codec.rejected("init", rc, reply)
	}
	if v, ok := reply.get("pmi_version"); ok && v != "1" {
		return cn.fail(fmt.Errorf("%w: server answered init with pmi_version=%s", ErrProtocol, v))
	}

	m, err := cn.request("get_maxes", "maxes", "get_maxes")
	if err != nil {
		return err
	}
	for _, lim := range []struct {
		key string
		dst *int
	}{{"keylen_max", &c.keyMax}, {"vallen_max", &c.valMax}} {
		n, ok, err := m.getInt(lim.key)
		if err != nil {
			return cn.fail(err)
		}
		if ok {
			if n < 1 {
				return cn.fail(fmt.Errorf("%w: %s=%d", ErrProtocol, lim.key, n))
			}
			*lim.dst = n
		}
	}

	m, err = cn.request("get_my_kvsname", "my_kvsname", "get_my_kvsname")
	if err != nil {
		return err
	}
	name, _ := m.get("kvsname")
	if name == "" {
		return cn.fail(fmt.Errorf("%w: my_kvsname reply without kvsname", ErrProtocol))
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
	c.conn.mu.Lock()
	defer c.conn.mu.Unlock()
	_, err := c.conn.request("put "+key, "put_result", "put", "kvsname", c.kvsName, "key", key, "value", value)
	return err
}

// Get returns the value of key: a job attribute (PMI_process_mapping,
// universeSize) or a value put by this rank or, before the last Barrier,
// by any rank. It does not wait for the key to appear; an absent key
// yields ErrKeyNotFound.
func (c *Client) Get(key string) (string, error) {
	if err := checkArg("key", key, c.keyMax); err != nil {
		return "", err
	}
	c.conn.mu.Lock()
	defer c.conn.mu.Unlock()
	m, rc, err := c.conn.call("get_result", "get", "kvsname", c.kvsName, "key", key)
	if err != nil {
		return "", err
	}
	if rc != 0 {
		// Hydra says msg=key_not_found; other servers may send only a
		// non-zero rc, which for get means the same.
		if msg, ok := m.get("msg"); !ok || strings.Contains(msg, "not_found") {
			return "", fmt.Errorf("%w: %q", ErrKeyNotFound, key)
		}
		return "", c.conn.codec.rejected("get "+key, rc, &m)
	}
	v, ok := m.get("value")
	if !ok {
		return "", c.conn.fail(fmt.Errorf("%w: get_result without value", ErrProtocol))
	}
	return v, nil
}

// Barrier waits until every rank has entered the barrier. Values put
// before it by any rank are visible to all ranks after it. A barrier the
// server cannot complete (a rank has disconnected) yields ErrRejected.
func (c *Client) Barrier() error {
	c.conn.mu.Lock()
	defer c.conn.mu.Unlock()
	_, err := c.conn.request("barrier", "barrier_out", "barrier_in")
	return err
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
	c.conn.mu.Lock()
	defer c.conn.mu.Unlock()
	m, err := c.conn.request(cmd, want, cmd)
	if err != nil {
		return 0, err
	}
	n, ok, err := m.getInt(key)
	if err == nil && !ok {
		err = fmt.Errorf("%w: %s reply without %s", ErrProtocol, want, key)
	}
	if err != nil {
		return 0, c.conn.fail(err)
	}
	return n, nil
}

// Finalize tells the server this rank is done with PMI (finalize /
// finalize_ack) and closes the connection. Under Hydra a rank whose PMI
// connection closes without it is taken as failed and the job is killed,
// so call it before exiting. Finalize is idempotent.
func (c *Client) Finalize() error { return c.conn.finalize("finalize_ack") }

// Abort asks the process manager to kill the job with exit code code.
// msg is sent as `message=` with every byte outside 33..126 replaced by
// '_' and cut to fit the line, or left out when empty. No reply comes;
// Abort closes the connection. It does not wait for a request in flight.
func (c *Client) Abort(code int, msg string) error {
	return c.conn.sendLast("abort", abortLine(code, msg))
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
func (c *Client) Close() error { return c.conn.close() }

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
