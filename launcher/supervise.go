package launcher

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spmd-go/spmd/internal/jobnames"
	"github.com/spmd-go/spmd/internal/pmi"
)

// Bounds on the waits of a job's end.
const (
	// closeWait bounds how long a rank's exit is held back for the PMI server
	// to report the rank's connection closed (normally at once, since the
	// kernel closes it at exit), so that an abort or a missing finalize is
	// seen before the exit.
	closeWait = time.Second
	// killWait bounds the wait for ranks after SIGKILL.
	killWait = 5 * time.Second
	// drainWait bounds the wait for the output of ranks that have exited.
	drainWait = 2 * time.Second
	// settleWait is how long the first rank failure is held back while later
	// events arrive. When one rank dies its peers notice and often exit with
	// errors of their own within milliseconds; the watchers post those exits
	// in goroutine-scheduling order, not exit order, so the supervisor
	// collects the failures for a moment and blames the one that best
	// explains the others (see blame).
	settleWait = 100 * time.Millisecond
	// settleMax bounds how long settling waits for a failure that is not a
	// consequence: when every failure so far comes from ranks that reported a
	// lost peer, the rank that died is still to be reaped.
	settleMax = time.Second
)

// eventKind tells the supervisor's events apart.
type eventKind int

const (
	evExit          eventKind = iota + 1 // a rank's process ended
	evAbort                              // a rank sent PMI abort
	evReport                             // a rank put a report of its blocked operations
	evClosed                             // a rank's PMI connection ended
	evStarted                            // a proxy started a rank
	evHostConnected                      // a proxy connected (rank: the host's index)
	evHostLost                           // a proxy's connection ended (rank: the host's index)
	evLauncherExit                       // a process that starts proxies ended (msg: its host, or "")
)

// event is something that happened to a rank, posted to the supervisor loop.
type event struct {
	kind        eventKind
	rank        int
	pid         int
	status      exitStatus // evExit
	never       bool       // evExit: the rank could not be started (msg: why)
	unfinalized bool       // evExit: the rank spoke PMI, then closed the connection without finalize
	code        int        // evAbort; evLauncherExit: its exit code
	msg         string     // evAbort: the message; evReport: the report; evHostLost: the reason
	at          time.Time  // when it was observed: the exit reaped, the abort read
}

// pmiState is what the PMI server has told about one rank.
type pmiState struct {
	closeOnce sync.Once
	closed    chan struct{} // closed when the connection has ended
	closedAt  time.Time     // when the end was read; valid once closed is
	active    atomic.Bool   // the rank sent something: it is PMI-active
	finalized atomic.Bool   // the rank sent finalize
	sawLoss   atomic.Bool   // the rank reported a lost peer: its failure may be a consequence
	spmd      atomic.Bool   // the rank put a business card: it answers SIGUSR1
}

// markClosed records the end of the rank's connection, once.
func (st *pmiState) markClosed(at time.Time) {
	st.closeOnce.Do(func() {
		st.closedAt = at
		close(st.closed)
	})
}

// supervisor runs one Job: all its mutable state lives here, and everything
// but the callbacks and watchers runs on Run's goroutine.
type supervisor struct {
	job            *Job
	clock          clock
	n              int
	grace          time.Duration
	stdout, stderr *Sink
	path           string
	jobID          string
	cookie         string // the job's secret, proved by every rank connection
	srv            *pmi.Server
	ctx            context.Context // Run's
	proxies        *proxyRoot      // the proxies, or nil when every rank is local

	events chan event
	done   chan struct{} // closed when Run returns
	pmi    []pmiState
	output sync.WaitGroup // output forwarding goroutines
	locals []*localRank   // ranks started on this host
	procs  []rankProc     // each started rank, by rank; nil until started
	files  []rankFiles    // with Job.OutputDir: each rank's output files
	local  []int          // each rank's index on its node
	nlocal []int          // the number of ranks on each rank's node

	started     time.Time // when the first rank was started
	exited      []bool    // each rank's exit has been handled
	running     int
	cause       *Failure
	timedOut    bool       // the Timeout expired: later rank failures are not the cause
	diag        *diagnosis // the report being made, or nil
	diagT       timer
	connectT    timer // until every proxy has connected
	terminating bool
	killed      bool
	timeoutT    timer
	graceT      timer
	killT       timer
	settleT     timer
	settleStart time.Time
	pending     []heldFailure // rank failures waiting for settleT (attribution.go)

	janitor  *janitor    // removes this host's segments if the launcher is killed; nil if none
	lostSent []bool      // each rank's loss has been told to the others (lossnotify.go)
	notified []time.Time // when each rank was first told of another's loss; zero if never
}

func newSupervisor(j *Job) *supervisor {
	n := j.ranks()
	if n < 1 {
		n = 1 // validate reports the bad value
	}
	s := &supervisor{
		job:    j,
		clock:  systemClock{},
		n:      n,
		grace:  j.grace(),
		stdout: NewSink(orWriter(j.Stdout, os.Stdout)),
		stderr: NewSink(orWriter(j.Stderr, os.Stderr)),
		events: make(chan event, 2*n+4),
		done:   make(chan struct{}),
		pmi:    make([]pmiState, n),
		exited: make([]bool, n),
		procs:  make([]rankProc, n),

		lostSent: make([]bool, n),
		notified: make([]time.Time, n),
	}
	for i := range s.pmi {
		s.pmi[i].closed = make(chan struct{})
	}
	return s
}

// prepare checks the job and creates what the ranks need: the resolved
// program, a job id and the PMI server.
func (s *supervisor) prepare(ctx context.Context) *Failure {
	j := s.job
	if err := j.validate(); err != nil {
		return &Failure{Kind: Invalid, Rank: -1, Code: ExitUsage, Err: err}
	}
	if err := ctx.Err(); err != nil {
		return &Failure{Kind: Canceled, Rank: -1, Code: ExitInternal, Err: err}
	}
	path, err := exec.LookPath(j.Program)
	if err != nil {
		return cannotRun(j.Program, err)
	}
	s.path = path
	s.jobID = j.JobID
	if s.jobID == "" {
		if s.jobID, err = randomHex(8); err != nil {
			return &Failure{Kind: Internal, Rank: -1, Code: ExitInternal, Err: err}
		}
	}
	s.cookie = j.Cookie
	if s.cookie == "" {
		s.cookie, err = randomHex(32)
	}
	if err != nil {
		return &Failure{Kind: Internal, Rank: -1, Code: ExitInternal, Err: err}
	}
	s.local, s.nlocal = j.placement().LocalRanks()
	if j.OutputDir != "" {
		if s.files, err = openOutputFiles(j.OutputDir, s.n); err != nil {
			return &Failure{Kind: Internal, Rank: -1, Code: ExitInternal, Err: err}
		}
	}
	if s.srv, err = j.newServer(s, s.jobID); err != nil {
		return &Failure{Kind: Internal, Rank: -1, Code: ExitInternal, Err: err}
	}
	s.ctx = ctx
	if s.proxies, err = s.newProxyRoot(); err != nil {
		return &Failure{Kind: Internal, Rank: -1, Code: ExitInternal, Err: err}
	}
	return nil
}

// spawn starts the ranks in order and a watcher for each. If one cannot be
// started the job fails and the ranks already running are ended.
func (s *supervisor) spawn() {
	j := s.job
	s.started = s.clock.Now()
	if j.Timeout > 0 {
		s.timeoutT = s.clock.NewTimer(j.Timeout)
	}
	if s.proxies != nil {
		s.spawnRemote()
		if s.terminating {
			return
		}
	}
	m := j.placement()
	for rank := 0; rank < s.n; rank++ {
		if s.proxies != nil && s.proxies.hosts[m.Node[rank]] != nil {
			continue
		}
		if len(s.locals) == 0 && s.janitor == nil {
			var err error
			if s.janitor, err = startJanitor(s.cookie); err != nil {
				s.logf("%v; shared-memory segments stay behind if %s itself is killed", err, j.name())
			}
		}
		st := &s.pmi[rank]
		conn, err := servePMI(s.srv, rank, func(active bool, at time.Time) {
			st.active.Store(active)
			st.markClosed(at)
			s.post(event{kind: evClosed, rank: rank})
		})
		if err != nil {
			s.fail(&Failure{Kind: Internal, Rank: rank, Code: ExitInternal, Err: fmt.Errorf("rank %d: %w", rank, err)})
			return
		}
		var stdin io.Reader
		if rank == 0 {
			stdin = j.Stdin
		}
		cpu, ncpus, err := bindCPU(j.BindTo, s.local[rank], s.nlocal[rank])
		if err != nil {
			_ = conn.Close()
			s.fail(&Failure{Kind: Internal, Rank: rank, Code: ExitInternal, Err: fmt.Errorf("rank %d: %w", rank, err)})
			return
		}
		env := j.rankEnv(s.local[rank], s.nlocal[rank], s.srv.Env(rank, pmiChildFD), s.jobID, s.cookie)
		if cpu >= 0 {
			// A bound rank sees one CPU; its share of the host and
			// whether the host is oversubscribed go by the host's.
			env = append(env, "SPMD_HOST_CPUS="+strconv.Itoa(ncpus))
		}
		r, err := startLocal(localSpec{
			rank:    rank,
			path:    s.path,
			argv:    append([]string{j.Program}, j.Args...),
			env:     env,
			cpu:     cpu,
			dir:     j.Dir,
			pmiConn: conn,
			janitor: s.janitor.file(),
			stdin:   stdin,
			stdout:  s.outWriter(s.stdout, rank, 0),
			stderr:  s.outWriter(s.stderr, rank, 1),
			output:  &s.output,
		})
		_ = conn.Close() // the child has its copy
		if err != nil {
			s.fail(cannotRun(j.Program, err))
			return
		}
		s.locals = append(s.locals, r)
		s.procs[rank] = r
		s.running++
		s.logf("rank %d started, pid %d", rank, r.pid)
		if j.Started != nil {
			j.Started(rank, r.pid)
		}
		go s.watch(r)
	}
}

// outWriter is where one rank's stream (0 stdout, 1 stderr) goes: its
// output file, the sink itself, or whole tagged lines.
func (s *supervisor) outWriter(sink *Sink, rank, stream int) io.Writer {
	if s.files != nil {
		if stream == 0 {
			return s.files[rank].stdout
		}
		return s.files[rank].stderr
	}
	if s.job.TagOutput {
		return sink.LineWriter(fmt.Sprintf("[%d] ", rank))
	}
	return sink
}

// watch waits for a rank to exit and posts the exit, after giving the PMI
// server a moment to report the connection's end.
func (s *supervisor) watch(r *localRank) {
	state := r.wait()
	at := time.Now()
	st := &s.pmi[r.rank]
	t := time.NewTimer(closeWait)
	select {
	case <-st.closed:
	case <-t.C:
	case <-s.done:
	}
	t.Stop()
	closed := false
	select {
	case <-st.closed:
		closed = true
		// The rank's files close as it exits, before it can be reaped: a
		// rank whose peers notice its death and exit quickly may be reaped
		// after them, but its connection closed first.
		if st.closedAt.Before(at) {
			at = st.closedAt
		}
	default:
	}
	s.post(event{kind: evExit, rank: r.rank, pid: r.pid, status: statusOf(state), at: at,
		unfinalized: closed && st.active.Load() && !st.finalized.Load()})
}

// onAbort is the PMI server's abort callback.
func (s *supervisor) onAbort(rank, code int, msg string) {
	s.post(event{kind: evAbort, rank: rank, code: code, msg: msg, at: time.Now()})
}

// onClose is the PMI server's connection-closed callback; it runs before
// the connection's ended callback in servePMI.
func (s *supervisor) onClose(rank int, finalized bool) {
	if rank >= 0 && rank < len(s.pmi) && finalized {
		s.pmi[rank].finalized.Store(true)
	}
}

// onPut is the PMI server's put callback: it notes ranks that report a
// lost peer and spmd ranks (by their business cards), and posts the reports
// of blocked operations that ranks put under their own rank.
func (s *supervisor) onPut(rank int, key, value string) {
	if rank < 0 || rank >= len(s.pmi) {
		return
	}
	switch {
	case strings.HasPrefix(key, jobnames.LostKeyPrefix):
		s.pmi[rank].sawLoss.Store(true)
	case strings.HasPrefix(key, jobnames.CardKeyPrefix):
		s.pmi[rank].spmd.Store(true)
	case strings.HasPrefix(key, jobnames.BlockedKeyPrefix):
		if r, _, ok := jobnames.ParseBlockedKey(key); ok && r == rank {
			s.post(event{kind: evReport, rank: rank, msg: value})
		} else {
			s.logf("rank %d put %q: not its own blocked-operations key; ignored", rank, key)
		}
	case strings.HasPrefix(key, jobnames.SpanKeyPrefix):
		s.job.Span.put(rank, key, value)
	}
}

// post hands an event to the loop, or drops it once Run has returned.
func (s *supervisor) post(e event) {
	select {
	case s.events <- e:
	case <-s.done:
	}
}

// loop handles events until every started rank has been waited for, or ranks
// outlive SIGKILL by killWait.
func (s *supervisor) loop(ctx context.Context) {
	ctxDone := ctx.Done()
	for s.running > 0 {
		select {
		case e := <-s.events:
			s.handle(e)
		case <-timerC(s.settleT):
			s.onSettleTimer()
		case <-timerC(s.timeoutT):
			s.timeoutT = nil
			s.onTimeout()
		case <-timerC(s.diagT):
			s.diagT = nil
			s.endDiagnosis()
		case <-s.job.Status:
			s.onStatus()
		case sig := <-s.job.Signals:
			s.onSignal(sig)
		case <-timerC(s.graceT):
			s.onGraceTimer()
		case <-timerC(s.connectT):
			s.connectT = nil
			s.onConnectTimeout()
		case <-timerC(s.killT):
			s.notice(fmt.Sprintf("%d rank(s) still running %v after SIGKILL; giving up", s.running, killWait))
			return
		case <-ctxDone:
			ctxDone = nil
			s.fail(&Failure{Kind: Canceled, Rank: -1, Code: ExitInternal, Err: ctx.Err()})
		}
	}
}

// handle processes one event.
func (s *supervisor) handle(e event) {
	switch e.kind {
	case evExit:
		if s.exited[e.rank] {
			return // its host was lost first
		}
		s.running--
		s.exited[e.rank] = true
		s.logf("rank %d (pid %d) ended: %v", e.rank, e.pid, e.status)
		s.diagExit(e.rank)
		s.exitNotice(e)
		if f := exitFailure(e); f != nil && !s.terminating && !s.timedOut {
			f.Host = s.hostOf(e.rank)
			if e.never {
				s.fail(f)
			} else {
				s.hold(f, e.at)
			}
		}
	case evStarted, evHostConnected, evHostLost, evLauncherExit:
		s.handleRemote(e)
	case evReport:
		s.onReport(e.rank, e.msg)
	case evClosed:
		s.diagClosed(e.rank)
	case evAbort:
		s.abortNotice(e)
		if !s.terminating && !s.timedOut {
			f := &Failure{Kind: RankAborted, Rank: e.rank, Code: abortExitCode(e.code), Status: e.code, Message: e.msg, Host: s.hostOf(e.rank)}
			if e.rank >= 0 && e.rank < len(s.procs) && s.procs[e.rank] != nil {
				f.Pid = s.procs[e.rank].processID()
			}
			s.hold(f, e.at)
		}
	}
}

// onSignal handles a signal to the launcher: the first ends the job, a later
// one kills it. A report under way is finished with the answers it has; the
// report of a Timeout ends the job, so the signal then kills it.
func (s *supervisor) onSignal(sig os.Signal) {
	s.endDiagnosis()
	ssig, ok := toSyscallSignal(sig)
	if !ok {
		ssig = syscall.SIGTERM
	}
	if !s.terminating {
		s.fail(&Failure{Kind: Interrupted, Rank: -1, Code: signalExitCode(ssig), Signal: ssig})
		return
	}
	if !s.killed {
		s.notice(fmt.Sprintf("received %s; killing the job", signalName(ssig)))
		s.kill()
	}
}

// fail records f if it is the first cause, writes its notice, and starts
// ending the job. A rank failure already held takes precedence over f, and
// a report under way is finished first (the Timeout's report then is the
// cause).
func (s *supervisor) fail(f *Failure) {
	s.endDiagnosis()
	if len(s.pending) > 0 {
		s.settle()
	}
	if s.cause == nil {
		s.cause = f
		msg := f.Error()
		switch {
		case f.Kind == TimedOut && f.Blocked != "":
			msg += "; blocked operations:\n" + strings.TrimSuffix(f.Blocked, "\n")
		case s.running > 0 && f.Kind != TimedOut:
			msg += "; ending the job"
		}
		s.notice(msg)
	}
	if s.terminating {
		return
	}
	s.terminating = true
	if s.running == 0 {
		return
	}
	if s.grace < 0 {
		s.kill()
		return
	}
	if err := terminateGroups(s.pids()); err != nil {
		s.logf("%v", err)
	}
	s.signalRemote(syscall.SIGTERM)
	s.graceT = s.clock.NewTimer(s.grace)
}

// onGraceTimer handles the end of the grace period: SIGKILL.
func (s *supervisor) onGraceTimer() {
	s.graceT = nil
	s.kill()
}

// kill sends SIGKILL to every rank's process group and starts the final wait.
func (s *supervisor) kill() {
	if s.killed {
		return
	}
	s.killed = true
	if err := killGroups(s.pids()); err != nil {
		s.logf("%v", err)
	}
	s.signalRemote(syscall.SIGKILL)
	s.killT = s.clock.NewTimer(killWait)
}

// pids lists the process ids, and so the process groups, of the ranks
// started on this host, including those that have exited: processes they
// started may remain.
func (s *supervisor) pids() []int {
	pids := make([]int, len(s.locals))
	for i, r := range s.locals {
		pids[i] = r.pid
	}
	return pids
}

// drain waits for the output of the ranks to be forwarded. Pipes held open by
// processes the ranks left behind are closed after drainWait.
func (s *supervisor) drain() {
	done := make(chan struct{})
	go func() {
		s.output.Wait()
		close(done)
	}()
	t := time.NewTimer(drainWait)
	defer t.Stop()
	select {
	case <-done:
		return
	case <-t.C:
	}
	s.logf("output still open %v after the ranks ended; closing it", drainWait)
	for _, r := range s.locals {
		r.closeReaders()
	}
	t.Reset(drainWait)
	select {
	case <-done:
	case <-t.C:
	}
}

// result is Run's return value.
func (s *supervisor) result() (int, error) {
	if s.cause == nil {
		return 0, nil
	}
	return s.cause.Code, s.cause
}

// finish releases what the job held.
func (s *supervisor) finish() {
	close(s.done)
	if s.proxies != nil {
		s.proxies.stop()
	}
	for _, t := range []timer{s.timeoutT, s.graceT, s.killT, s.settleT, s.diagT, s.connectT} {
		if t != nil {
			t.Stop()
		}
	}
	closeOutputFiles(s.files)
	if err := removeShm(s.cookie); err != nil {
		s.logf("removing shared-memory segments: %v", err)
	}
	s.janitor.release(s.localsEnded(), s.logf)
	if s.srv != nil {
		if err := s.srv.Close(); err != nil {
			s.logf("closing PMI server: %v", err)
		}
	}
}

// localsEnded reports whether every rank started on this host has been
// reaped.
func (s *supervisor) localsEnded() bool {
	for _, r := range s.locals {
		if !s.exited[r.rank] {
			return false
		}
	}
	return true
}

// notice writes one line, "name: msg", to the job's standard error.
func (s *supervisor) notice(msg string) {
	_, _ = s.stderr.Write([]byte(s.job.name() + ": " + msg + "\n"))
}

func (s *supervisor) logf(format string, args ...any) {
	if s.job.Logf != nil {
		s.job.Logf(format, args...)
	}
}

func orWriter(w, def io.Writer) io.Writer {
	if w == nil {
		return def
	}
	return w
}
