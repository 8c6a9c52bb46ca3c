package pmi

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testTimeout bounds every wait in these tests; nothing here should take
// more than a fraction of it.
const testTimeout = 10 * time.Second

// eventuallyTick is the polling interval for require.Eventually, used only
// where the condition is internal state no message announces.
const eventuallyTick = time.Millisecond

// within runs f on a goroutine and fails the test if it does not return
// within testTimeout.
func within[T any](t *testing.T, what string, f func() T) T {
	t.Helper()
	ch := make(chan T, 1)
	go func() { ch <- f() }()
	select {
	case v := <-ch:
		return v
	case <-time.After(testTimeout):
		t.Fatalf("%s: did not finish within %v", what, testTimeout)
		panic("unreachable")
	}
}

// recv waits up to testTimeout for a value from ch.
func recv[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testTimeout):
		t.Fatalf("%s: nothing received within %v", what, testTimeout)
		panic("unreachable")
	}
}

type closeEvent struct {
	rank      int
	finalized bool
}

type abortEvent struct {
	rank, code int
	msg        string
}

// recorder collects a Server's callbacks and log lines.
type recorder struct {
	closes chan closeEvent
	aborts chan abortEvent

	mu   sync.Mutex
	logs []string
}

func newRecorder() *recorder {
	return &recorder{closes: make(chan closeEvent, 64), aborts: make(chan abortEvent, 64)}
}

func (r *recorder) config(cfg ServerConfig) ServerConfig {
	cfg.OnClose = func(rank int, finalized bool) { r.closes <- closeEvent{rank, finalized} }
	cfg.OnAbort = func(rank, code int, msg string) { r.aborts <- abortEvent{rank, code, msg} }
	cfg.Logf = func(format string, args ...any) {
		r.mu.Lock()
		r.logs = append(r.logs, fmt.Sprintf(format, args...))
		r.mu.Unlock()
	}
	return cfg
}

func (r *recorder) logged(substr string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.logs {
		if strings.Contains(l, substr) {
			return true
		}
	}
	return false
}

// newTestServer returns a Server that is closed when the test ends.
func newTestServer(t *testing.T, cfg ServerConfig) *Server {
	t.Helper()
	s, err := NewServer(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { within(t, "Server.Close", s.Close) })
	return s
}

// serveOverPipe serves one end of a net.Pipe as rank and returns the
// other end; ServeConn's result arrives on the returned channel.
func serveOverPipe(t *testing.T, s *Server, rank int) (net.Conn, <-chan error) {
	t.Helper()
	cli, srv := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- s.ServeConn(rank, srv) }()
	t.Cleanup(func() { cli.Close() })
	return cli, done
}

// pipeClient connects a Client for rank over a net.Pipe.
func pipeClient(t *testing.T, s *Server, rank, size int) *Client {
	t.Helper()
	conn, _ := serveOverPipe(t, s, rank)
	type result struct {
		c   *Client
		err error
	}
	r := within(t, "NewClient", func() result {
		c, err := NewClient(conn, rank, size)
		return result{c, err}
	})
	require.NoError(t, r.err)
	t.Cleanup(func() { r.c.Close() })
	return r.c
}

// rawConn speaks the wire protocol by hand, to test the Server with lines
// no Client would send.
type rawConn struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
}

func newRaw(t *testing.T, conn net.Conn) *rawConn {
	return &rawConn{t: t, conn: conn, br: bufio.NewReader(conn)}
}

func rawPipe(t *testing.T, s *Server, rank int) (*rawConn, <-chan error) {
	conn, done := serveOverPipe(t, s, rank)
	return newRaw(t, conn), done
}

func (r *rawConn) send(line string) {
	r.t.Helper()
	require.NoError(r.t, r.conn.SetWriteDeadline(time.Now().Add(testTimeout)))
	_, err := r.conn.Write([]byte(line))
	require.NoError(r.t, err)
}

// recvLine returns the next line without its newline, or the read error.
func (r *rawConn) recvLine() (string, error) {
	// net.Pipe refuses deadlines once the peer has closed; the read then
	// fails at once anyway, so the error is not needed.
	_ = r.conn.SetReadDeadline(time.Now().Add(testTimeout))
	s, err := r.br.ReadString('\n')
	return strings.TrimSuffix(s, "\n"), err
}

// call sends a line and returns the raw reply line.
func (r *rawConn) call(line string) string {
	r.t.Helper()
	r.send(line)
	reply, err := r.recvLine()
	require.NoError(r.t, err, "reply to %q", line)
	return reply
}

// callMsg sends a line and returns the parsed reply, checking that rc
// directly follows cmd.
func (r *rawConn) callMsg(line string) message {
	r.t.Helper()
	reply := r.call(line)
	m, err := parseLine([]byte(reply))
	require.NoError(r.t, err, "reply %q", reply)
	require.NotEmpty(r.t, m.args, "reply %q", reply)
	require.Equal(r.t, "rc", m.args[0].key, "rc must follow cmd in %q", reply)
	return m
}

// expectEOF waits for the server to close the connection.
func (r *rawConn) expectEOF() {
	r.t.Helper()
	for {
		_, err := r.recvLine()
		if err != nil {
			var ne net.Error
			require.False(r.t, asNetErr(err, &ne) && ne.Timeout(), "server did not close the connection")
			return
		}
	}
}

func asNetErr(err error, target *net.Error) bool {
	ne, ok := err.(net.Error)
	if ok {
		*target = ne
	}
	return ok
}

func val(t *testing.T, m message, key string) string {
	t.Helper()
	v, ok := m.get(key)
	require.True(t, ok, "reply cmd=%s lacks %s", m.cmd, key)
	return v
}
