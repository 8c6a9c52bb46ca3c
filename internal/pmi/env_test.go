package pmi

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clearPMIEnv blanks the PMI variables for the test; empty counts as unset.
func clearPMIEnv(t *testing.T) {
	for _, v := range []string{EnvFD, EnvRank, EnvSize, EnvPort, EnvID} {
		t.Setenv(v, "")
	}
}

type clientResult struct {
	c   *Client
	err error
}

func clientFromEnvWithin(t *testing.T) (*Client, error) {
	t.Helper()
	r := within(t, "NewClientFromEnv", func() clientResult {
		c, err := NewClientFromEnv()
		return clientResult{c, err}
	})
	if r.c != nil {
		t.Cleanup(func() { r.c.Close() })
	}
	return r.c, r.err
}

func TestNewClientFromEnvNoPMI(t *testing.T) {
	clearPMIEnv(t)
	_, err := NewClientFromEnv()
	require.ErrorIs(t, err, ErrNoPMI)
}

func TestNewClientFromEnvFD(t *testing.T) {
	clearPMIEnv(t)
	rec := newRecorder()
	s := newTestServer(t, rec.config(ServerConfig{Size: 2}))
	f, err := s.RankConn(1)
	require.NoError(t, err)
	defer f.Close()
	// The client takes ownership of the PMI_FD descriptor, as a launched
	// process would; hand it a duplicate so that f stays ours.
	fd, err := syscall.Dup(int(f.Fd()))
	require.NoError(t, err)
	for _, kv := range s.Env(1, fd) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	c, err := clientFromEnvWithin(t)
	require.NoError(t, err)
	assert.Equal(t, 1, c.Rank())
	assert.Equal(t, 2, c.Size())
	assert.Equal(t, s.KVSName(), c.KVSName())
	require.NoError(t, c.Put("from-env", "yes"))
	require.NoError(t, f.Close())
	require.NoError(t, c.Finalize())
	assert.Equal(t, closeEvent{1, true}, recv(t, "OnClose", rec.closes))

	// The descriptor was closed by the client.
	_, err = syscall.Dup(fd)
	assert.ErrorIs(t, err, syscall.EBADF)
}

func TestNewClientFromEnvBadValues(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"PMI_FD not a number":  {EnvFD: "three", EnvRank: "0", EnvSize: "1"},
		"PMI_FD without rank":  {EnvFD: "3", EnvSize: "1"},
		"PMI_FD bad size":      {EnvFD: "3", EnvRank: "0", EnvSize: "x"},
		"PMI_PORT without id":  {EnvPort: "127.0.0.1:1"},
		"PMI_PORT unreachable": {EnvPort: "127.0.0.1:1", EnvID: "0"},
	} {
		t.Run(name, func(t *testing.T) {
			clearPMIEnv(t)
			for k, v := range env {
				t.Setenv(k, v)
			}
			_, err := clientFromEnvWithin(t)
			require.Error(t, err)
			require.NotErrorIs(t, err, ErrNoPMI)
		})
	}
}

func TestNewClientFromEnvPort(t *testing.T) {
	clearPMIEnv(t)
	rec := newRecorder()
	s := newTestServer(t, rec.config(ServerConfig{Size: 2}))
	addr, err := s.ListenPort("127.0.0.1:0")
	require.NoError(t, err)

	// Two ranks connect through the environment, one after the other, as
	// two processes would, each with its own PMI_ID.
	for _, kv := range s.PortEnv(addr, 1) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv(EnvRank, "") // the rank must come from the initack answer
	c1, err := clientFromEnvWithin(t)
	require.NoError(t, err)
	assert.Equal(t, 1, c1.Rank())
	assert.Equal(t, 2, c1.Size())

	t.Setenv(EnvID, "0")
	c0, err := clientFromEnvWithin(t)
	require.NoError(t, err)
	assert.Equal(t, 0, c0.Rank())

	require.NoError(t, c0.Put("k0", "v0"))
	require.NoError(t, c1.Put("k1", "v1"))
	barrier1 := make(chan error, 1)
	go func() { barrier1 <- c1.Barrier() }()
	require.NoError(t, within(t, "barrier", c0.Barrier))
	require.NoError(t, recv(t, "barrier", barrier1))
	v, err := c0.Get("k1")
	require.NoError(t, err)
	assert.Equal(t, "v1", v)
	require.NoError(t, c0.Finalize())
	require.NoError(t, c1.Finalize())
	got := map[closeEvent]bool{}
	for range 2 {
		got[recv(t, "OnClose", rec.closes)] = true
	}
	assert.Equal(t, map[closeEvent]bool{{0, true}: true, {1, true}: true}, got)
}

func TestListenPortHandshake(t *testing.T) {
	rec := newRecorder()
	s := newTestServer(t, rec.config(ServerConfig{Size: 2}))
	addr, err := s.ListenPort("127.0.0.1:0")
	require.NoError(t, err)
	dial := func() *rawConn {
		conn, err := net.DialTimeout("tcp", addr, testTimeout)
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
		return newRaw(t, conn)
	}

	raw := dial()
	raw.send("cmd=initack pmiid=1\n")
	var lines []string
	for range 4 {
		l, err := raw.recvLine()
		require.NoError(t, err)
		lines = append(lines, l)
	}
	assert.Equal(t, []string{"cmd=initack rc=0", "cmd=set size=2", "cmd=set rank=1", "cmd=set debug=0"}, lines)
	assert.Equal(t, "cmd=response_to_init rc=0 pmi_version=1 pmi_subversion=1",
		raw.call("cmd=init pmi_version=1 pmi_subversion=1\n"))

	for name, line := range map[string]string{
		"duplicate id":    "cmd=initack pmiid=1\n",
		"id out of range": "cmd=initack pmiid=7\n",
		"no id":           "cmd=initack\n",
		"not initack":     "cmd=init pmi_version=1 pmi_subversion=1\n",
		"garbage":         "GET / HTTP/1.0\n",
	} {
		t.Run(name, func(t *testing.T) {
			raw := dial()
			assert.Equal(t, "cmd=initack rc=-1 msg=handshake_failed", raw.call(line))
			raw.expectEOF()
		})
	}
	assert.True(t, rec.logged("PMI_PORT client"))
}

func TestListenPortHandshakeTimeout(t *testing.T) {
	old := handshakeTimeout
	handshakeTimeout = 50 * time.Millisecond
	t.Cleanup(func() { handshakeTimeout = old })

	s := newTestServer(t, ServerConfig{Size: 1})
	addr, err := s.ListenPort("127.0.0.1:0")
	require.NoError(t, err)
	conn, err := net.DialTimeout("tcp", addr, testTimeout)
	require.NoError(t, err)
	defer conn.Close()
	raw := newRaw(t, conn)
	// Send nothing: the server gives up on its own.
	l, err := raw.recvLine()
	if err == nil {
		assert.Equal(t, "cmd=initack rc=-1 msg=handshake_failed", l)
	}
	raw.expectEOF()
}

func TestListenPortUnspecifiedHost(t *testing.T) {
	s := newTestServer(t, ServerConfig{Size: 1})
	addr, err := s.ListenPort(":0")
	require.NoError(t, err)
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	assert.NotEmpty(t, host)
	assert.Nil(t, net.ParseIP(host), "a host name, not %q", host)
	_, err = strconv.Atoi(port)
	require.NoError(t, err)
}

// TestPortHandshakeClient checks the client side of the PMI_PORT handshake
// against answers in the forms different servers send.
func TestPortHandshakeClient(t *testing.T) {
	for name, tt := range map[string]struct {
		answer     string
		rank, size int
		err        error
	}{
		"hydra":            {"cmd=initack\ncmd=set size=4\ncmd=set rank=2\ncmd=set debug=0\n", 2, 4, nil},
		"rc and any order": {"cmd=initack rc=0\ncmd=set debug=1\ncmd=set rank=3\ncmd=set size=4\n", 3, 4, nil},
		"refused":          {"cmd=initack rc=-1 msg=no\n", 0, 0, ErrRejected},
		"not initack":      {"cmd=set size=4\n", 0, 0, ErrProtocol},
		"not set":          {"cmd=initack\ncmd=init\n", 0, 0, ErrProtocol},
		"no rank":          {"cmd=initack\ncmd=set size=4\ncmd=set debug=0\ncmd=set debug=0\n", 0, 0, ErrProtocol},
		"bad size":         {"cmd=initack\ncmd=set size=four\n", 0, 0, ErrProtocol},
	} {
		t.Run(name, func(t *testing.T) {
			cli, srv := net.Pipe()
			defer cli.Close()
			got := make(chan string, 1)
			go func() {
				defer srv.Close()
				l, _ := bufio.NewReader(srv).ReadString('\n')
				got <- l
				srv.Write([]byte(tt.answer))
			}()
			type result struct {
				rank, size int
				err        error
			}
			r := within(t, "portHandshake", func() result {
				rank, size, err := portHandshake(cli, bufio.NewReader(cli), 2)
				return result{rank, size, err}
			})
			assert.Equal(t, "cmd=initack pmiid=2\n", recv(t, "initack", got))
			if tt.err != nil {
				require.ErrorIs(t, r.err, tt.err)
				return
			}
			require.NoError(t, r.err)
			assert.Equal(t, tt.rank, r.rank)
			assert.Equal(t, tt.size, r.size)
		})
	}
}
