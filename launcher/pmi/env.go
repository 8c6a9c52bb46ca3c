package pmi

import (
	"bufio"
	"fmt"
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
)

// dialTimeout bounds connecting to PMI_PORT and reading the initack answer.
var dialTimeout = 60 * time.Second

// NewClientFromEnv connects to the process manager the environment names
// and runs the init exchange (see NewClient):
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
func NewClientFromEnv() (*Client, error) {
	if fdStr := os.Getenv(EnvFD); fdStr != "" {
		return clientFromFD(fdStr)
	}
	if hostport := os.Getenv(EnvPort); hostport != "" {
		return clientFromPort(hostport)
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

func clientFromFD(fdStr string) (*Client, error) {
	fd, err := strconv.Atoi(fdStr)
	if err != nil || fd < 0 {
		return nil, fmt.Errorf("pmi: %s=%q is not a file descriptor", EnvFD, fdStr)
	}
	rank, err := envInt(EnvRank)
	if err != nil {
		return nil, err
	}
	size, err := envInt(EnvSize)
	if err != nil {
		return nil, err
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
	return NewClient(conn, rank, size)
}

func clientFromPort(hostport string) (*Client, error) {
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
	return newClient(conn, br, rank, size)
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
		return 0, 0, rejected("initack", rc, &m)
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
