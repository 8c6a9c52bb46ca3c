package pmi

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// transports connect a Client for rank to s.
var transports = map[string]func(t *testing.T, s *Server, rank int) io.ReadWriteCloser{
	"pipe": func(t *testing.T, s *Server, rank int) io.ReadWriteCloser {
		conn, _ := serveOverPipe(t, s, rank)
		return conn
	},
	"socketpair": func(t *testing.T, s *Server, rank int) io.ReadWriteCloser {
		f, err := s.RankConn(rank)
		require.NoError(t, err)
		conn, err := net.FileConn(f)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		return conn
	},
}

// TestRoundTrip runs the wire-up every spmd job does: each rank puts its
// card, all enter the barrier, each reads every card, all finalize.
func TestRoundTrip(t *testing.T) {
	for name, connect := range transports {
		for n := 1; n <= 8; n++ {
			t.Run(fmt.Sprintf("%s/N=%d", name, n), func(t *testing.T) {
				rec := newRecorder()
				s := newTestServer(t, rec.config(ServerConfig{Size: n, ProcessMapping: "(vector,(0,1,8))"}))
				conns := make([]io.ReadWriteCloser, n)
				for r := range conns {
					conns[r] = connect(t, s, r)
				}
				errs := make(chan error, n)
				var wg sync.WaitGroup
				for r := range n {
					wg.Add(1)
					go func() {
						defer wg.Done()
						errs <- runRank(conns[r], r, n)
					}()
				}
				within(t, "ranks", func() bool { wg.Wait(); return true })
				close(errs)
				for err := range errs {
					require.NoError(t, err)
				}
				for range n {
					ev := recv(t, "OnClose", rec.closes)
					assert.True(t, ev.finalized, "rank %d finalized", ev.rank)
				}
			})
		}
	}
}

func runRank(conn io.ReadWriteCloser, rank, size int) error {
	c, err := NewClient(conn, rank, size)
	if err != nil {
		return err
	}
	defer c.Close()
	if c.Rank() != rank || c.Size() != size || c.KVSName() == "" {
		return fmt.Errorf("rank %d: got rank=%d size=%d kvs=%q", rank, c.Rank(), c.Size(), c.KVSName())
	}
	card := fmt.Sprintf("host%d:%d,shm=/spmd-%d", rank, 4000+rank, rank)
	if err := c.Put(fmt.Sprintf("P%d-businesscard", rank), card); err != nil {
		return err
	}
	if err := c.Barrier(); err != nil {
		return err
	}
	for peer := range size {
		v, err := c.Get(fmt.Sprintf("P%d-businesscard", peer))
		if err != nil {
			return fmt.Errorf("rank %d get %d: %w", rank, peer, err)
		}
		if want := fmt.Sprintf("host%d:%d,shm=/spmd-%d", peer, 4000+peer, peer); v != want {
			return fmt.Errorf("rank %d get %d: %q, want %q", rank, peer, v, want)
		}
	}
	if m, err := c.Get("PMI_process_mapping"); err != nil || m != "(vector,(0,1,8))" {
		return fmt.Errorf("rank %d: mapping %q, %v", rank, m, err)
	}
	// A second round: barriers are reusable.
	if err := c.Barrier(); err != nil {
		return err
	}
	return c.Finalize()
}

func TestClientVisibilityAndMissingKeys(t *testing.T) {
	s := newTestServer(t, ServerConfig{Size: 2})
	c0 := pipeClient(t, s, 0, 2)
	c1 := pipeClient(t, s, 1, 2)

	require.NoError(t, c0.Put("a", "1"))
	v, err := c0.Get("a")
	require.NoError(t, err)
	assert.Equal(t, "1", v)
	_, err = c1.Get("a")
	require.ErrorIs(t, err, ErrKeyNotFound, "not visible before the barrier")

	var wg sync.WaitGroup
	wg.Add(1)
	var err1 error
	go func() { defer wg.Done(); err1 = c1.Barrier() }()
	require.NoError(t, within(t, "barrier", c0.Barrier))
	within(t, "barrier", func() bool { wg.Wait(); return true })
	require.NoError(t, err1)

	v, err = c1.Get("a")
	require.NoError(t, err)
	assert.Equal(t, "1", v)
	_, err = c1.Get("never")
	require.ErrorIs(t, err, ErrKeyNotFound)

	err = c1.Put("a", "2")
	require.ErrorIs(t, err, ErrRejected)
	assert.Contains(t, err.Error(), "duplicate_key")
	require.ErrorIs(t, c1.Put("PMI_x", "2"), ErrRejected)
}

func TestClientPutValidation(t *testing.T) {
	s := newTestServer(t, ServerConfig{Size: 1})
	c := pipeClient(t, s, 0, 1)
	for name, kv := range map[string][2]string{
		"empty key":          {"", "v"},
		"empty value":        {"k", ""},
		"space in value":     {"k", "a b"},
		"space in key":       {"k k", "v"},
		"newline":            {"k", "v\n"},
		"non-ASCII":          {"k", "é"},
		"key too long":       {strings.Repeat("k", KeyLenMax+1), "v"},
		"value too long":     {"k", strings.Repeat("v", ValLenMax+1)},
		"line too long":      {"k", strings.Repeat("v", 1000)},
		"line of MaxLineLen": {strings.Repeat("k", 60), strings.Repeat("v", longestValue(c, 60)+1)},
	} {
		t.Run(name, func(t *testing.T) {
			require.ErrorIs(t, c.Put(kv[0], kv[1]), ErrInvalid)
		})
	}
	// The longest line allowed is MaxLineLen-1 bytes with its newline.
	v := strings.Repeat("v", longestValue(c, 60))
	require.NoError(t, c.Put(strings.Repeat("k", 60), v))
	got, err := c.Get(strings.Repeat("k", 60))
	require.NoError(t, err)
	assert.Equal(t, v, got)

	_, err = c.Get("a b")
	require.ErrorIs(t, err, ErrInvalid)
	// Validation errors leave the connection usable.
	require.NoError(t, c.Put("ok", "fine"))
}

// longestValue is the longest value c.Put accepts with a key of keyLen
// bytes: the line, newline included, is then MaxLineLen-1 bytes.
func longestValue(c *Client, keyLen int) int {
	return MaxLineLen - 1 - len("cmd=put kvsname= key= value=\n") - len(c.KVSName()) - keyLen
}

func TestClientQueries(t *testing.T) {
	s := newTestServer(t, ServerConfig{Size: 2, AppNum: 4, UniverseSize: 9, KVSName: "myjob"})
	c := pipeClient(t, s, 1, 2)
	assert.Equal(t, "myjob", c.KVSName())
	n, err := c.UniverseSize()
	require.NoError(t, err)
	assert.Equal(t, 9, n)
	n, err = c.AppNum()
	require.NoError(t, err)
	assert.Equal(t, 4, n)
	v, err := c.Get("universeSize")
	require.NoError(t, err)
	assert.Equal(t, "9", v)
}

func TestClientFinalizeAndClose(t *testing.T) {
	rec := newRecorder()
	s := newTestServer(t, rec.config(ServerConfig{Size: 2}))
	c := pipeClient(t, s, 0, 2)
	require.NoError(t, c.Finalize())
	require.NoError(t, c.Finalize(), "idempotent")
	assert.Equal(t, closeEvent{0, true}, recv(t, "OnClose", rec.closes))
	require.ErrorIs(t, c.Put("k", "v"), ErrClosed)
	require.ErrorIs(t, c.Barrier(), ErrClosed)
	require.ErrorIs(t, c.Abort(1, "x"), ErrClosed)
	require.NoError(t, c.Close())
	require.NoError(t, c.Close(), "idempotent")

	c1 := pipeClient(t, s, 1, 2)
	require.NoError(t, c1.Close())
	assert.Equal(t, closeEvent{1, false}, recv(t, "OnClose", rec.closes), "close without finalize")
	require.ErrorIs(t, c1.Finalize(), ErrClosed)
}

// TestClientAbortDuringBarrier: Abort must get through while another
// goroutine waits in a barrier that will never complete.
func TestClientAbortDuringBarrier(t *testing.T) {
	rec := newRecorder()
	s := newTestServer(t, rec.config(ServerConfig{Size: 2}))
	c := pipeClient(t, s, 0, 2)
	barrierErr := make(chan error, 1)
	go func() { barrierErr <- c.Barrier() }()
	require.Eventually(t, func() bool {
		s.job.mu.Lock()
		defer s.job.mu.Unlock()
		return s.job.bar.entered == 1
	}, testTimeout, eventuallyTick)

	require.NoError(t, within(t, "Abort", func() error { return c.Abort(42, "rank 0 gave up\ttab") }))
	assert.Equal(t, abortEvent{0, 42, "rank_0_gave_up_tab"}, recv(t, "OnAbort", rec.aborts))
	require.ErrorIs(t, recv(t, "Barrier", barrierErr), ErrClosed)
}

func TestClientCloseUnblocksBarrier(t *testing.T) {
	s := newTestServer(t, ServerConfig{Size: 2})
	c := pipeClient(t, s, 0, 2)
	barrierErr := make(chan error, 1)
	go func() { barrierErr <- c.Barrier() }()
	require.Eventually(t, func() bool {
		s.job.mu.Lock()
		defer s.job.mu.Unlock()
		return s.job.bar.entered == 1
	}, testTimeout, eventuallyTick)
	require.NoError(t, c.Close())
	require.ErrorIs(t, recv(t, "Barrier", barrierErr), ErrClosed)
}

func TestClientBarrierFailsWhenPeerDies(t *testing.T) {
	s := newTestServer(t, ServerConfig{Size: 2})
	c0 := pipeClient(t, s, 0, 2)
	c1 := pipeClient(t, s, 1, 2)
	require.NoError(t, c1.Close())
	err := within(t, "Barrier", c0.Barrier)
	require.ErrorIs(t, err, ErrRejected)
	assert.Contains(t, err.Error(), "rank_1")
}

func TestNewClientValidates(t *testing.T) {
	for _, rs := range [][2]int{{0, 0}, {-1, 2}, {2, 2}} {
		a, b := net.Pipe()
		_, err := NewClient(a, rs[0], rs[1])
		require.ErrorIs(t, err, ErrInvalid)
		_, err = b.Read(make([]byte, 1))
		require.Error(t, err, "conn closed on error")
	}
}

// fakeServer plays a server scripted by handle, reading each request the
// way Slurm does: one Read of at most MaxLineLen bytes, which must hold
// exactly one complete line. It reports violations on its error channel.
func fakeServer(t *testing.T, handle func(req string) (reply string)) (io.ReadWriteCloser, <-chan error) {
	t.Helper()
	cli, srv := net.Pipe()
	t.Cleanup(func() { cli.Close(); srv.Close() })
	errs := make(chan error, 1)
	go func() {
		defer srv.Close()
		buf := make([]byte, MaxLineLen)
		for {
			n, err := srv.Read(buf)
			if err != nil {
				errs <- nil
				return
			}
			req := string(buf[:n])
			if !strings.HasSuffix(req, "\n") || strings.Count(req, "\n") != 1 || n >= MaxLineLen {
				errs <- fmt.Errorf("request not one short line in one read: %q", req)
				return
			}
			reply := handle(strings.TrimSuffix(req, "\n"))
			if reply == "" {
				continue
			}
			if _, err := srv.Write([]byte(reply)); err != nil {
				errs <- nil
				return
			}
		}
	}()
	return cli, errs
}

// slurmLike answers in the forms older and stricter servers use: rc last
// or missing, extra keys.
func slurmLike(req string) string {
	switch cmd, _, _ := strings.Cut(strings.TrimPrefix(req, "cmd="), " "); cmd {
	case "init":
		return "cmd=response_to_init pmi_version=1 pmi_subversion=1 rc=0\n"
	case "get_maxes":
		return "cmd=maxes kvsname_max=256 keylen_max=64 vallen_max=1024\n"
	case "get_my_kvsname":
		return "cmd=my_kvsname kvsname=1234.0 rc=0\n"
	case "put":
		return "cmd=put_result rc=0 extra=ignored\n"
	case "get":
		if strings.Contains(req, "key=missing") {
			return "cmd=get_result rc=4\n"
		}
		return "cmd=get_result rc=0 value=(vector,(0,2,2))\n"
	case "barrier_in":
		return "cmd=barrier_out\n"
	case "get_appnum":
		return "cmd=appnum rc=0 appnum=-1\n"
	case "finalize":
		return "cmd=finalize_ack rc=0\n"
	}
	return ""
}

func TestClientAgainstStrictServer(t *testing.T) {
	conn, errs := fakeServer(t, slurmLike)
	c, err := NewClient(conn, 3, 4)
	require.NoError(t, err)
	assert.Equal(t, "1234.0", c.KVSName())
	require.NoError(t, c.Put("k", "v"))
	v, err := c.Get("PMI_process_mapping")
	require.NoError(t, err)
	assert.Equal(t, "(vector,(0,2,2))", v)
	_, err = c.Get("missing")
	require.ErrorIs(t, err, ErrKeyNotFound, "rc!=0 without msg means not found")
	require.NoError(t, c.Barrier())
	n, err := c.AppNum()
	require.NoError(t, err)
	assert.Equal(t, -1, n)
	require.NoError(t, c.Finalize())
	require.NoError(t, recv(t, "fake server", errs))
}

func TestClientAbortLine(t *testing.T) {
	lines := make(chan string, 1)
	conn, errs := fakeServer(t, func(req string) string {
		if strings.HasPrefix(req, "cmd=abort") {
			lines <- req
			return ""
		}
		return slurmLike(req)
	})
	c, err := NewClient(conn, 0, 1)
	require.NoError(t, err)
	require.NoError(t, c.Abort(9, strings.Repeat("x y", 1000)))
	line := recv(t, "abort line", lines)
	assert.True(t, strings.HasPrefix(line, "cmd=abort exitcode=9 message=x_yx_y"), line)
	assert.Less(t, len(line)+1, MaxLineLen)
	require.NoError(t, recv(t, "fake server", errs))

	assert.Equal(t, "cmd=abort exitcode=1\n", string(abortLine(1, "")))
}

func TestClientProtocolErrors(t *testing.T) {
	for name, reply := range map[string]string{
		"wrong reply command": "cmd=put_result rc=0\n",
		"rc not a number":     "cmd=response_to_init rc=zero\n",
		"garbage":             "hello\n",
		"non-printable":       "cmd=response_to_init rc=0 x=\x01\n",
		"reply too long":      "cmd=response_to_init rc=0 x=" + strings.Repeat("a", maxReplyLen) + "\n",
		"wrong version":       "cmd=response_to_init rc=0 pmi_version=2\n",
	} {
		t.Run(name, func(t *testing.T) {
			conn, _ := fakeServer(t, func(string) string { return reply })
			_, err := NewClient(conn, 0, 1)
			require.ErrorIs(t, err, ErrProtocol)
		})
	}
	t.Run("init refused", func(t *testing.T) {
		conn, _ := fakeServer(t, func(string) string { return "cmd=response_to_init rc=-1 msg=no\n" })
		_, err := NewClient(conn, 0, 1)
		require.ErrorIs(t, err, ErrRejected)
	})
	t.Run("garbled reply", func(t *testing.T) {
		conn, _ := fakeServer(t, func(req string) string {
			if strings.Contains(req, "get_maxes") {
				return "cmd=maxes rc=0 keylen_max=64\ncmd=ma" // a line cut short
			}
			return slurmLike(req)
		})
		_, err := NewClient(conn, 0, 1)
		require.Error(t, err)
	})
	t.Run("errors are sticky", func(t *testing.T) {
		conn, _ := fakeServer(t, func(req string) string {
			if strings.Contains(req, "barrier_in") {
				return "cmd=bogus rc=0\n"
			}
			return slurmLike(req)
		})
		c, err := NewClient(conn, 0, 1)
		require.NoError(t, err)
		require.ErrorIs(t, c.Barrier(), ErrProtocol)
		err = c.Put("k", "v")
		require.ErrorIs(t, err, ErrProtocol, "stream is out of step after a bad reply")
		require.False(t, errors.Is(err, ErrRejected))
	})
}
