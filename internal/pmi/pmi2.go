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

// Client2 is a PMI-2 client: one rank's connection to a process manager
// that speaks the PMI-2 wire protocol, such as Slurm's pmi2 plugin
// (srun --mpi=pmi2) or MPICH's Hydra.
//
// # The protocol
//
// The client first sends the PMI-1-style line
// `cmd=init pmi_version=2 pmi_subversion=0` and reads the server's
// `cmd=response_to_init ... pmi_version=2` line. From then on every message
// is a six-byte decimal length and a payload of ';'-terminated pairs:
//
//	    54cmd=fullinit;pmijobid=1234.0;pmirank=0;threaded=FALSE;
//	114   cmd=fullinit-response;rc=0;pmi-version=2;pmi-subversion=0;rank=0;size=4;appnum=-1;debugged=FALSE;pmiverbose=FALSE;
//
// (MPICH pads the length on the left, Slurm on the right.)
//
// fullinit carries pmijobid (from PMI_JOBID, left out when that is unset),
// pmirank and threaded=FALSE: Slurm refuses a fullinit without all three,
// while Hydra reads only pmirank. Its reply gives rank, size, appnum and,
// for a spawned job, spawner-jobid; debugged and pmiverbose are read past.
// The client then asks for its job id (job-getid), which it names in each
// kvs-get, as MPICH's own client does. Puts (kvs-put) become visible to
// other ranks after the collective kvs-fence; kvs-get answers found=FALSE
// for an absent key. A rank ends with finalize, or abort with isworld=TRUE,
// which makes Slurm kill the job step.
//
// # Strictness
//
// Every reply must carry rc; a reply without it, with a length field that
// is not a number, longer than MaxFrameLen, cut short, or with a byte
// outside printable ASCII is a protocol error (ErrProtocol, or an error
// wrapping io.ErrUnexpectedEOF), after which the connection is unusable.
// Replies may carry keys the client does not know (thrid, errmsg), in any
// order. ";;" in a reply value is read as ';', the escape of the original
// PMI-2 protocol; since neither Slurm nor today's MPICH undoes that escape
// in requests, the client never sends a ';' (see Put).
//
// Requests are written with a single Write each and never pipelined.
// Methods serialize on a mutex and are safe for concurrent use; Close and
// Abort do not wait for a request in flight, so they can end a fence that
// will not complete.
type Client2 struct {
	mu   sync.Mutex // held for a whole request/reply exchange
	wmu  sync.Mutex // serializes Writes, so Abort can send while a request waits
	conn io.ReadWriteCloser
	br   *bufio.Reader

	rank, size, appNum int
	jobID              string
	spawnerJobID       string

	closed    atomic.Bool
	closeOnce sync.Once

	// Guarded by mu.
	finalized bool
	broken    error // sticky: after an I/O or protocol error the stream is out of step
}

var (
	_ Endpoint = (*Client)(nil)
	_ Endpoint = (*Client2)(nil)
)

// NewClient2 runs the PMI-2 start-up over an already-connected stream: the
// init line, fullinit for rank (with jobID as pmijobid unless it is empty),
// and job-getid. On error it closes conn.
func NewClient2(conn io.ReadWriteCloser, jobID string, rank int) (*Client2, error) {
	return newClient2(conn, bufio.NewReaderSize(conn, maxReplyLen), jobID, rank, false)
}

// newClient2 is NewClient2 with a reader that may already hold bytes read
// from conn. With initDone the init line has been exchanged already (the
// server answered a PMI-1 init with pmi_version=2; see ConnectFromEnv).
func newClient2(conn io.ReadWriteCloser, br *bufio.Reader, jobID string, rank int, initDone bool) (*Client2, error) {
	if rank < 0 {
		conn.Close()
		return nil, fmt.Errorf("%w: rank %d", ErrInvalid, rank)
	}
	if jobID != "" && !validArg2(jobID) {
		conn.Close()
		return nil, fmt.Errorf("%w: job id %q must be printable ASCII without spaces, '=' or ';'", ErrInvalid, jobID)
	}
	c := &Client2{conn: conn, br: br, rank: rank}
	var err error
	if !initDone {
		err = c.initLine()
	}
	if err == nil {
		err = c.fullInit(jobID)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// initLine sends the PMI-1-style init that starts a PMI-2 session and reads
// the PMI-1-style answer.
func (c *Client2) initLine() error {
	// Exactly this line, written at once: Slurm reads it with a single
	// read() of at most 64 bytes and scans it with sscanf.
	const line = "cmd=init pmi_version=2 pmi_subversion=0\n"
	if _, err := c.conn.Write([]byte(line)); err != nil {
		return fmt.Errorf("pmi: PMI-2 init: write: %w", err)
	}
	reply, err := readLine(c.br)
	if err != nil {
		return fmt.Errorf("pmi: PMI-2 init: read reply: %w", err)
	}
	m, err := parseLine(reply)
	if err != nil {
		return fmt.Errorf("pmi: PMI-2 init reply: %w", err)
	}
	if m.cmd != "response_to_init" {
		return fmt.Errorf("%w: sent cmd=init, expected cmd=response_to_init, got cmd=%s", ErrProtocol, m.cmd)
	}
	rc, err := m.rc() // a PMI-1 line: a missing rc means success
	if err != nil {
		return err
	}
	v, _ := m.get("pmi_version")
	if rc != 0 {
		return fmt.Errorf("%w: init: server refused PMI-2 (rc=%d, it speaks pmi_version=%s)", ErrRejected, rc, v)
	}
	if v != "2" {
		return fmt.Errorf("%w: server answered a PMI-2 init with pmi_version=%q", ErrProtocol, v)
	}
	return nil
}

// fullInit runs fullinit and job-getid and records what they tell.
func (c *Client2) fullInit(jobID string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	kv := make([]string, 0, 6)
	if jobID != "" {
		kv = append(kv, "pmijobid", jobID)
	}
	kv = append(kv, "pmirank", strconv.Itoa(c.rank), "threaded", "FALSE")
	m, rc, err := c.call("fullinit-response", "fullinit", kv...)
	if err != nil {
		return err
	}
	if rc != 0 {
		return rejected2("fullinit", rc, &m)
	}
	if v, ok := m.get("pmi-version"); ok && v != "2" {
		return c.fail(fmt.Errorf("%w: fullinit-response with pmi-version=%s", ErrProtocol, v))
	}
	rank, size := -1, -1
	c.appNum = -1
	for _, f := range []struct {
		key      string
		dst      *int
		required bool
	}{{"rank", &rank, true}, {"size", &size, true}, {"appnum", &c.appNum, false}} {
		n, ok, err := m.getInt(f.key)
		if err == nil && !ok && f.required {
			err = fmt.Errorf("%w: fullinit-response without %s", ErrProtocol, f.key)
		}
		if err != nil {
			return c.fail(err)
		}
		if ok {
			*f.dst = n
		}
	}
	switch {
	case size < 1 || rank < 0 || rank >= size:
		return c.fail(fmt.Errorf("%w: fullinit-response gives rank %d of size %d", ErrProtocol, rank, size))
	case rank != c.rank:
		return c.fail(fmt.Errorf("%w: fullinit for rank %d answered with rank %d", ErrProtocol, c.rank, rank))
	}
	c.size = size
	c.spawnerJobID, _ = m.get("spawner-jobid")

	m, rc, err = c.call("job-getid-response", "job-getid")
	if err != nil {
		return err
	}
	if rc != 0 {
		return rejected2("job-getid", rc, &m)
	}
	id, _ := m.get("jobid")
	if id == "" {
		return c.fail(fmt.Errorf("%w: job-getid-response without jobid", ErrProtocol))
	}
	if !validArg2(id) {
		return c.fail(fmt.Errorf("%w: job-getid-response: jobid %q cannot be sent back", ErrProtocol, id))
	}
	c.jobID = id
	return nil
}

// Rank returns this process's rank.
func (c *Client2) Rank() int { return c.rank }

// Size returns the number of ranks in the job.
func (c *Client2) Size() int { return c.size }

// AppNum returns this process's application number as fullinit gave it
// (-1 when the server does not say; Slurm always says -1).
func (c *Client2) AppNum() int { return c.appNum }

// JobID returns the job id the server gave in its job-getid answer
// (Slurm: "<jobid>.<stepid>"; Hydra: its KVS name).
func (c *Client2) JobID() string { return c.jobID }

// SpawnerJobID returns the job id of the job that spawned this one, or ""
// if this job was not spawned.
func (c *Client2) SpawnerJobID() string { return c.spawnerJobID }

// Put stores key=value in the job's key-value space (kvs-put). Other ranks
// see it after the next Fence. Both must be non-empty printable ASCII
// without spaces (33..126), without ';' (neither Slurm nor MPICH undoes
// the PMI-2 escape for it) and, in the key, without '=', the key at most
// KeyLenMax and the value at most ValLenMax bytes; otherwise Put returns
// ErrInvalid without sending. These are the PMI-1 rules plus the ';' and
// '=' exclusions, so a program that works over one wire works over the
// other.
func (c *Client2) Put(key, value string) error {
	if err := checkArg2("key", key, KeyLenMax); err != nil {
		return err
	}
	if strings.ContainsRune(key, '=') {
		return fmt.Errorf("%w: key must not contain '='", ErrInvalid)
	}
	if err := checkArg2("value", value, ValLenMax); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	m, rc, err := c.call("kvs-put-response", "kvs-put", "key", key, "value", value)
	if err != nil {
		return err
	}
	if rc != 0 {
		return rejected2("kvs-put "+key, rc, &m)
	}
	return nil
}

// Get returns the value of key from the job's key-value space (kvs-get,
// naming this job and no particular source rank). It does not wait for the
// key to appear; an absent key yields ErrKeyNotFound.
func (c *Client2) Get(key string) (string, error) {
	if err := checkArg2("key", key, KeyLenMax); err != nil {
		return "", err
	}
	return c.lookup("kvs-get-response", "kvs-get", key, "jobid", c.jobID, "srcid", "-1", "key", key)
}

// JobAttr returns a job attribute (info-getjobattr), such as
// PMI_process_mapping. An absent attribute yields ErrKeyNotFound.
func (c *Client2) JobAttr(key string) (string, error) {
	if err := checkArg2("key", key, KeyLenMax); err != nil {
		return "", err
	}
	return c.lookup("info-getjobattr-response", "info-getjobattr", key, "key", key)
}

// lookup runs a request answered with found= and value=.
func (c *Client2) lookup(want, cmd, key string, kv ...string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, rc, err := c.call(want, cmd, kv...)
	if err != nil {
		return "", err
	}
	if rc != 0 {
		return "", rejected2(cmd+" "+key, rc, &m)
	}
	v, hasValue := m.get("value")
	found := hasValue
	if f, ok := m.get("found"); ok {
		switch f {
		case "TRUE", "true":
			found = true
		case "FALSE", "false":
			found = false
		default:
			return "", c.fail(fmt.Errorf("%w: %s with found=%q", ErrProtocol, want, f))
		}
	}
	if !found {
		return "", fmt.Errorf("%w: %q", ErrKeyNotFound, key)
	}
	if !hasValue {
		return "", c.fail(fmt.Errorf("%w: %s with found=TRUE but no value", ErrProtocol, want))
	}
	return v, nil
}

// Fence waits until every rank has entered the fence (kvs-fence). Values
// put before it by any rank are visible to all ranks after it. A fence the
// server cannot complete yields ErrRejected.
func (c *Client2) Fence() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, rc, err := c.call("kvs-fence-response", "kvs-fence")
	if err != nil {
		return err
	}
	if rc != 0 {
		return rejected2("kvs-fence", rc, &m)
	}
	return nil
}

// Barrier is Fence, under the PMI-1 name that Endpoint uses.
func (c *Client2) Barrier() error { return c.Fence() }

// Finalize tells the server this rank is done with PMI (finalize /
// finalize-response) and closes the connection. Finalize is idempotent.
func (c *Client2) Finalize() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.finalized {
		return nil
	}
	m, rc, err := c.call("finalize-response", "finalize")
	if err == nil && rc != 0 {
		err = rejected2("finalize", rc, &m)
	}
	if err == nil {
		c.finalized = true
	}
	if cerr := c.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("pmi: finalize: close: %w", cerr)
	}
	return err
}

// Abort asks the process manager to end the whole job (isworld=TRUE) with
// exit code code. msg is sent as message= with every byte outside 32..126
// and every ';' replaced by '_' and cut to MaxLineLen bytes, or left out
// when empty. No reply comes; Abort closes the connection. It does not
// wait for a request in flight.
func (c *Client2) Abort(code int, msg string) error {
	kv := []string{"isworld", "TRUE", "exitcode", strconv.Itoa(code)}
	if msg != "" {
		clean := []byte(msg[:min(len(msg), MaxLineLen)])
		for i, ch := range clean {
			if ch < ' ' || ch > '~' || ch == ';' {
				clean[i] = '_'
			}
		}
		kv = append(kv, "message", string(clean))
	}
	frame, err := encodeFrame("abort", kv...)
	if err != nil {
		return fmt.Errorf("pmi: abort: %w", err) // cannot happen: every value is clean
	}
	c.wmu.Lock()
	if c.closed.Load() {
		c.wmu.Unlock()
		return fmt.Errorf("pmi: abort: %w", ErrClosed)
	}
	// Marked closed before the write: the server may hang up on receipt,
	// and a request in flight must then report ErrClosed, not EOF.
	c.closed.Store(true)
	_, err = c.conn.Write(frame)
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

// Close closes the connection without finalize. A request in flight
// returns ErrClosed. Close is idempotent; later calls return nil.
func (c *Client2) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		err = c.conn.Close()
	})
	return err
}

// call sends one PMI-2 request and reads its reply, which must be named
// want and carry rc. It returns the reply and its rc; err covers only
// failures that leave the connection unusable (recorded as sticky) and
// arguments that cannot be sent. The caller holds c.mu.
func (c *Client2) call(want, cmd string, kv ...string) (message, int, error) {
	if c.closed.Load() {
		return message{}, 0, fmt.Errorf("pmi: %s: %w", cmd, ErrClosed)
	}
	if c.broken != nil {
		return message{}, 0, c.broken
	}
	frame, err := encodeFrame(cmd, kv...)
	if err != nil {
		return message{}, 0, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	c.wmu.Lock()
	_, err = c.conn.Write(frame)
	c.wmu.Unlock()
	if err != nil {
		return message{}, 0, c.fail(fmt.Errorf("pmi: %s: write: %w", cmd, err))
	}
	payload, err := readFrame(c.br, MaxFrameLen)
	if err != nil {
		return message{}, 0, c.fail(fmt.Errorf("pmi: %s: read reply: %w", cmd, err))
	}
	m, err := parseFrame(payload)
	if err != nil {
		return message{}, 0, c.fail(fmt.Errorf("pmi: %s reply: %w", cmd, err))
	}
	if m.cmd != want {
		return message{}, 0, c.fail(fmt.Errorf("%w: sent cmd=%s, expected cmd=%s, got cmd=%s", ErrProtocol, cmd, want, m.cmd))
	}
	if _, ok := m.get("rc"); !ok {
		return message{}, 0, c.fail(fmt.Errorf("%w: %s without rc", ErrProtocol, want))
	}
	rc, err := m.rc()
	if err != nil {
		return message{}, 0, c.fail(fmt.Errorf("pmi: %s reply: %w", cmd, err))
	}
	return m, rc, nil
}

// fail records err as the connection's sticky failure and returns it. A
// failure caused by Close is reported as ErrClosed.
func (c *Client2) fail(err error) error {
	if c.closed.Load() && !errors.Is(err, ErrProtocol) {
		err = fmt.Errorf("%w (%v)", ErrClosed, err)
	}
	c.broken = err
	return err
}

// validArg2 reports whether s can be sent as a PMI-2 key or value to every
// server: printable ASCII without spaces (the PMI-1 rule) and without ';',
// which only the original PMI-2 code could escape.
func validArg2(s string) bool {
	return validValue(s) && !strings.ContainsRune(s, ';')
}

// checkArg2 validates a key or value before it is put on the PMI-2 wire.
func checkArg2(what, s string, maxLen int) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: empty %s", ErrInvalid, what)
	case len(s) > maxLen:
		return fmt.Errorf("%w: %s is %d bytes, limit %d", ErrInvalid, what, len(s), maxLen)
	case !validArg2(s):
		return fmt.Errorf("%w: %s must be printable ASCII without spaces or ';' (33..126)", ErrInvalid, what)
	}
	return nil
}

// rejected2 builds the error for a PMI-2 reply with rc!=0. PMI-2 servers
// explain in errmsg; some also use msg.
func rejected2(what string, rc int, m *message) error {
	msg, _ := m.get("errmsg")
	if msg == "" {
		msg, _ = m.get("msg")
	}
	return fmt.Errorf("%w: %s: rc=%d errmsg=%s", ErrRejected, what, rc, msg)
}
