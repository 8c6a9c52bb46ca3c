package pmi

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"
)

// Environment variables of the PMI-1 launch protocol.
const (
	// EnvFD names an inherited, connected stream socket to the server.
	EnvFD = "PMI_FD"
	// EnvRank is the process's rank (with PMI_FD).
	EnvRank = "PMI_RANK"
	// EnvSize is the number of ranks (with PMI_FD).
	EnvSize = "PMI_SIZE"
	// EnvPort is the server's "host:port" in PMI_PORT mode.
	EnvPort = "PMI_PORT"
	// EnvID is the identifier a PMI_PORT client sends in its initack.
	EnvID = "PMI_ID"
	// EnvJobID is the job id Slurm gives a task (with PMI_FD), which a
	// PMI-2 client sends as pmijobid in fullinit.
	EnvJobID = "PMI_JOBID"
)

// Endpoint is one rank's connection to its process manager, over either
// wire: a *Client for PMI-1, or the PMI-2 client that ConnectFromEnv makes.
// Barrier is PMI-1's name for PMI-2's kvs-fence. The methods keep Client's
// contracts on both wires, except that over PMI-2 Put also refuses ';' in
// keys and values and '=' in keys, which the PMI-2 wire cannot carry to
// every server.
type Endpoint interface {
	Rank() int
	Size() int
	Put(key, value string) error
	Get(key string) (string, error)
	Barrier() error
	Finalize() error
	Abort(code int, msg string) error
	Close() error
}

// Version selects the wire protocol ConnectFromEnv speaks.
type Version int

// The wire protocols.
const (
	// VersionAuto speaks PMI-1 unless the server answers the PMI-1 init
	// saying that it speaks PMI-2 (see ConnectFromEnv).
	VersionAuto Version = 0
	// Version1 speaks PMI-1 only.
	Version1 Version = 1
	// Version2 speaks PMI-2 only; it needs PMI_FD.
	Version2 Version = 2
)

// ParseVersion parses a wire protocol choice: "" or "auto", "1", "2".
func ParseVersion(s string) (Version, error) {
	switch s {
	case "", "auto":
		return VersionAuto, nil
	case "1":
		return Version1, nil
	case "2":
		return Version2, nil
	}
	return 0, fmt.Errorf("%w: PMI version %q: want auto, 1 or 2", ErrInvalid, s)
}

// String returns "auto", "1" or "2".
func (v Version) String() string {
	if v == VersionAuto {
		return "auto"
	}
	return strconv.Itoa(int(v))
}

// dialTimeout bounds connecting to PMI_PORT and reading the initack answer.
var dialTimeout = 60 * time.Second

// NewClientFromEnv connects to the process manager the environment names
// and runs the PMI-1 init exchange (see NewClient):
//
//   - PMI_FD: an inherited connected socket; PMI_RANK and PMI_SIZE give the
//     rank and size. The client takes ownership of the descriptor and
//     closes it (it works on a duplicate), so that processes this one
//     starts do not inherit it and hold the connection open.
//   - else PMI_PORT=host:port with PMI_ID: connect, send
//     `cmd=initack pmiid=<PMI_ID>`, read `cmd=initack` and the three
//     `cmd=set` lines that give size, rank and debug level.
//   - else ErrNoPMI: the caller runs as a singleton.
//
// An empty variable counts as unset. A set but malformed variable is an
// error, not ErrNoPMI: running as a singleton by mistake would be worse.
// NewClientFromEnv is ConnectFromEnv(Version1).
func NewClientFromEnv() (*Client, error) {
	e, err := ConnectFromEnv(Version1)
	if err != nil {
		return nil, err
	}
	return e.(*Client), nil
}

// ConnectFromEnv connects to the process manager the environment names, as
// NewClientFromEnv does, speaking the wire protocol v selects:
//
//   - Version1: PMI-1, over PMI_FD or PMI_PORT.
//   - Version2: PMI-2 over PMI_FD. PMI_RANK gives the rank
//     and PMI_JOBID, if set, the pmijobid; PMI_SIZE, if set, must match
//     the size the server gives. With only PMI_PORT set it is an error:
//     PMI_PORT's handshake belongs to PMI-1.
//   - VersionAuto: PMI-1 first, because every server this package knows
//     speaks it: Hydra, spmdrun, and Slurm's pmi2 plugin, which despite
//     its name serves both wires on the PMI_FD it gives
//     (srun --mpi=pmi2 exports PMI_FD, PMI_JOBID, PMI_RANK and PMI_SIZE).
//     If the server answers the PMI-1 init with pmi_version=2, whether it
//     accepts (rc=0) or refuses version 1 (rc!=0; Slurm does so once
//     another task of the step has started PMI-2, and from then on reads
//     only PMI-2 messages on that socket), the client goes on in PMI-2 on
//     the same connection, from fullinit; it does not send init again,
//     which such a server would not read. Any other failure is returned.
//
// The result is a *Client for PMI-1. Without PMI_FD or PMI_PORT,
// ConnectFromEnv returns ErrNoPMI whatever v is.
func ConnectFromEnv(v Version) (Endpoint, error) {
	switch v {
	case VersionAuto, Version1, Version2:
	default:
		return nil, fmt.Errorf("%w: PMI version %d", ErrInvalid, int(v))
	}
	if fdStr := os.Getenv(EnvFD); fdStr != "" {
		return endpointFromFD(fdStr, v)
	}
	if hostport := os.Getenv(EnvPort); hostport != "" {
		if v == Version2 {
			return nil, fmt.Errorf("%w: PMI-2 is spoken over %s only, and only %s is set", ErrInvalid, EnvFD, EnvPort)
		}
		return endpointFromPort(hostport, v)
	}
	return nil, ErrNoPMI
}

func envInt(name string) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return 0, fmt.Errorf("pmi: %s is not set", name)
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("pmi: %s=%q is not an integer", name, v)
	}
	return n, nil
}

func endpointFromFD(fdStr string, v Version) (Endpoint, error) {
	fd, err := strconv.Atoi(fdStr)
	if err != nil || fd < 0 {
		return nil, fmt.Errorf("pmi: %s=%q is not a file descriptor", EnvFD, fdStr)
	}
	rank, err := envInt(EnvRank)
	if err != nil {
		return nil, err
	}
	// PMI-2 learns the size from fullinit; PMI-1 needs it from here.
	size := 0
	if v != Version2 || os.Getenv(EnvSize) != "" {
		if size, err = envInt(EnvSize); err != nil {
			return nil, err
		}
	}
	f := os.NewFile(uintptr(fd), EnvFD)
	if f == nil {
		return nil, fmt.Errorf("pmi: %s=%d is not a valid descriptor", EnvFD, fd)
	}
	// FileConn dups the descriptor (close-on-exec, non-blocking, in the
	// runtime poller); the original is closed either way.
	conn, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("pmi: %s=%d: %w", EnvFD, fd, err)
	}
	jobID := os.Getenv(EnvJobID)
	switch v {
	case Version1:
		return endpoint(NewClient(conn, rank, size))
	case Version2:
		c, err := newPMI2Client(conn, jobID, rank)
		if err != nil {
			return nil, err
		}
		return checkSize2(c, size)
	}
	return negotiate(conn, bufio.NewReaderSize(conn, maxReplyLen), rank, size, jobID)
}

func endpointFromPort(hostport string, v Version) (Endpoint, error) {
	id, err := envInt(EnvID)
	if err != nil {
		return nil, fmt.Errorf("pmi: %s is set: %w", EnvPort, err)
	}
	conn, err := net.DialTimeout("tcp", hostport, dialTimeout)
	if err != nil {
		return nil, fmt.Errorf("pmi: connect to %s=%s: %w", EnvPort, hostport, err)
	}
	br := bufio.NewReaderSize(conn, maxReplyLen)
	rank, size, err := portHandshake(conn, br, id)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if v == Version1 {
		return endpoint(newClient(conn, br, rank, size))
	}
	return negotiate(conn, br, rank, size, "")
}

// endpoint returns a PMI-1 client as an Endpoint, and a failure as a nil
// Endpoint rather than one that holds a nil *Client.
func endpoint(c *Client, err error) (Endpoint, error) {
	if err != nil {
		return nil, err
	}
	return c, nil
}

// negotiate sends the PMI-1 init over conn, read through br. If the
// server's response_to_init says pmi_version=2, whether it accepts or
// refuses version 1, the connection goes on in PMI-2 from fullinit (see
// ConnectFromEnv); otherwise the PMI-1 start-up goes on with that reply.
// On error conn is closed.
func negotiate(conn io.ReadWriteCloser, br *bufio.Reader, rank, size int, jobID string) (Endpoint, error) {
	if err := checkRankSize(rank, size); err != nil {
		conn.Close()
		return nil, err
	}
	cn := newConn(conn, br, lineCodec{})
	cn.mu.Lock()
	reply, err := cn.exchange("init", "init", initRequest)
	cn.mu.Unlock()
	if err != nil {
		cn.close()
		return nil, err
	}
	if v, _ := reply.get("pmi_version"); reply.cmd != "response_to_init" || v != "2" {
		return endpoint(startPMI1(cn, rank, size, &reply))
	}
	const switched = "pmi: server answered the PMI-1 init with pmi_version=2; PMI-2"
	if err := checkPMI2Args(jobID, rank); err != nil {
		cn.close()
		return nil, fmt.Errorf("%s: %w", switched, err)
	}
	c2, err := startPMI2(cn, jobID, rank)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", switched, err)
	}
	return checkSize2(c2, size)
}

// checkSize2 checks a PMI-2 client's size, which the server gave, against
// the size the environment announced (0: none).
func checkSize2(c *pmi2Client, size int) (Endpoint, error) {
	if size != 0 && c.Size() != size {
		c.Close()
		return nil, fmt.Errorf("%w: %s=%d but the PMI-2 server says the job has %d ranks", ErrProtocol, EnvSize, size, c.Size())
	}
	return c, nil
}

// portHandshake sends initack and reads the server's answer: `cmd=initack`
// (rc, if present, must be 0) and then three `cmd=set` lines, which Hydra
// sends as size, rank, debug; we accept them in any order.
func portHandshake(conn net.Conn, br *bufio.Reader, id int) (rank, size int, err error) {
	_ = conn.SetDeadline(time.Now().Add(dialTimeout))
	defer conn.SetDeadline(time.Time{})
	line, err := encodeLine("initack", "pmiid", strconv.Itoa(id))
	if err != nil {
		return 0, 0, err
	}
	if _, err := conn.Write(line); err != nil {
		return 0, 0, fmt.Errorf("pmi: send initack: %w", err)
	}
	m, err := readMessage(br)
	if err != nil {
		return 0, 0, fmt.Errorf("pmi: read initack: %w", err)
	}
	if m.cmd != "initack" {
		return 0, 0, fmt.Errorf("%w: expected cmd=initack, got cmd=%s", ErrProtocol, m.cmd)
	}
	if rc, err := m.rc(); err != nil {
		return 0, 0, err
	} else if rc != 0 {
		return 0, 0, lineCodec{}.rejected("initack", rc, &m)
	}
	rank, size = -1, -1
	for range 3 {
		m, err := readMessage(br)
		if err != nil {
			return 0, 0, fmt.Errorf("pmi: read initack set line: %w", err)
		}
		if m.cmd != "set" {
			return 0, 0, fmt.Errorf("%w: expected cmd=set, got cmd=%s", ErrProtocol, m.cmd)
		}
		for _, p := range []struct {
			key string
			dst *int
		}{{"size", &size}, {"rank", &rank}} {
			if n, ok, err := m.getInt(p.key); err != nil {
				return 0, 0, err
			} else if ok {
				*p.dst = n
			}
		}
	}
	if rank < 0 || size < 1 {
		return 0, 0, fmt.Errorf("%w: initack gave rank=%d size=%d", ErrProtocol, rank, size)
	}
	return rank, size, nil
}

// readMessage reads and parses one line.
func readMessage(br *bufio.Reader) (message, error) {
	line, err := readLine(br)
	if err != nil {
		return message{}, err
	}
	return parseLine(line)
}
