package launcher

import (
	"bytes"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// held builds a held failure of rank, of kind, observed ms milliseconds
// after an arbitrary moment.
func held(rank int, kind FailureKind, ms int, consequence bool) heldFailure {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return heldFailure{f: &Failure{Kind: kind, Rank: rank}, at: t0.Add(time.Duration(ms) * time.Millisecond), consequence: consequence}
}

func onHost(h heldFailure, host string) heldFailure {
	h.f.Host = host
	return h
}

func TestBlame(t *testing.T) {
	for _, c := range []struct {
		name string
		held []heldFailure
		want int
	}{
		{"one", []heldFailure{held(3, RankExited, 0, false)}, 0},
		{"earliest observed", []heldFailure{held(1, RankExited, 5, false), held(2, RankSignaled, 2, false), held(0, RankExited, 9, false)}, 1},
		{"a cause before an earlier consequence",
			[]heldFailure{held(1, RankExited, 1, true), held(2, RankSignaled, 40, false), held(3, RankExited, 2, true)}, 1},
		{"only consequences: the earliest", []heldFailure{held(1, RankExited, 7, true), held(3, RankExited, 4, true)}, 1},
		{"a rank's abort before its own earlier exit",
			[]heldFailure{held(2, RankSignaled, 1, false), held(2, RankAborted, 6, false)}, 1},
		{"another rank's abort does not beat an earlier exit",
			[]heldFailure{held(1, RankExited, 1, false), held(2, RankAborted, 6, false)}, 0},
		{"an abort wins a tie with an exit",
			[]heldFailure{held(1, RankExited, 3, false), held(2, RankAborted, 3, false)}, 1},
		{"a tie between exits: the first held",
			[]heldFailure{held(4, RankExited, 3, false), held(2, RankExited, 3, false)}, 0},
		{"a lost host counts as an exit",
			[]heldFailure{held(5, HostLost, 2, false), held(1, RankExited, 8, true)}, 0},
		{"a lost host explains an earlier error exit elsewhere",
			[]heldFailure{onHost(held(5, RankExited, 1, false), "h3"), onHost(held(0, HostLost, 9, false), "h1")}, 1},
		{"but not an earlier signal",
			[]heldFailure{onHost(held(5, RankSignaled, 1, false), "h3"), onHost(held(0, HostLost, 9, false), "h1")}, 0},
		{"nor an exit on its own host",
			[]heldFailure{onHost(held(1, RankExited, 1, false), "h1"), onHost(held(0, HostLost, 9, false), "h1")}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, blame(c.held))
		})
	}
}

func TestKeepSettling(t *testing.T) {
	cons := []heldFailure{held(1, RankExited, 0, true), held(2, RankExited, 1, true)}
	mixed := []heldFailure{held(1, RankExited, 0, true), held(2, RankSignaled, 1, false)}
	for _, c := range []struct {
		name    string
		held    []heldFailure
		running int
		waited  time.Duration
		want    bool
	}{
		{"only consequences, ranks running", cons, 2, settleWait, true},
		{"a cause is held", mixed, 2, settleWait, false},
		{"no rank left to be the cause", cons, 0, settleWait, false},
		{"waited settleMax", cons, 2, settleMax, false},
		{"just under settleMax", cons, 1, settleMax - time.Millisecond, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, keepSettling(c.held, c.running, c.waited))
		})
	}
}

// clockedSupervisor is a supervisor of n ranks, all counted as running,
// on a fake clock, with no process behind any rank: the tests post its
// events and fire its timers by hand.
func clockedSupervisor(n int, grace time.Duration) (*supervisor, *fakeClock, *bytes.Buffer) {
	var stderr bytes.Buffer
	s := newSupervisor(&Job{Program: "prog", N: n, Grace: grace, Stderr: &stderr})
	fc := newFakeClock()
	s.clock = fc
	s.running = n
	return s, fc, &stderr
}

func exitEvent(rank, code int, sig syscall.Signal, at time.Time) event {
	return event{kind: evExit, rank: rank, pid: 100 + rank, at: at,
		status: exitStatus{known: true, code: code, signal: sig}}
}

// TestSettleWaitsForTheCause: a rank that saw a peer die fails first; the
// window is extended until the rank that died is reaped, which is then
// blamed; the grace period and the final wait follow on the clock.
func TestSettleWaitsForTheCause(t *testing.T) {
	s, fc, stderr := clockedSupervisor(3, 2*time.Second)
	s.pmi[1].sawLoss.Store(true)
	s.handle(exitEvent(1, 1, 0, fc.Now()))
	require.NotNil(t, s.settleT, "the first failure opens the window")
	assert.Nil(t, s.cause)

	fc.Advance(settleWait - time.Millisecond)
	assert.False(t, fired(s.settleT))
	fc.Advance(time.Millisecond)
	require.True(t, fired(s.settleT))
	s.onSettleTimer()
	assert.Nil(t, s.cause, "only a consequence is held: the window is extended")
	require.NotNil(t, s.settleT)

	fc.Advance(30 * time.Millisecond)
	s.handle(exitEvent(2, 0, syscall.SIGKILL, fc.Now()))
	fc.Advance(settleWait)
	require.True(t, fired(s.settleT))
	s.onSettleTimer()
	require.NotNil(t, s.cause)
	assert.Equal(t, RankSignaled, s.cause.Kind)
	assert.Equal(t, 2, s.cause.Rank)
	assert.Equal(t, 128+int(syscall.SIGKILL), s.cause.Code)
	assert.Equal(t, "spmdrun: rank 2 (pid 102) killed by signal SIGKILL; ending the job\n", stderr.String())
	assert.Nil(t, s.settleT)

	// Rank 0 still runs: SIGTERM now, SIGKILL after the grace period.
	require.NotNil(t, s.graceT)
	assert.False(t, s.killed)
	fc.Advance(2*time.Second - time.Millisecond)
	assert.False(t, fired(s.graceT))
	fc.Advance(time.Millisecond)
	require.True(t, fired(s.graceT))
	s.onGraceTimer()
	assert.True(t, s.killed)
	require.NotNil(t, s.killT)
	fc.Advance(killWait)
	assert.True(t, fired(s.killT))
}

// TestSettleMaxBoundsTheWait: when every failure held is a consequence and
// the cause never shows, the window ends after settleMax, blaming the
// earliest observed.
func TestSettleMaxBoundsTheWait(t *testing.T) {
	s, fc, _ := clockedSupervisor(3, 2*time.Second)
	t0 := fc.Now()
	s.pmi[0].sawLoss.Store(true)
	s.pmi[1].sawLoss.Store(true)
	s.handle(exitEvent(0, 1, 0, t0.Add(time.Millisecond)))
	s.handle(exitEvent(1, 1, 0, t0))
	extensions := 0
	for s.cause == nil {
		require.Less(t, extensions, 100, "the window never closes")
		fc.Advance(settleWait)
		require.True(t, fired(s.settleT))
		s.onSettleTimer()
		extensions++
	}
	assert.Equal(t, settleMax, fc.Now().Sub(t0))
	assert.Equal(t, int(settleMax/settleWait), extensions)
	assert.Equal(t, 1, s.cause.Rank)
}

// TestSettleEndsWhenNoRankRuns: with every rank ended, consequences are
// all there is: the window is not extended.
func TestSettleEndsWhenNoRankRuns(t *testing.T) {
	s, fc, stderr := clockedSupervisor(2, 2*time.Second)
	s.pmi[0].sawLoss.Store(true)
	s.pmi[1].sawLoss.Store(true)
	s.handle(exitEvent(1, 3, 0, fc.Now()))
	s.handle(exitEvent(0, 1, 0, fc.Now().Add(time.Millisecond)))
	fc.Advance(settleWait)
	require.True(t, fired(s.settleT))
	s.onSettleTimer()
	require.NotNil(t, s.cause)
	assert.Equal(t, 1, s.cause.Rank)
	assert.Equal(t, 3, s.cause.Code)
	assert.Nil(t, s.graceT, "nothing left to end")
	assert.Equal(t, "spmdrun: rank 1 (pid 101) exited with code 3\n", stderr.String())
}

// TestNoGraceKillsAtOnce: a negative grace period sends SIGKILL with the
// first failure.
func TestNoGraceKillsAtOnce(t *testing.T) {
	s, fc, _ := clockedSupervisor(2, -1)
	s.handle(event{kind: evAbort, rank: 0, code: 7, msg: "bad input", at: fc.Now()})
	fc.Advance(settleWait)
	require.True(t, fired(s.settleT))
	s.onSettleTimer()
	require.NotNil(t, s.cause)
	assert.Equal(t, RankAborted, s.cause.Kind)
	assert.Equal(t, 7, s.cause.Code)
	assert.Nil(t, s.graceT)
	assert.True(t, s.killed)
	assert.NotNil(t, s.killT)
}

// TestExitFailure: how a rank's exit reads as a failure, and the exit code
// the job gets when it is blamed.
func TestExitFailure(t *testing.T) {
	for _, c := range []struct {
		name     string
		e        event
		kind     FailureKind
		code     int
		status   int
		signal   syscall.Signal
		succeeds bool
	}{
		{name: "exit 0", e: event{status: exitStatus{known: true}}, succeeds: true},
		{name: "exit 0 after finalize-less close", e: event{status: exitStatus{known: true}, unfinalized: true}, kind: RankNoFinalize, code: 1},
		{name: "exit 3", e: event{status: exitStatus{known: true, code: 3}}, kind: RankExited, code: 3, status: 3},
		{name: "exit 3 beats a missing finalize", e: event{status: exitStatus{known: true, code: 3}, unfinalized: true}, kind: RankExited, code: 3, status: 3},
		{name: "SIGKILL", e: event{status: exitStatus{known: true, signal: syscall.SIGKILL}}, kind: RankSignaled, code: 137, signal: syscall.SIGKILL},
		{name: "status unknown", e: event{}, kind: RankExited, code: 1, status: 1},
		{name: "never started", e: event{never: true, msg: "prog: no such file"}, kind: CannotRun, code: ExitCannotRun},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.e.kind, c.e.rank, c.e.pid = evExit, 2, 42
			f := exitFailure(c.e)
			if c.succeeds {
				assert.Nil(t, f)
				return
			}
			require.NotNil(t, f)
			assert.Equal(t, c.kind, f.Kind)
			assert.Equal(t, c.code, f.Code)
			assert.Equal(t, c.status, f.Status)
			assert.Equal(t, c.signal, f.Signal)
			assert.Equal(t, 2, f.Rank)
			assert.Equal(t, 42, f.Pid)
		})
	}
}

// TestAbortExitCode: abort codes that would read as success or wrap
// around become 1.
func TestAbortExitCode(t *testing.T) {
	for in, want := range map[int]int{0: 1, -1: 1, 1: 1, 7: 7, 255: 255, 256: 1, 1 << 20: 1} {
		assert.Equal(t, want, abortExitCode(in), "abort code %d", in)
	}
}

func TestIsConsequence(t *testing.T) {
	t0 := time.Unix(100, 0)
	for _, tc := range []struct {
		name     string
		sawLoss  bool
		notified time.Time
		at       time.Time
		want     bool
	}{
		{"independent failure", false, time.Time{}, t0, false},
		{"reported a lost peer", true, time.Time{}, t0, true},
		{"failed after being told", false, t0, t0.Add(time.Millisecond), true},
		{"failed as it was told", false, t0, t0, true},
		// It died before the launcher's notice could have reached it: its
		// failure is its own, even if it is handled after the notice.
		{"failed before being told", false, t0, t0.Add(-time.Millisecond), false},
	} {
		assert.Equal(t, tc.want, isConsequence(tc.sawLoss, tc.notified, tc.at), tc.name)
	}
}
