package launcher

import (
	"fmt"
	"strings"
	"time"
)

// diagWait bounds how long a report waits for the ranks' answers to
// SIGUSR1.
const diagWait = 2 * time.Second

// diagnosis is one round of asking the spmd ranks what they are blocked in:
// for a report when the Timeout expires, or on a status request. At most
// one runs at a time, and only while the job is not ending.
type diagnosis struct {
	timeout bool      // the report ends the job (TimedOut), else it is a status report
	at      time.Time // when it was asked for
	ranks   []rankDiag
	waiting []bool            // ranks asked that have not answered
	left    int               // the number of true entries in waiting
	anySpmd bool              // some rank put a business card
	pieces  []strings.Builder // by rank: the fragments of a second-format report so far
	got     []int             // by rank: how many fragments pieces holds
}

// onTimeout handles the expiry of the Timeout: a report of the blocked
// operations, then the end of the job. A rank failure held for settling is
// the better explanation, and ends the job at once.
func (s *supervisor) onTimeout() {
	if len(s.pending) > 0 || s.terminating {
		s.fail(&Failure{Kind: TimedOut, Rank: -1, Code: ExitTimeout, Timeout: s.job.Timeout})
		return
	}
	s.timedOut = true
	if s.job.OnTimeout != nil {
		s.job.OnTimeout()
	}
	if s.diag != nil {
		s.diag.timeout = true // the status report under way becomes the timeout's
		return
	}
	s.startDiagnosis(true)
}

// onStatus handles a request for a status report (Job.Status).
func (s *supervisor) onStatus() {
	switch {
	case s.terminating:
		s.notice("status: the job is ending")
	case s.diag != nil:
		s.logf("status request while a report is being made: ignored")
	default:
		s.startDiagnosis(false)
	}
}

// startDiagnosis sends SIGUSR1 to every spmd rank that still runs and waits,
// up to diagWait, for their reports.
func (s *supervisor) startDiagnosis(timeout bool) {
	d := &diagnosis{timeout: timeout, at: s.clock.Now(), ranks: make([]rankDiag, s.n), waiting: make([]bool, s.n),
		pieces: make([]strings.Builder, s.n), got: make([]int, s.n)}
	s.diag = d
	for rank := range d.ranks {
		d.anySpmd = d.anySpmd || s.pmi[rank].spmd.Load()
		var asked bool
		d.ranks[rank].State, asked = s.askRank(rank)
		if asked {
			d.waiting[rank] = true
			d.left++
		}
	}
	if d.left == 0 {
		s.endDiagnosis()
		return
	}
	s.diagT = s.clock.NewTimer(diagWait)
}

// askRank sends SIGUSR1 to rank if it is an spmd rank that still runs and
// still speaks PMI; asked says whether it did. Other programs would die of
// the signal, and so would an spmd rank that has finalized.
func (s *supervisor) askRank(rank int) (state rankState, asked bool) {
	st := &s.pmi[rank]
	switch {
	case s.procs[rank] == nil:
		return stateNotStarted, false
	case s.exited[rank]:
		return stateExited, false
	case !st.spmd.Load():
		return stateNotSpmd, false
	case isClosed(st.closed):
		return stateFinalized, false
	}
	done, err := s.procs[rank].askReport()
	switch {
	case done:
		return stateExited, false
	case err != nil:
		s.logf("rank %d: SIGUSR1: %v", rank, err)
		return stateNoReport, false
	}
	return stateNoReport, true
}

// onReport handles a rank's blocked-operations report, or a fragment of
// one: the answer to the current round, if the rank was asked and has not
// answered yet. A report in the second format is complete with its last
// fragment; fragments must come in order (a rank puts them in order, on
// one connection).
func (s *supervisor) onReport(rank int, value string) {
	d := s.diag
	if d == nil || rank < 0 || rank >= len(d.waiting) || !d.waiting[rank] {
		s.logf("rank %d: blocked-operations report not asked for: ignored", rank)
		return
	}
	var r blockedReport
	var err error
	if strings.HasPrefix(value, "v2:") {
		var i, n int
		var piece string
		i, n, piece, err = parseFragment(value)
		if err == nil && i != d.got[rank]+1 {
			err = fmt.Errorf("fragment %d of %d after %d", i, n, d.got[rank])
		}
		if err == nil {
			d.got[rank] = i
			d.pieces[rank].WriteString(piece)
			if i < n {
				return // more to come, within diagWait
			}
			value = d.pieces[rank].String()
			r, err = parseBlockedV2(value)
		}
	} else {
		r, err = parseBlocked(value)
	}
	if err != nil {
		s.logf("rank %d: blocked-operations report %q: %v", rank, value, err)
		d.ranks[rank].State = stateBadReport
	} else {
		d.ranks[rank] = rankDiag{State: stateReported, Report: r}
	}
	s.answered(rank)
}

// diagExit notes that rank exited: it will not answer.
func (s *supervisor) diagExit(rank int) {
	d := s.diag
	if d == nil || rank < 0 || rank >= len(d.waiting) || !d.waiting[rank] {
		return
	}
	d.ranks[rank].State = stateExited
	s.answered(rank)
}

// diagClosed notes that rank's PMI connection ended: it cannot answer any
// more. It has finalized (a rank may be signalled just before the server
// reads its finalize), or it is on its way out.
func (s *supervisor) diagClosed(rank int) {
	d := s.diag
	if d == nil || rank < 0 || rank >= len(d.waiting) || !d.waiting[rank] {
		return
	}
	d.ranks[rank].State = stateExited
	if s.pmi[rank].finalized.Load() {
		d.ranks[rank].State = stateFinalized
	}
	s.answered(rank)
}

// answered stops waiting for rank, and ends the round when nobody is left.
func (s *supervisor) answered(rank int) {
	d := s.diag
	d.waiting[rank] = false
	d.left--
	if d.left == 0 {
		s.endDiagnosis()
	}
}

// endDiagnosis ends the current round, if any, with the answers it has:
// a status report is written to Stderr; a timeout report ends the job with
// the table in its notice (only when some rank is an spmd rank: for other
// programs there is nothing to tell).
func (s *supervisor) endDiagnosis() {
	d := s.diag
	if d == nil {
		return
	}
	s.diag = nil
	if s.diagT != nil {
		s.diagT.Stop()
		s.diagT = nil
	}
	if d.timeout {
		f := &Failure{Kind: TimedOut, Rank: -1, Code: ExitTimeout, Timeout: s.job.Timeout}
		if d.anySpmd {
			f.Blocked = formatBlockedTable(d.ranks) + formatDiagnosis(d.ranks)
		}
		s.fail(f)
		return
	}
	header := fmt.Sprintf("%s: status at %s (job running for %v):\n", s.job.name(),
		d.at.Format(time.DateTime), d.at.Sub(s.started).Round(100*time.Millisecond))
	_, _ = s.stderr.Write([]byte(header + formatBlockedTable(d.ranks) + formatDiagnosis(d.ranks)))
}

// isClosed reports whether ch is closed.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
