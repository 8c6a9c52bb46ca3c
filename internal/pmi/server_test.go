package pmi

import (
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewServerValidates(t *testing.T) {
	for name, cfg := range map[string]ServerConfig{
		"zero size":          {Size: 0},
		"negative universe":  {Size: 1, UniverseSize: -1},
		"space in kvsname":   {Size: 1, KVSName: "a b"},
		"kvsname too long":   {Size: 1, KVSName: strings.Repeat("k", KVSNameMax+1)},
		"space in mapping":   {Size: 1, ProcessMapping: "(vector, (0,1,1))"},
		"newline in mapping": {Size: 1, ProcessMapping: "x\n"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewServer(cfg)
			require.Error(t, err)
		})
	}
}

func TestNewServerDefaults(t *testing.T) {
	s := newTestServer(t, ServerConfig{Size: 4})
	assert.Regexp(t, `^kvs_\d+_[0-9a-f]+$`, s.KVSName())
	s2 := newTestServer(t, ServerConfig{Size: 4})
	assert.NotEqual(t, s.KVSName(), s2.KVSName())

	raw, _ := rawPipe(t, s, 0)
	assert.Equal(t, "4", val(t, raw.callMsg("cmd=get_universe_size\n"), "size"))
	assert.Equal(t, "0", val(t, raw.callMsg("cmd=get_appnum\n"), "appnum"))
	assert.Equal(t, "(vector,(0,1,4))",
		val(t, raw.callMsg("cmd=get kvsname="+s.KVSName()+" key=PMI_process_mapping\n"), "value"))
}

func TestEnv(t *testing.T) {
	s := newTestServer(t, ServerConfig{Size: 3})
	assert.Equal(t, []string{"PMI_FD=4", "PMI_RANK=2", "PMI_SIZE=3"}, s.Env(2, 4))
	assert.Equal(t, []string{"PMI_PORT=h:1", "PMI_ID=1", "PMI_RANK=1", "PMI_SIZE=3"}, s.PortEnv("h:1", 1))
}

// TestServerRepliesVerbatim pins the exact reply lines, since other
// implementations (MPICH's client) parse them.
func TestServerRepliesVerbatim(t *testing.T) {
	s := newTestServer(t, ServerConfig{Size: 2, KVSName: "kvs_test", AppNum: 3, UniverseSize: 5,
		ProcessMapping: "(vector,(0,2,1))"})
	raw, _ := rawPipe(t, s, 1)
	for _, tt := range []struct{ req, reply string }{
		{"cmd=init pmi_version=1 pmi_subversion=1", "cmd=response_to_init rc=0 pmi_version=1 pmi_subversion=1"},
		{"cmd=get_maxes", "cmd=maxes rc=0 kvsname_max=256 keylen_max=64 vallen_max=1024"},
		{"cmd=get_universe_size", "cmd=universe_size rc=0 size=5"},
		{"cmd=get_appnum", "cmd=appnum rc=0 appnum=3"},
		{"cmd=get_my_kvsname", "cmd=my_kvsname rc=0 kvsname=kvs_test"},
		{"cmd=put kvsname=kvs_test key=k value=v=1", "cmd=put_result rc=0"},
		{"cmd=get kvsname=kvs_test key=k", "cmd=get_result rc=0 value=v=1"},
		{"cmd=get kvsname=kvs_test key=nope", "cmd=get_result rc=1 msg=key_not_found"},
		{"cmd=get kvsname=kvs_test key=PMI_process_mapping", "cmd=get_result rc=0 value=(vector,(0,2,1))"},
		{"cmd=get kvsname=kvs_test key=universeSize", "cmd=get_result rc=0 value=5"},
		{"cmd=finalize", "cmd=finalize_ack rc=0"},
	} {
		assert.Equal(t, tt.reply, raw.call(tt.req+"\n"), "reply to %q", tt.req)
	}
}

func TestServerRefusals(t *testing.T) {
	s := newTestServer(t, ServerConfig{Size: 1, KVSName: "kvs_t"})
	raw, _ := rawPipe(t, s, 0)
	require.Equal(t, "0", val(t, raw.callMsg("cmd=put kvsname=kvs_t key=dup value=1\n"), "rc"))

	for _, tt := range []struct{ req, msg string }{
		{"cmd=init pmi_version=2 pmi_subversion=0", "unsupported_pmi_version"},
		{"cmd=put kvsname=kvs_t key=dup value=2", "duplicate_key"},
		{"cmd=put kvsname=kvs_t key=PMI_mine value=2", "reserved_key_PMI_prefix"},
		{"cmd=put kvsname=other key=x value=2", "wrong_kvsname"},
		{"cmd=put kvsname=kvs_t key=" + strings.Repeat("k", KeyLenMax+1) + " value=2", "key_too_long"},
		{"cmd=put kvsname=kvs_t value=2", "missing_key"},
		{"cmd=put kvsname=kvs_t key=x", "missing_value"},
		{"cmd=put kvsname=kvs_t key=x value=", "missing_value"},
		{"cmd=get kvsname=other key=dup", "wrong_kvsname"},
		{"cmd=get kvsname=kvs_t", "missing_key"},
		{"cmd=publish_name service=s port=p", "unknown_command"},
	} {
		m := raw.callMsg(tt.req + "\n")
		assert.NotEqual(t, "0", val(t, m, "rc"), "%q must fail", tt.req)
		assert.Equal(t, tt.msg, val(t, m, "msg"), "%q", tt.req)
	}
	// The version refusal still says which version the server speaks.
	m := raw.callMsg("cmd=init pmi_version=2 pmi_subversion=0\n")
	assert.Equal(t, "response_to_init", m.cmd)
	assert.Equal(t, "1", val(t, m, "pmi_version"))
	// An unknown command's reply is named after it.
	assert.Equal(t, "publish_name_response", raw.callMsg("cmd=publish_name\n").cmd)
	// A put without kvsname means the job's own KVS.
	assert.Equal(t, "0", val(t, raw.callMsg("cmd=put key=nokvs value=1\n"), "rc"))
	assert.Equal(t, "1", val(t, raw.callMsg("cmd=get key=nokvs\n"), "value"))
	// And the connection still works after all that.
	assert.Equal(t, "finalize_ack", raw.callMsg("cmd=finalize\n").cmd)
}

func TestServerMalformedLinesKeepServing(t *testing.T) {
	rec := newRecorder()
	s := newTestServer(t, rec.config(ServerConfig{Size: 1}))
	raw, _ := rawPipe(t, s, 0)
	for _, line := range []string{
		"hello",
		"",
		"mcmd=spawn",
		"cmd=put key=a\x01 value=b",
		"cmd=init\r",
		"cmd=bad.name",
	} {
		m := raw.callMsg(line + "\n")
		assert.Equal(t, "error", m.cmd, "reply to %q", line)
		assert.Equal(t, "-1", val(t, m, "rc"))
	}
	assert.True(t, rec.logged("does not start with cmd="))
	assert.True(t, rec.logged("non-printable"))
	assert.Equal(t, "0", val(t, raw.callMsg("cmd=init pmi_version=1 pmi_subversion=1\n"), "rc"))
}

func TestServerOversizedLineClosesConnection(t *testing.T) {
	rec := newRecorder()
	s := newTestServer(t, rec.config(ServerConfig{Size: 1}))
	raw, done := rawPipe(t, s, 0)
	// Written from a goroutine: the server stops reading mid-line, so a
	// synchronous write on net.Pipe would block.
	go raw.conn.Write([]byte("cmd=put key=k value=" + strings.Repeat("v", 2*MaxLineLen) + "\n"))
	reply, err := raw.recvLine()
	require.NoError(t, err)
	assert.Equal(t, "cmd=error rc=-1 msg=line_too_long", reply)
	raw.expectEOF()
	err = recv(t, "ServeConn", done)
	require.ErrorIs(t, err, ErrProtocol)
	assert.True(t, rec.logged("line too long"))
	assert.Equal(t, closeEvent{0, false}, recv(t, "OnClose", rec.closes))
}

func TestServerAbort(t *testing.T) {
	rec := newRecorder()
	s := newTestServer(t, rec.config(ServerConfig{Size: 2}))
	raw0, _ := rawPipe(t, s, 0)
	raw0.send("cmd=abort exitcode=7 message=it broke: badly\n")
	assert.Equal(t, abortEvent{0, 7, "it broke: badly"}, recv(t, "OnAbort", rec.aborts))
	raw0.expectEOF()
	assert.Equal(t, closeEvent{0, false}, recv(t, "OnClose", rec.closes))

	// exitcode defaults to 1 and message is optional.
	raw1, _ := rawPipe(t, s, 1)
	raw1.send("cmd=abort\n")
	assert.Equal(t, abortEvent{1, 1, ""}, recv(t, "OnAbort", rec.aborts))
}

func TestServerOnClose(t *testing.T) {
	rec := newRecorder()
	s := newTestServer(t, rec.config(ServerConfig{Size: 2}))

	raw0, done0 := rawPipe(t, s, 0)
	raw0.callMsg("cmd=finalize\n")
	raw0.conn.Close()
	assert.Equal(t, closeEvent{0, true}, recv(t, "OnClose", rec.closes))
	require.NoError(t, recv(t, "ServeConn", done0))

	raw1, done1 := rawPipe(t, s, 1)
	raw1.callMsg("cmd=init pmi_version=1 pmi_subversion=1\n")
	raw1.conn.Close()
	assert.Equal(t, closeEvent{1, false}, recv(t, "OnClose", rec.closes))
	require.NoError(t, recv(t, "ServeConn", done1))
}

func TestServeConnRefusesBadRanks(t *testing.T) {
	s := newTestServer(t, ServerConfig{Size: 2})
	first, _ := rawPipe(t, s, 0)
	first.callMsg("cmd=get_maxes\n") // rank 0 is now claimed

	for _, rank := range []int{-1, 2} {
		_, done := serveOverPipe(t, s, rank)
		require.ErrorIs(t, recv(t, "ServeConn", done), ErrInvalid, "rank %d", rank)
	}
	cli, done := serveOverPipe(t, s, 0)
	require.ErrorIs(t, recv(t, "ServeConn", done), ErrInvalid, "second connection for rank 0")
	_, err := cli.Read(make([]byte, 1))
	require.Error(t, err, "refused connection is closed")
}

func TestServerCloseReleasesBarrier(t *testing.T) {
	rec := newRecorder()
	s, err := NewServer(rec.config(ServerConfig{Size: 3}))
	require.NoError(t, err)
	raw0, _ := rawPipe(t, s, 0)
	raw1, _ := rawPipe(t, s, 1)
	// Rank 2 never connects; ranks 0 and 1 wait in the barrier.
	raw0.send("cmd=barrier_in\n")
	raw1.send("cmd=barrier_in\n")
	// Make sure both are inside before closing: a put/get exchange from a
	// third party would not do (lock-step), so watch the job directly.
	require.Eventually(t, func() bool {
		s.job.mu.Lock()
		defer s.job.mu.Unlock()
		return s.job.bar.entered == 2
	}, testTimeout, eventuallyTick)

	within(t, "Close", s.Close)
	for _, raw := range []*rawConn{raw0, raw1} {
		reply, err := raw.recvLine()
		if err == nil {
			assert.Equal(t, "cmd=barrier_out rc=-1 msg=server_closed", reply)
		}
		raw.expectEOF()
	}
	// Shut down by Close, so no OnClose.
	select {
	case ev := <-rec.closes:
		t.Fatalf("unexpected OnClose %+v", ev)
	default:
	}
	require.NoError(t, s.Close(), "idempotent")
	_, err = s.RankConn(2)
	require.ErrorIs(t, err, ErrClosed)
	_, err = s.ListenPort("127.0.0.1:0")
	require.ErrorIs(t, err, ErrClosed)
	_, done := serveOverPipe(t, s, 2)
	require.ErrorIs(t, recv(t, "ServeConn", done), ErrClosed)
}

func TestServerBarrierFailsWhenRankLeaves(t *testing.T) {
	s := newTestServer(t, ServerConfig{Size: 3})
	raw0, _ := rawPipe(t, s, 0)
	raw1, _ := rawPipe(t, s, 1)
	raw2, _ := rawPipe(t, s, 2)
	raw0.send("cmd=barrier_in\n")
	// Rank 2 disconnects without entering: rank 0 must not wait forever.
	raw2.conn.Close()
	reply, err := raw0.recvLine()
	require.NoError(t, err)
	assert.Equal(t, "cmd=barrier_out rc=-1 msg=barrier_failed_rank_2_disconnected", reply)
	// Later barriers fail at once.
	m := raw1.callMsg("cmd=barrier_in\n")
	assert.Equal(t, "-1", val(t, m, "rc"))
}

func TestServerBarrierRankDiesInside(t *testing.T) {
	rec := newRecorder()
	s := newTestServer(t, rec.config(ServerConfig{Size: 3}))
	raw0, _ := rawPipe(t, s, 0)
	raw1, _ := rawPipe(t, s, 1)
	raw0.send("cmd=barrier_in\n")
	raw1.send("cmd=barrier_in\n")
	require.Eventually(t, func() bool {
		s.job.mu.Lock()
		defer s.job.mu.Unlock()
		return s.job.bar.entered == 2
	}, testTimeout, eventuallyTick)
	// Rank 1 dies while waiting: the server notices although it is not
	// reading requests, and rank 0's barrier fails.
	raw1.conn.Close()
	assert.Equal(t, closeEvent{1, false}, recv(t, "OnClose", rec.closes))
	reply, err := raw0.recvLine()
	require.NoError(t, err)
	assert.Equal(t, "cmd=barrier_out rc=-1 msg=barrier_failed_rank_1_disconnected", reply)
}

func TestServerAbortWhileInBarrier(t *testing.T) {
	rec := newRecorder()
	s := newTestServer(t, rec.config(ServerConfig{Size: 2}))
	raw0, _ := rawPipe(t, s, 0)
	raw0.send("cmd=barrier_in\n")
	raw0.send("cmd=abort exitcode=3\n")
	assert.Equal(t, abortEvent{0, 3, ""}, recv(t, "OnAbort", rec.aborts))
	raw0.expectEOF()
}

func TestServerPipelinedRequestInBarrierClosesConnection(t *testing.T) {
	rec := newRecorder()
	s := newTestServer(t, rec.config(ServerConfig{Size: 2}))
	raw0, done := rawPipe(t, s, 0)
	raw0.send("cmd=barrier_in\n")
	raw0.send("cmd=get_maxes\n")
	raw0.expectEOF()
	require.ErrorIs(t, recv(t, "ServeConn", done), ErrProtocol)
	assert.True(t, rec.logged("while barrier_in pending"))
}

// TestServerRepliesCarryRCFirst checks the reply format over every command.
func TestServerRepliesCarryRCFirst(t *testing.T) {
	s := newTestServer(t, ServerConfig{Size: 1})
	raw, _ := rawPipe(t, s, 0)
	re := regexp.MustCompile(`^cmd=[a-z_]+ rc=-?\d+( |$)`)
	for _, req := range []string{
		"cmd=init pmi_version=1 pmi_subversion=1", "cmd=get_maxes", "cmd=get_universe_size",
		"cmd=get_appnum", "cmd=get_my_kvsname", "cmd=put key=a value=b", "cmd=get key=a",
		"cmd=get key=zz", "cmd=barrier_in", "cmd=what", "junk", "cmd=finalize",
	} {
		assert.Regexp(t, re, raw.call(req+"\n"), "reply to %q", req)
	}
}

// TestServerRankConnSocketpair drives a Server through real socket pairs,
// the way spmdrun connects its children.
func TestServerRankConnSocketpair(t *testing.T) {
	rec := newRecorder()
	s := newTestServer(t, rec.config(ServerConfig{Size: 2}))
	f, err := s.RankConn(0)
	require.NoError(t, err)
	_, err = s.RankConn(0)
	require.ErrorIs(t, err, ErrInvalid, "one connection per rank")
	_, err = s.RankConn(5)
	require.ErrorIs(t, err, ErrInvalid)

	conn, err := net.FileConn(f)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	raw := newRaw(t, conn)
	assert.Equal(t, "cmd=response_to_init rc=0 pmi_version=1 pmi_subversion=1",
		raw.call("cmd=init pmi_version=1 pmi_subversion=1\n"))
	conn.Close()
	assert.Equal(t, closeEvent{0, false}, recv(t, "OnClose", rec.closes))
}

// TestServerCallbackMayCloseServer guards against a deadlock: a launcher
// typically shuts the server down from OnAbort.
func TestServerCallbackMayCloseServer(t *testing.T) {
	s, err := NewServer(ServerConfig{Size: 2})
	require.NoError(t, err)
	closed := make(chan error, 1)
	s.cfg.OnAbort = func(rank, code int, msg string) { closed <- s.Close() }
	f, err := s.RankConn(0)
	require.NoError(t, err)
	conn, err := net.FileConn(f)
	require.NoError(t, err)
	f.Close()
	defer conn.Close()
	_, err = conn.Write([]byte("cmd=abort exitcode=2\n"))
	require.NoError(t, err)
	require.NoError(t, recv(t, "Close from OnAbort", closed))
}

func TestServerLogfNilIsFine(t *testing.T) {
	s := newTestServer(t, ServerConfig{Size: 1})
	raw, _ := rawPipe(t, s, 0)
	assert.Equal(t, "error", raw.callMsg("garbage\n").cmd)
	assert.Equal(t, fmt.Sprint(1), val(t, raw.callMsg("cmd=get_universe_size\n"), "size"))
}

func TestServerOnPut(t *testing.T) {
	puts := make(chan [3]string, 2)
	s := newTestServer(t, ServerConfig{Size: 1, OnPut: func(rank int, k, v string) {
		puts <- [3]string{fmt.Sprint(rank), k, v}
	}})
	raw, _ := rawPipe(t, s, 0)
	raw.callMsg("cmd=put kvsname=" + s.KVSName() + " key=spmd-lost-0 value=3\n")
	assert.Equal(t, [3]string{"0", "spmd-lost-0", "3"}, recv(t, "OnPut", puts))
	raw.callMsg("cmd=put kvsname=" + s.KVSName() + " key=spmd-lost-0 value=4\n") // refused: no callback
	select {
	case p := <-puts:
		t.Fatalf("OnPut called for a refused put: %v", p)
	default:
	}
}

// OnRequest sees every well-formed request before it is served, and
// OnBarrierOut only a barrier that succeeded, after its reply.
func TestServerOnRequestAndOnBarrierOut(t *testing.T) {
	events := make(chan string, 16)
	s := newTestServer(t, ServerConfig{Size: 2,
		OnRequest:    func(rank int, cmd string) { events <- fmt.Sprint(rank, " ", cmd) },
		OnBarrierOut: func(rank int) { events <- fmt.Sprint(rank, " out") },
	})
	raw0, _ := rawPipe(t, s, 0)
	raw1, _ := rawPipe(t, s, 1)
	raw0.callMsg("cmd=get_maxes\n")
	assert.Equal(t, "0 get_maxes", recv(t, "OnRequest", events))
	raw0.callMsg("hello\n") // malformed: not reported
	raw0.send("cmd=barrier_in\n")
	assert.Equal(t, "0 barrier_in", recv(t, "OnRequest", events))
	raw1.callMsg("cmd=barrier_in\n")
	_, err := raw0.recvLine()
	require.NoError(t, err)
	got := []string{recv(t, "event", events), recv(t, "event", events), recv(t, "event", events)}
	assert.ElementsMatch(t, []string{"1 barrier_in", "0 out", "1 out"}, got)
	raw0.callMsg("cmd=finalize\n")
	assert.Equal(t, "0 finalize", recv(t, "OnRequest", events))

	// A barrier that fails is no barrier out.
	raw1.conn.Close()
	m := raw0.callMsg("cmd=barrier_in\n")
	assert.Equal(t, "-1", val(t, m, "rc"))
	assert.Equal(t, "0 barrier_in", recv(t, "OnRequest", events))
	select {
	case e := <-events:
		t.Fatalf("unexpected event after a failed barrier: %s", e)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestServerOmitProcessMapping(t *testing.T) {
	s := newTestServer(t, ServerConfig{Size: 1, OmitProcessMapping: true})
	c := pipeClient(t, s, 0, 1)
	_, err := c.Get("PMI_process_mapping")
	assert.ErrorIs(t, err, ErrKeyNotFound)
	v, err := c.Get("universeSize")
	require.NoError(t, err)
	assert.Equal(t, "1", v)
}
