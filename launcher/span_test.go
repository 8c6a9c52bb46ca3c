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

func TestSpanPrefersTheRanksOwnMarks(t *testing.T) {
	sp := NewSpan(1)
	s0, r0 := spanPipe(t, sp, 0)
	send(t, s0, r0, "cmd=barrier_in\n")
	reply(t, s0, r0, "cmd=barrier_out rc=0\n")
	time.Sleep(20 * time.Millisecond) // wire-up after the fence: not counted
	send(t, s0, r0, "cmd=put kvsname=k key=spmd-span-init-0 value=1\n")
	time.Sleep(30 * time.Millisecond) // the program's work
	send(t, s0, r0, "cmd=put kvsname=k key=spmd-span-fin-0 value=1\n")
	time.Sleep(20 * time.Millisecond) // teardown: not counted
	send(t, s0, r0, "cmd=finalize\n")
	rep := sp.Report()
	require.NotNil(t, rep.AppS)
	assert.Equal(t, 1, rep.Marked)
	assert.GreaterOrEqual(t, *rep.AppS, 0.03)
	assert.Less(t, *rep.AppS, 0.065, "neither wire-up nor teardown counted")
}

func TestSpanTakesTheRanksClockFromTheMark(t *testing.T) {
	sp := NewSpan(1)
	s0, r0 := spanPipe(t, sp, 0)
	send(t, s0, r0, "cmd=init pmi_version=1 pmi_subversion=1\n")
	t0 := time.Now()
	time.Sleep(5 * time.Millisecond)
	start := time.Now()
	end := start.Add(40 * time.Millisecond)
	send(t, s0, r0, fmt.Sprintf("cmd=put kvsname=k key=spmd-span-init-0 value=%d\n", start.UnixNano()))
	time.Sleep(45 * time.Millisecond)
	send(t, s0, r0, fmt.Sprintf("cmd=put kvsname=k key=spmd-span-fin-0 value=%d\n", end.UnixNano()))
	send(t, s0, r0, "cmd=finalize\n")
	rep := sp.Report()
	require.NotNil(t, rep.AppS)
	assert.InDelta(t, 0.040, *rep.AppS, 1e-6)

	// A value before the rank's first request, or not a number, is not trusted.
	sp = NewSpan(1)
	s0, r0 = spanPipe(t, sp, 0)
	send(t, s0, r0, "cmd=init pmi_version=1 pmi_subversion=1\n")
	send(t, s0, r0, fmt.Sprintf("cmd=put kvsname=k key=spmd-span-init-0 value=%d\n", t0.Add(-time.Hour).UnixNano()))
	send(t, s0, r0, "cmd=put kvsname=k key=spmd-span-fin-0 value=soon\n")
	send(t, s0, r0, "cmd=finalize\n")
	rep = sp.Report()
	require.NotNil(t, rep.AppS)
	assert.Less(t, *rep.AppS, 1.0)
	assert.GreaterOrEqual(t, *rep.AppS, 0.0)
}

func TestSpanNilWatchesNothing(t *testing.T) {
	var sp *Span
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	assert.Equal(t, a, sp.watch(0, a))
}
