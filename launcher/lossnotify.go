package launcher

import (
	"fmt"
	"strings"
	"time"

	"github.com/spmd-go/spmd/internal/lossnote"
)

// Loss notices: as soon as a rank of the job ends without PMI finalize
// (it exited, was killed, called abort, could not be started, or its
// host's proxy was lost), the root tells every rank still running, on
// this host through each rank's notification pipe (localRank.tell) and on
// the others through their proxies (frLost), which write the same line to
// their ranks. A rank then fails at once the operations that depend on
// the lost rank, even one it never talked to (an AnySource receive, a
// collective), instead of waiting to be ended. The line format is package
// lossnote's.
//
// Attribution: a rank that was told of a loss and then fails has failed
// because of it, like a rank that reported a lost peer itself; the root
// remembers when it first told each rank (notified), so the rank need not
// report back what the launcher already knows.
//
// Nothing is told once the job is ending (terminating): the launcher is
// then ending every rank itself.

// exitNotice tells the others of a rank that ended without finalize.
// A rank that exits 0 without ever speaking PMI is not a failure (a
// program that is not an spmd rank), and one that finalized is no longer
// anyone's peer.
func (s *supervisor) exitNotice(e event) {
	if e.rank < 0 || e.rank >= s.n || s.pmi[e.rank].finalized.Load() {
		return
	}
	if f := exitFailure(e); f != nil {
		s.notifyLost(e.rank, lossCause(f))
	}
}

// abortNotice tells the others of a rank that called abort.
func (s *supervisor) abortNotice(e event) {
	s.notifyLost(e.rank, lossCause(&Failure{Kind: RankAborted, Rank: e.rank, Status: e.code, Message: e.msg}))
}

// lossCause is a failure of a rank in the words of a loss notice: the
// notice line without "rank N (pid P)", which the notice itself says.
func lossCause(f *Failure) string {
	switch f.Kind {
	case RankExited:
		return fmt.Sprintf("exited with code %d", f.Status)
	case RankSignaled:
		return "killed by signal " + signalName(f.Signal)
	case RankAborted:
		s := fmt.Sprintf("called abort with code %d", f.Status)
		if f.Message != "" {
			s += ": " + f.Message
		}
		return s
	case RankNoFinalize:
		return "exited with code 0 without finalize"
	case CannotRun:
		return "could not be started: " + f.Message
	}
	return strings.TrimPrefix(f.Error(), fmt.Sprintf("rank %d ", f.Rank))
}

// notifyLost tells every rank still running, once, that rank is gone.
func (s *supervisor) notifyLost(rank int, cause string) {
	if rank < 0 || rank >= s.n || s.lostSent[rank] || s.terminating {
		return
	}
	s.lostSent[rank] = true
	// A notice of a rank that had itself reported a lost peer is passed on
	// (its peers must still fail at once) but makes no one a consequence:
	// its own failure followed another's, and a rank still running when
	// told of it may be that other — the rank whose death started it all,
	// not yet reaped when its first casualty was.
	marks := !s.pmi[rank].sawLoss.Load()
	line, err := lossnote.Append(nil, lossnote.Loss{Rank: rank, Cause: cause})
	if err != nil {
		s.logf("loss notice of rank %d: %v", rank, err)
		return
	}
	now := time.Now() // the clock of events' at, which consequences compare with
	for _, r := range s.locals {
		if r.rank == rank || s.exited[r.rank] {
			continue
		}
		if err := r.tell(line); err != nil {
			s.logf("%v", err)
			continue
		}
		if marks {
			s.markNotified(r.rank, now)
		}
	}
	if s.proxies == nil {
		return
	}
	msg := (&lostMsg{Rank: rank, Cause: cause}).encode()
	for _, h := range s.proxies.hosts {
		if h == nil || !h.send(frLost, msg) {
			continue
		}
		for _, r := range h.ranks {
			if marks && r != rank && !s.exited[r] {
				s.markNotified(r, now)
			}
		}
	}
	s.logf("told the ranks that rank %d is lost: %s", rank, cause)
}

// markNotified records the first time rank was told of a loss.
func (s *supervisor) markNotified(rank int, at time.Time) {
	if s.notified[rank].IsZero() {
		s.notified[rank] = at
	}
}

// isConsequence reports whether a rank's failure observed at may follow
// another's: the rank reported a lost peer (sawLoss), or the launcher had
// told it of a loss (notified, zero if never) by then.
func isConsequence(sawLoss bool, notified, at time.Time) bool {
	return sawLoss || !notified.IsZero() && !at.Before(notified)
}

// tellLocal writes a loss notice to this proxy's ranks other than the lost
// one.
func (r *proxyNode) tellLocal(m *lostMsg) {
	line, err := lossnote.Append(nil, lossnote.Loss{Rank: m.Rank, Cause: m.Cause})
	if err != nil {
		r.p.logf("loss notice of rank %d: %v", m.Rank, err)
		return
	}
	r.mu.Lock()
	var ranks []*localRank
	for rank, lr := range r.ranks {
		if rank != m.Rank {
			ranks = append(ranks, lr)
		}
	}
	r.mu.Unlock()
	for _, lr := range ranks {
		if err := lr.tell(line); err != nil {
			r.p.logf("%v", err)
		}
	}
}
