package launcher

import "time"

// Failure attribution: which of several rank failures a job's notice
// names, and so whose exit code the job exits with.
//
// When one rank dies its peers notice within milliseconds and often fail
// too, and the watchers post those exits in goroutine-scheduling order,
// not exit order. So the supervisor holds the first rank failure back for
// a settle window (settleWait), collecting the ones that follow, and then
// blames the one that best explains the others. spmd ranks put a
// "lost peer" key when they see a peer die, and the launcher tells ranks
// of a loss itself (lossnotify.go): a failure of such a rank is a
// consequence, and while every held failure is one and ranks still run,
// the window is extended (up to settleMax), since the rank that died
// first is still to be reaped.
//
// The decisions are pure functions of what was held (blame,
// keepSettling), tested by table; the supervisor only feeds them.

// heldFailure is a rank failure held back while the settle window lasts.
type heldFailure struct {
	f  *Failure
	at time.Time // when it was observed: the exit reaped, the abort read, the host lost
	// consequence is set when the decision is made: the failing rank had
	// reported a lost peer by then, so its failure may follow another's.
	consequence bool
}

// blame returns the index in held, which must not be empty, of the
// failure that best explains the others (see explainsBetter); the first
// held wins ties.
func blame(held []heldFailure) int {
	best := 0
	for i := 1; i < len(held); i++ {
		if explainsBetter(held[i], held[best]) {
			best = i
		}
	}
	return best
}

// explainsBetter reports whether a explains the job's end better than b:
// a rank's abort explains its own exit, whatever the clocks say; a lost
// host explains another rank's exit with an error code (see
// hostLossExplains); then a failure that is not a consequence beats one
// that is; then the earlier observed wins, and at the same moment an
// abort wins over an exit.
func explainsBetter(a, b heldFailure) bool {
	// The PMI server closes an aborting rank's connection before it
	// reports the abort, and MPICH's MPI_Abort, finding the connection
	// closed, carries on and dies of SIGPIPE at its next PMI write: its
	// exit can be observed first.
	if a.f.Rank == b.f.Rank && a.f.Kind != b.f.Kind && (a.f.Kind == RankAborted || b.f.Kind == RankAborted) {
		return a.f.Kind == RankAborted
	}
	if hostLossExplains(a, b) != hostLossExplains(b, a) {
		return hostLossExplains(a, b)
	}
	if a.consequence != b.consequence {
		return b.consequence
	}
	return a.at.Before(b.at) || a.at.Equal(b.at) && a.f.Kind == RankAborted
}

// hostLossExplains reports whether a, a lost host, explains b, a rank
// elsewhere that exited with an error code within the same settle window.
// The ranks of a host whose proxy dies die with it, and their peers on
// other hosts see their connections close and fail at once; that exit
// travels to the launcher through another proxy and can arrive before the
// lost host is noticed, and a rank served by a proxy cannot say in time
// that it saw a peer die first. A rank killed by a signal or aborting is
// left to the clocks: it may well have failed on its own.
func hostLossExplains(a, b heldFailure) bool {
	return a.f.Kind == HostLost && b.f.Kind == RankExited && b.f.Host != a.f.Host
}

// keepSettling reports whether the settle window, open for waited so far,
// should be extended when it ends: while running ranks remain and every
// held failure is a consequence (the cause is among the running), up to
// settleMax.
func keepSettling(held []heldFailure, running int, waited time.Duration) bool {
	if running == 0 || waited >= settleMax {
		return false
	}
	for _, h := range held {
		if !h.consequence {
			return false
		}
	}
	return true
}

// exitFailure classifies a rank's exit, with the exit code the job gets
// if it is blamed; nil means success.
func exitFailure(e event) *Failure {
	f := &Failure{Rank: e.rank, Pid: e.pid}
	st := e.status
	switch {
	case e.never:
		f.Kind, f.Code, f.Message = CannotRun, ExitCannotRun, e.msg
	case !st.known:
		f.Kind, f.Code, f.Status = RankExited, 1, 1
	case st.signal != 0:
		f.Kind, f.Signal, f.Code = RankSignaled, st.signal, signalExitCode(st.signal)
	case st.code != 0:
		f.Kind, f.Code, f.Status = RankExited, st.code, st.code
	case e.unfinalized:
		f.Kind, f.Code = RankNoFinalize, 1
	default:
		return nil
	}
	return f
}

// hold keeps a rank failure until the settle window, opened by the first,
// ends.
func (s *supervisor) hold(f *Failure, at time.Time) {
	s.pending = append(s.pending, heldFailure{f: f, at: at})
	if s.settleT == nil && s.cause == nil {
		s.settleT = s.clock.NewTimer(settleWait)
		s.settleStart = s.clock.Now()
	}
}

// onSettleTimer handles the end of the settle window: extended if
// keepSettling says so, else the blamed failure ends the job.
func (s *supervisor) onSettleTimer() {
	s.settleT = nil
	s.markConsequences()
	if keepSettling(s.pending, s.running, s.clock.Now().Sub(s.settleStart)) {
		s.settleT = s.clock.NewTimer(settleWait)
		return
	}
	s.settle()
}

// markConsequences notes in each held failure whether its rank has
// reported a lost peer by now, or had been told of a loss before it
// failed (see isConsequence).
func (s *supervisor) markConsequences() {
	for i := range s.pending {
		h := &s.pending[i]
		r := h.f.Rank
		h.consequence = r >= 0 && r < len(s.pmi) && isConsequence(s.pmi[r].sawLoss.Load(), s.notified[r], h.at)
	}
}

// settle fails the job with the held failure that blame picks, if any,
// and closes the settle window.
func (s *supervisor) settle() {
	if len(s.pending) == 0 {
		return
	}
	s.markConsequences()
	f := s.pending[blame(s.pending)].f
	s.pending = nil
	if s.settleT != nil {
		s.settleT.Stop()
		s.settleT = nil
	}
	s.fail(f)
}
