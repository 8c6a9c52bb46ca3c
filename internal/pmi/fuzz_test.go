package pmi

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Seeds shared by the fuzz targets, besides the files in testdata/fuzz.
var fuzzSeeds = []string{
	"cmd=init pmi_version=1 pmi_subversion=1",
	"cmd=put kvsname=kvs_1_0 key=P0-businesscard value=description#h$port#4000$ifname#10.0.0.1$",
	"cmd=get_result rc=0 value=(vector,(0,2,2))",
	"cmd=abort exitcode=3 message=application called MPI_Abort(MPI_COMM_WORLD, 3) - process 0",
	"cmd=initack pmiid=0",
	"mcmd=spawn",
	"cmd=x  a  b=  =c",
	"cmd=x a=\\ b=\\\\",
}

// FuzzParseLine checks that the line parser never panics, that whatever it
// accepts re-encodes, and that the encoding parses back to the same
// message (so what the Server or Client reads it can also write).
func FuzzParseLine(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		m, err := parseLine(line)
		req, rerr := parseRequest(line)
		if err != nil {
			require.ErrorIs(t, err, ErrProtocol)
			if rerr == nil {
				// Only an abort's free-text message may rescue a line.
				require.Equal(t, "abort", req.cmd)
			}
			return
		}
		require.True(t, validName(m.cmd))
		if !bytes.Contains(line, []byte(" message=")) {
			require.NoError(t, rerr)
			require.Equal(t, m, req)
		}
		enc, err := appendMessage(nil, m)
		require.NoError(t, err)
		require.Equal(t, byte('\n'), enc[len(enc)-1])
		back, err := parseLine(enc[:len(enc)-1])
		require.NoError(t, err)
		require.Equal(t, m, back)
	})
}

// FuzzServeLines feeds arbitrary bytes to a Server connection, as a buggy
// or hostile client could, and checks that the Server neither panics nor
// hangs and that every reply is a well-formed line with rc right after cmd.
func FuzzServeLines(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s + "\n"))
	}
	f.Add([]byte("cmd=put key=a value=1\ncmd=barrier_in\ncmd=get key=a\ncmd=finalize\n"))
	f.Add([]byte("cmd=get_maxes\ncmd=abort exitcode=1\ncmd=get_maxes\n"))
	f.Add([]byte("cmd=get_maxes\n" + strings.Repeat("x", 2*MaxLineLen)))
	f.Fuzz(func(t *testing.T, input []byte) {
		s, err := NewServer(ServerConfig{Size: 1, OnAbort: func(int, int, string) {}})
		require.NoError(t, err)
		defer s.Close()
		cli, srv := unixPair(t)
		defer cli.Close()
		served := make(chan error, 1)
		go func() { served <- s.ServeConn(0, srv) }()
		go func() {
			// Errors are expected when the server hangs up first.
			_, _ = cli.Write(input)
			_ = cli.CloseWrite()
		}()
		require.NoError(t, cli.SetReadDeadline(time.Now().Add(testTimeout)))
		out, err := io.ReadAll(cli)
		// A server that hangs up with input unread (after a line too
		// long, or an abort) makes Linux report ECONNRESET to the peer.
		if !errors.Is(err, syscall.ECONNRESET) {
			require.NoError(t, err, "server did not finish")
		}
		recv(t, "ServeConn", served)

		replies := strings.Split(string(out), "\n")
		require.Equal(t, "", replies[len(replies)-1], "output ends with a newline")
		for _, r := range replies[:len(replies)-1] {
			m, err := parseLine([]byte(r))
			require.NoError(t, err, "reply %q", r)
			require.NotEmpty(t, m.args, "reply %q", r)
			require.Equal(t, "rc", m.args[0].key, "reply %q", r)
			_, err = m.rc()
			require.NoError(t, err)
		}
		require.LessOrEqual(t, len(replies)-1, bytes.Count(input, []byte("\n"))+1)
	})
}

// unixPair returns a connected pair of Unix stream sockets.
func unixPair(t *testing.T) (*net.UnixConn, *net.UnixConn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	conns := make([]*net.UnixConn, 2)
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "fuzz")
		c, err := net.FileConn(f)
		f.Close()
		require.NoError(t, err)
		conns[i] = c.(*net.UnixConn)
	}
	return conns[0], conns[1]
}
