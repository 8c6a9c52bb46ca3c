package pmi

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// pmi2Client is a PMI-2 client: one rank's connection to a process manager
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
// Methods serialize and are safe for concurrent use; Close and Abort do not
// wait for a request in flight, so they can end a fence that will not
// complete. ConnectFromEnv returns one as an Endpoint.
type pmi2Client struct {
	conn *conn

	rank, size, appNum int
	jobID              string
	spawnerJobID       string
}

var (
	_ Endpoint = (*Client)(nil)
	_ Endpoint = (*pmi2Client)(nil)
)

// newPMI2Client runs the PMI-2 start-up over an already-connected stream:
// the init line, fullinit for rank (with jobID as pmijobid unless it is
// empty), and job-getid. On error it closes conn.
func newPMI2Client(conn io.ReadWriteCloser, jobID string, rank int) (*pmi2Client, error) {
	if err := checkPMI2Args(jobID, rank); err != nil {
		conn.Close()
		return nil, err
	}
	cn := newConn(conn, bufio.NewReaderSize(conn, maxReplyLen), lineCodec{})
	if err := initPMI2(cn); err != nil {
		cn.close()
		return nil, err
	}
	return startPMI2(cn, jobID, rank)
}

// checkPMI2Args checks a PMI-2 client's job id and rank before anything is
// sent.
func checkPMI2Args(jobID string, rank int) error {
	if rank < 0 {
		return fmt.Errorf("%w: rank %d", ErrInvalid, rank)
	}
	if jobID != "" && !validArg2(jobID) {
		return fmt.Errorf("%w: job id %q must be printable ASCII without spaces, '=' or ';'", ErrInvalid, jobID)
	}
	return nil
}

// pmi2InitRequest is the arguments of the PMI-1-style init line that
// starts a PMI-2 session. Exactly these, written at once: Slurm reads the
// line with a single read() of at most 64 bytes and scans it with sscanf.
var pmi2InitRequest = []string{"pmi_version", "2", "pmi_subversion", "0"}

// initPMI2 sends, over cn's line codec, the init line that starts a PMI-2
// session and reads the PMI-1-style answer.
func initPMI2(cn *conn) error {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	m, err := cn.exchange("PMI-2 init", "init", pmi2InitRequest)
	if err != nil {
		return err
	}
	rc, err := cn.check("response_to_init", "init", &m) // a PMI-1 line: a missing rc means success
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

// startPMI2 switches cn, whose init line the server has answered with
// pmi_version=2, to PMI-2 frames, and runs fullinit and job-getid. On
// error it closes cn.
func startPMI2(cn *conn, jobID string, rank int) (*pmi2Client, error) {
	c := &pmi2Client{conn: cn, rank: rank}
	if err := c.fullInit(jobID); err != nil {
		cn.close()
		return nil, err
	}
	return c, nil
}

// fullInit runs fullinit and job-getid and records what they tell.
func (c *pmi2Client) fullInit(jobID string) error {
	cn := c.conn
	cn.mu.Lock()
	defer cn.mu.Unlock()
	cn.codec = frameCodec{}
	kv := make([]string, 0, 6)
	if jobID != "" {
		kv = append(kv, "pmijobid", jobID)
	}
	kv = append(kv, "pmirank", strconv.Itoa(c.rank), "threaded", "FALSE")
	m, err := cn.request("fullinit", "fullinit-response", "fullinit", kv...)
	if err != nil {
		return err
	}
	if v, ok := m.get("pmi-version"); ok && v != "2" {
		return cn.fail(fmt.Errorf("%w: fullinit-response with pmi-version=%s", ErrProtocol, v))
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
			return cn.fail(err)
		}
		if ok {
			*f.dst = n
		}
	}
	switch {
	case size < 1 || rank < 0 || rank >= size:
		return cn.fail(fmt.Errorf("%w: fullinit-response gives rank %d of size %d", ErrProtocol, rank, size))
	case rank != c.rank:
		return cn.fail(fmt.Errorf("%w: fullinit for rank %d answered with rank %d", ErrProtocol, c.rank, rank))
	}
	c.size = size
	c.spawnerJobID, _ = m.get("spawner-jobid")

	m, err = cn.request("job-getid", "job-getid-response", "job-getid")
	if err != nil {
		return err
	}
	id, _ := m.get("jobid")
	if id == "" {
		return cn.fail(fmt.Errorf("%w: job-getid-response without jobid", ErrProtocol))
	}
	if !validArg2(id) {
		return cn.fail(fmt.Errorf("%w: job-getid-response: jobid %q cannot be sent back", ErrProtocol, id))
	}
	c.jobID = id
	return nil
}

// Rank returns this process's rank.
func (c *pmi2Client) Rank() int { return c.rank }

// Size returns the number of ranks in the job.
func (c *pmi2Client) Size() int { return c.size }

// AppNum returns this process's application number as fullinit gave it
// (-1 when the server does not say; Slurm always says -1).
func (c *pmi2Client) AppNum() int { return c.appNum }

// JobID returns the job id the server gave in its job-getid answer
// (Slurm: "<jobid>.<stepid>"; Hydra: its KVS name).
func (c *pmi2Client) JobID() string { return c.jobID }

// SpawnerJobID returns the job id of the job that spawned this one, or ""
// if this job was not spawned.
func (c *pmi2Client) SpawnerJobID() string { return c.spawnerJobID }

// Put stores key=value in the job's key-value space (kvs-put). Other ranks
// see it after the next Fence. Both must be non-empty printable ASCII
// without spaces (33..126), without ';' (neither Slurm nor MPICH undoes
// the PMI-2 escape for it) and, in the key, without '=', the key at most
// KeyLenMax and the value at most ValLenMax bytes; otherwise Put returns
// ErrInvalid without sending. These are the PMI-1 rules plus the ';' and
// '=' exclusions, so a program that works over one wire works over the
// other.
func (c *pmi2Client) Put(key, value string) error {
	if err := checkArg2("key", key, KeyLenMax); err != nil {
		return err
	}
	if strings.ContainsRune(key, '=') {
		return fmt.Errorf("%w: key must not contain '='", ErrInvalid)
	}
	if err := checkArg2("value", value, ValLenMax); err != nil {
		return err
	}
	c.conn.mu.Lock()
	defer c.conn.mu.Unlock()
	_, err := c.conn.request("kvs-put "+key, "kvs-put-response", "kvs-put", "key", key, "value", value)
	return err
}

// Get returns the value of key from the job's key-value space (kvs-get,
// naming this job and no particular source rank). It does not wait for the
// key to appear; an absent key yields ErrKeyNotFound.
func (c *pmi2Client) Get(key string) (string, error) {
	if err := checkArg2("key", key, KeyLenMax); err != nil {
		return "", err
	}
	return c.lookup("kvs-get-response", "kvs-get", key, "jobid", c.jobID, "srcid", "-1", "key", key)
}

// JobAttr returns a job attribute (info-getjobattr), such as
// PMI_process_mapping. An absent attribute yields ErrKeyNotFound.
func (c *pmi2Client) JobAttr(key string) (string, error) {
	if err := checkArg2("key", key, KeyLenMax); err != nil {
		return "", err
	}
	return c.lookup("info-getjobattr-response", "info-getjobattr", key, "key", key)
}

// lookup runs a request answered with found= and value=.
func (c *pmi2Client) lookup(want, cmd, key string, kv ...string) (string, error) {
	c.conn.mu.Lock()
	defer c.conn.mu.Unlock()
	m, err := c.conn.request(cmd+" "+key, want, cmd, kv...)
	if err != nil {
		return "", err
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
			return "", c.conn.fail(fmt.Errorf("%w: %s with found=%q", ErrProtocol, want, f))
		}
	}
	if !found {
		return "", fmt.Errorf("%w: %q", ErrKeyNotFound, key)
	}
	if !hasValue {
		return "", c.conn.fail(fmt.Errorf("%w: %s with found=TRUE but no value", ErrProtocol, want))
	}
	return v, nil
}

// Fence waits until every rank has entered the fence (kvs-fence). Values
// put before it by any rank are visible to all ranks after it. A fence the
// server cannot complete yields ErrRejected.
func (c *pmi2Client) Fence() error {
	c.conn.mu.Lock()
	defer c.conn.mu.Unlock()
	_, err := c.conn.request("kvs-fence", "kvs-fence-response", "kvs-fence")
	return err
}

// Barrier is Fence, under the PMI-1 name that Endpoint uses.
func (c *pmi2Client) Barrier() error { return c.Fence() }

// Finalize tells the server this rank is done with PMI (finalize /
// finalize-response) and closes the connection. Finalize is idempotent.
func (c *pmi2Client) Finalize() error { return c.conn.finalize("finalize-response") }

// Abort asks the process manager to end the whole job (isworld=TRUE) with
// exit code code. msg is sent as message= with every byte outside 32..126
// and every ';' replaced by '_' and cut to MaxLineLen bytes, or left out
// when empty. No reply comes; Abort closes the connection. It does not
// wait for a request in flight.
func (c *pmi2Client) Abort(code int, msg string) error {
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
	return c.conn.sendLast("abort", frame)
}

// Close closes the connection without finalize. A request in flight
// returns ErrClosed. Close is idempotent; later calls return nil.
func (c *pmi2Client) Close() error { return c.conn.close() }

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
