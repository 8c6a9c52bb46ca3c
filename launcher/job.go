package launcher

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/spmd-go/spmd/internal/pmi"
	"github.com/spmd-go/spmd/launcher/sched"
)

// DefaultGrace is the time between SIGTERM and SIGKILL when a job is ended
// and Job.Grace is zero.
const DefaultGrace = 3 * time.Second

// DefaultName is the launcher name that starts notice lines when Job.Name is
// empty.
const DefaultName = "spmdrun"

// Job describes one SPMD run on this host: N ranks of one program. The zero
// value is not runnable; set at least Program. Fields must not change while
// Run is in progress.
type Job struct {
	// Program is the executable: a path, or a name looked up in PATH.
	Program string
	// Args are the program's arguments, without the program name.
	Args []string
	// N is the number of ranks; zero means 1, or Mapping's size. More
	// ranks than CPU cores is allowed (oversubscription).
	N int
	// Mapping, if not nil, places the ranks on hosts (see package
	// launcher/sched): it sets the ranks' node-local rank variables and the
	// PMI_process_mapping they read. N must be zero or Mapping.Size(). Run
	// starts the ranks of hosts that are this machine (see IsLocalHost)
	// itself, and those of every other host through a proxy on that host
	// (see Proxy and Launcher). Distinct names for this machine make
	// distinct nodes, which is how tests pretend to be a cluster. Nil means
	// every rank on this host.
	Mapping *sched.Mapping
	// Env holds KEY=VALUE entries added to every rank's environment after the
	// launcher's own environment (os.Environ), which the ranks inherit.
	Env []string
	// Dir is the ranks' working directory; empty means the launcher's.
	Dir string
	// BindTo binds the ranks to CPUs: BindAuto ("", the default: bound
	// when a host's ranks are a multiple of its CPUs), BindNone or
	// BindCore; Run rejects any other value. Proxies apply it to the ranks
	// on their hosts.
	BindTo Binding
	// TagOutput prefixes every line of output with "[rank] ". Lines are
	// written whole; a final unterminated line is written, with a newline,
	// when the rank's stream ends. Without TagOutput output is passed through
	// as it arrives.
	TagOutput bool
	// Timeout ends the job after this long, with exit code ExitTimeout; zero
	// means no limit. If any rank is an spmd rank (it put its business card,
	// "spmd-card-<rank>", into the PMI key-value space), Run first sends
	// SIGUSR1 to the spmd ranks that still run, waits up to 2 s for each to
	// report the operations it is blocked in (see package comm), and writes
	// the reports as a table, and a diagnosis of where the ranks wait, after
	// the notice line "job timed out after D; blocked operations:" (also in
	// Failure.Blocked).
	Timeout time.Duration
	// OnTimeout, if not nil, is called when the Timeout expires, before Run
	// asks the ranks for their reports and ends them; Run waits for it to
	// return, so it must not take long. spmdrun uses it to have the ranks
	// of a profiled or traced job hand over their data so far.
	OnTimeout func()
	// Grace is the time between SIGTERM and SIGKILL when the job is ended.
	// Zero means DefaultGrace; a negative value means SIGKILL at once.
	Grace time.Duration
	// OutputDir, if not empty, sends each rank's standard output and error
	// to the files OutputDir/rank.N/stdout and OutputDir/rank.N/stderr
	// (see OutputPath), created before the ranks start, instead of Stdout
	// and Stderr; TagOutput does not apply to them. The launcher's notices
	// still go to Stderr.
	OutputDir string
	// Stdin is given to rank 0; the other ranks read /dev/null. Nil means
	// /dev/null for rank 0 too.
	Stdin io.Reader
	// Stdout and Stderr receive the ranks' standard output and error; nil
	// means os.Stdout and os.Stderr. Run writes its own notices to Stderr.
	Stdout, Stderr io.Writer
	// Signals, if not nil, delivers signals sent to the launcher (see
	// os/signal.Notify). The first ends the job: SIGTERM to the ranks, SIGKILL
	// after Grace, exit code 128+n unless a rank failed first. A later one,
	// or any signal while the job is already ending, kills the ranks at once.
	Signals <-chan os.Signal
	// Status, if not nil, delivers requests for a status report (spmdrun
	// passes SIGUSR1 sent to it). Each makes Run ask the spmd ranks for
	// their blocked operations, as Timeout does, and write the notice line
	// "status at T (job running for D):" and the table to Stderr; the job
	// goes on. A request while a report is being made is ignored.
	Status <-chan os.Signal
	// Name starts every notice line ("spmdrun: ..."); empty means DefaultName.
	Name string
	// JobID identifies the run to the ranks (SPMD_JOBID); empty means a random
	// hex string.
	JobID string
	// Cookie is the job's secret as hex (SPMD_COOKIE), which every rank
	// connection proves; empty means 32 random bytes. It also names the
	// job's shared-memory segments, which Run removes when the job ends.
	Cookie string
	// Launcher says how proxies are started on remote hosts; nil means
	// SSH.
	Launcher *RemoteLauncher
	// ConnectTimeout bounds how long remote hosts' proxies may take to
	// connect; zero means DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// Listening, if not nil, is called once Run knows where proxies are to
	// connect: with the addresses ("host:port") to try, or with none when
	// every rank runs on this host. External launchers publish them.
	Listening func(addrs []string)
	// RootAddr is the address the launcher listens on for its proxies;
	// empty means every interface, on a port the system picks.
	RootAddr string
	// Started, if not nil, is called with each rank's process id as it starts.
	Started func(rank, pid int)
	// Logf, if not nil, receives diagnostics from the launcher and its PMI
	// server.
	Logf func(format string, args ...any)
	// Span, if not nil, times the application span of the ranks this
	// launcher serves itself (see Span); it must have been made for the
	// job's number of ranks.
	Span *Span
}

// Run starts the job's ranks, forwards their input and output, and waits for
// all of them to end. It returns the exit code for the job and, when that code
// is not zero, a *Failure describing the first cause, which Run has also
// written as one notice line to Stderr.
//
// The first failure ends the job: a rank exiting non-zero (code: the rank's),
// killed by signal n (128+n), calling PMI abort (the abort code, or 1 if it is
// outside 1..255), or exiting 0 after closing its PMI connection without
// finalize (1); the Timeout (ExitTimeout); a signal from Signals (128+n); the
// context's end (ExitInternal). If the program cannot be started Run returns
// ExitCannotRun with no rank left running. Every wait is bounded: ranks that
// survive SIGKILL are given up on after a few seconds.
func (j *Job) Run(ctx context.Context) (int, error) {
	s := newSupervisor(j)
	defer s.finish()
	if f := s.prepare(ctx); f != nil {
		s.fail(f)
		return s.result()
	}
	s.spawn()
	s.loop(ctx)
	s.endDiagnosis() // every rank ended while a report was being made
	s.settle()       // every rank ended inside the settle window
	s.drain()
	return s.result()
}

// ranks returns the number of ranks, applying the default.
func (j *Job) ranks() int {
	switch {
	case j.N == 0 && j.Mapping != nil:
		return j.Mapping.Size()
	case j.N == 0:
		return 1
	}
	return j.N
}

// grace returns the grace period, applying the default.
func (j *Job) grace() time.Duration {
	if j.Grace == 0 {
		return DefaultGrace
	}
	return j.Grace
}

// name returns the notice prefix, applying the default.
func (j *Job) name() string {
	if j.Name == "" {
		return DefaultName
	}
	return j.Name
}

// validate checks the fields that must make sense before anything starts.
func (j *Job) validate() error {
	switch {
	case j.Program == "":
		return errors.New("no program")
	case j.N < 0:
		return fmt.Errorf("%d ranks: need at least 1", j.N)
	case j.Timeout < 0:
		return fmt.Errorf("negative timeout %v", j.Timeout)
	}
	if _, err := ParseBinding(string(j.BindTo)); err != nil {
		return err
	}
	return j.checkPlacement()
}

// newServer creates the job's PMI server; its callbacks post to s.
func (j *Job) newServer(s *supervisor, jobID string) (*pmi.Server, error) {
	n := j.ranks()
	mapping, omit := j.processMapping()
	srv, err := pmi.NewServer(pmi.ServerConfig{
		Size:               n,
		KVSName:            fmt.Sprintf("kvs_%d_%s", os.Getpid(), jobID),
		AppNum:             0,
		UniverseSize:       n,
		ProcessMapping:     mapping,
		OmitProcessMapping: omit,
		OnAbort:            s.onAbort,
		OnClose:            s.onClose,
		OnPut:              s.onPut,
		OnRequest:          j.Span.request,
		OnBarrierOut:       j.Span.barrierOut,
		Logf:               j.Logf,
	})
	if err != nil {
		return nil, fmt.Errorf("PMI server: %w", err)
	}
	return srv, nil
}

// rankEnv is the environment of one rank: the launcher's, then Env, then the
// PMI variables, then the node-local rank variables (the rank's index on its
// node, and the ranks there); later entries win. The job cookie travels in
// the environment, never on a command line, where ps would show it to every
// user.
func (j *Job) rankEnv(local, localSize int, pmiEnv []string, jobID, cookie string) []string {
	n := strconv.Itoa(localSize)
	r := strconv.Itoa(local)
	env := append(os.Environ(), j.Env...)
	env = append(env, pmiEnv...)
	return append(env,
		"SPMD_LOCAL_RANK="+r,
		"SPMD_LOCAL_SIZE="+n,
		"MPI_LOCALRANKID="+r,
		"MPI_LOCALNRANKS="+n,
		"SPMD_JOBID="+jobID,
		"SPMD_COOKIE="+cookie,
	)
}

// NewCookie returns a new random job cookie, as hex, for Job.Cookie.
func NewCookie() (string, error) { return randomHex(32) }

// randomHex returns n random bytes as hex digits: job ids and cookies.
func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// cannotRun builds the failure for a program that could not be started,
// naming the program and the innermost reason ("no such file or directory").
func cannotRun(program string, err error) *Failure {
	reason := err.Error()
	var pe *fs.PathError
	var ee *exec.Error
	switch {
	case errors.As(err, &pe):
		reason = pe.Err.Error()
	case errors.As(err, &ee):
		reason = ee.Err.Error()
	}
	return &Failure{Kind: CannotRun, Rank: -1, Code: ExitCannotRun, Message: program + ": " + reason, Err: err}
}
