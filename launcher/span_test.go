package launcher

import (
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// spanPipe returns a watched server end and the rank's end of a connection.
func spanPipe(t *testing.T, sp *Span, rank int) (server, rankEnd net.Conn) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return sp.watch(rank, a), b
}

// send writes chunks from the rank's end and reads them at the server's.
func send(t *testing.T, server, rankEnd net.Conn, chunks ...string) {
	t.Helper()
	for _, c := range chunks {
		go func() { _, _ = rankEnd.Write([]byte(c)) }()
		buf := make([]byte, len(c))
		_, err := io.ReadFull(server, buf)
		require.NoError(t, err)
	}
}

// reply writes line from the server's end and drains it at the rank's.
func reply(t *testing.T, server, rankEnd net.Conn, line string) {
	t.Helper()
	go func() { _, _ = io.ReadFull(rankEnd, make([]byte, len(line))) }()
	_, err := server.Write([]byte(line))
	require.NoError(t, err)
}

func TestSpanFromLastFenceToLastFinalize(t *testing.T) {
	sp := NewSpan(2)
	s0, r0 := spanPipe(t, sp, 0)
	s1, r1 := spanPipe(t, sp, 1)
	assert.Nil(t, sp.Report().AppS, "nothing seen yet")

	send(t, s0, r0, "cmd=barrier_in\n")
	reply(t, s0, r0, "cmd=barrier_out rc=0\n")
	reply(t, s1, r1, "cmd=barrier_out rc=0\n")
	reply(t, s1, r1, "cmd=barrier_out rc=-1 msg=x\n") // a failed barrier is no fence
	// finalize split across reads, after a put on the same line stream
	send(t, s0, r0, "cmd=put kvsname=k key=a value=b\ncmd=fin", "alize\n")
	rep := sp.Report()
	assert.Equal(t, 1, rep.Timed)
	require.NotNil(t, rep.AppS)
	assert.Nil(t, rep.FinalizeOffsetsS[1])

	send(t, s1, r1, "cmd=finalize\n")
	rep = sp.Report()
	assert.Equal(t, 2, rep.Timed)
	require.NotNil(t, rep.AppS)
	assert.GreaterOrEqual(t, *rep.AppS, 0.0)
	assert.InDelta(t, *rep.AppS, *rep.FinalizeOffsetsS[1], 1e-9, "rank 1 finalized last")
	assert.Equal(t, sp.watch(5, s0), s0, "a rank outside the job is not watched")
}

func TestSpanOfARankWithoutFenceStartsAtItsFirstRequest(t *testing.T) {
	sp := NewSpan(1)
	s0, r0 := spanPipe(t, sp, 0)
	send(t, s0, r0, "cmd=init pmi_version=1 pmi_subversion=1\n")
	assert.Nil(t, sp.Report().AppS)
	send(t, s0, r0, "cmd=finalize\n")
	rep := sp.Report()
	require.NotNil(t, rep.AppS)
	assert.Equal(t, 1, rep.Timed)
}

func TestSpanTakesTheRanksOwnReport(t *testing.T) {
	sp := NewSpan(2)
	s0, r0 := spanPipe(t, sp, 0)
	s1, r1 := spanPipe(t, sp, 1)
	send(t, s0, r0, "cmd=init pmi_version=1 pmi_subversion=1\n")
	send(t, s1, r1, "cmd=init pmi_version=1 pmi_subversion=1\n")
	send(t, s0, r0, "cmd=barrier_in\n")
	reply(t, s0, r0, "cmd=barrier_out rc=0\n")
	time.Sleep(20 * time.Millisecond) // wire-up after the fence: not counted
	init0 := time.Now()
	init1 := init0.Add(time.Millisecond)
	fin0, fin1 := init0.Add(30*time.Millisecond), init0.Add(35*time.Millisecond)
	time.Sleep(40 * time.Millisecond)
	send(t, s0, r0, fmt.Sprintf("cmd=put kvsname=k key=spmd-span-0 value=%d:%d\n", init0.UnixNano(), fin0.UnixNano()))
	send(t, s1, r1, fmt.Sprintf("cmd=put kvsname=k key=spmd-span-1 value=%d:%d\n", init1.UnixNano(), fin1.UnixNano()))
	time.Sleep(20 * time.Millisecond) // teardown: not counted
	send(t, s0, r0, "cmd=finalize\n")
	send(t, s1, r1, "cmd=finalize\n")
	rep := sp.Report()
	require.NotNil(t, rep.AppS)
	assert.Equal(t, 2, rep.Marked)
	assert.InDelta(t, 0.034, *rep.AppS, 1e-6, "from the last init to the last fin")
	assert.InDelta(t, 0.029, *rep.FinalizeOffsetsS[0], 1e-6)
}

func TestSpanDistrustsImplausibleReports(t *testing.T) {
	for _, value := range []string{"soon", "1:2", "5", "backwards", "future"} {
		sp := NewSpan(1)
		s0, r0 := spanPipe(t, sp, 0)
		send(t, s0, r0, "cmd=init pmi_version=1 pmi_subversion=1\n")
		now := time.Now()
		switch value {
		case "backwards":
			value = fmt.Sprintf("%d:%d", now.UnixNano(), now.Add(-time.Second).UnixNano())
		case "future":
			value = fmt.Sprintf("%d:%d", now.UnixNano(), now.Add(time.Hour).UnixNano())
		}
		send(t, s0, r0, "cmd=put kvsname=k key=spmd-span-0 value="+value+"\n")
		send(t, s0, r0, "cmd=finalize\n")
		rep := sp.Report()
		require.NotNil(t, rep.AppS, value)
		assert.Equal(t, 0, rep.Marked, value)
		assert.GreaterOrEqual(t, *rep.AppS, 0.0, value)
		assert.Less(t, *rep.AppS, 1.0, value)
	}
}

func TestSpanOfARankThatDoesNotReportStartsAtItsLastFence(t *testing.T) {
	sp := NewSpan(1)
	s0, r0 := spanPipe(t, sp, 0)
	send(t, s0, r0, "cmd=init pmi_version=1 pmi_subversion=1\n")
	time.Sleep(30 * time.Millisecond) // before the fence: not counted
	send(t, s0, r0, "cmd=barrier_in\n")
	reply(t, s0, r0, "cmd=barrier_out rc=0\n")
	send(t, s0, r0, "cmd=finalize\n")
	rep := sp.Report()
	require.NotNil(t, rep.AppS)
	assert.Less(t, *rep.AppS, 0.025)
	assert.Equal(t, 0, rep.Marked)
}

func TestSpanNilWatchesNothing(t *testing.T) {
	var sp *Span
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	assert.Equal(t, a, sp.watch(0, a))
}
