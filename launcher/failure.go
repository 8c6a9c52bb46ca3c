package launcher

import (
	"fmt"
	"syscall"
	"time"
)

// Exit codes that [Job.Run] returns for causes other than a rank's own code.
const (
	// ExitUsage is returned for a Job that cannot describe a run (no program,
	// fewer than one rank). Commands use it for bad arguments too.
	ExitUsage = 2
	// ExitTimeout is returned when the job ran past its Timeout.
	ExitTimeout = 124
	// ExitCannotRun is returned when the program could not be started: not
	// found, not executable, or the operating system refused to start a rank.
	ExitCannotRun = 127
	// ExitInternal is returned when the launcher itself failed (for example,
	// the PMI server could not be created) or the context was canceled.
	ExitInternal = 1
)

// FailureKind says what ended a job early.
type FailureKind int

// The kinds of [Failure].
const (
	// RankExited: a rank exited with a non-zero code.
	RankExited FailureKind = iota + 1
	// RankSignaled: a rank was killed by a signal.
	RankSignaled
	// RankAborted: a rank sent PMI abort.
	RankAborted
	// RankNoFinalize: a rank exited with code 0 after closing its PMI
	// connection without finalize.
	RankNoFinalize
	// TimedOut: the job ran past its Timeout.
	TimedOut
	// Interrupted: the launcher received a signal (Job.Signals).
	Interrupted
	// Canceled: the context passed to Run was canceled.
	Canceled
	// CannotRun: the program or a rank could not be started.
	CannotRun
	// Invalid: the Job's fields do not describe a run.
	Invalid
	// Internal: the launcher itself failed.
	Internal
	// HostLost: a remote host's proxy went away, or never came, before
	// its ranks ended.
	HostLost
)

// Failure is the first cause that ended a job early. [Job.Run] returns it as
// its error, with Code equal to the exit code it returns.
type Failure struct {
	Kind    FailureKind
	Rank    int            // the rank concerned, or -1
	Pid     int            // the rank's process id, or 0
	Host    string         // the rank's host, in a job that spans hosts
	Code    int            // the exit code for the job
	Status  int            // the rank's own exit or abort code, for RankExited and RankAborted
	Signal  syscall.Signal // the signal, for RankSignaled and Interrupted
	Message string         // the abort message, for RankAborted; program and reason, for CannotRun; what happened, for HostLost
	Timeout time.Duration  // the time limit, for TimedOut
	Err     error          // the underlying error, for CannotRun, Canceled, Invalid and Internal
	// Blocked is, for TimedOut, the table of the operations the ranks
	// reported themselves blocked in, which followed the notice line: one
	// line per operation, each ending in a newline; then, when the ranks
	// named their calls, the diagnosis (where the ranks wait, the odd ones
	// out and their stacks). It is empty when no rank was an spmd rank.
	Blocked string
}

// Error describes the failure in the words of the launcher's notice line.
func (f *Failure) Error() string {
	who := fmt.Sprintf("rank %d (pid %d)", f.Rank, f.Pid)
	if f.Host != "" {
		who = fmt.Sprintf("rank %d (pid %d on %s)", f.Rank, f.Pid, f.Host)
	}
	switch f.Kind {
	case RankExited:
		return fmt.Sprintf("%s exited with code %d", who, f.Status)
	case RankSignaled:
		return fmt.Sprintf("%s killed by signal %s", who, signalName(f.Signal))
	case RankAborted:
		s := fmt.Sprintf("rank %d called abort with code %d", f.Rank, f.Status)
		if f.Host != "" {
			s = fmt.Sprintf("rank %d (on %s) called abort with code %d", f.Rank, f.Host, f.Status)
		}
		if f.Message != "" {
			s += ": " + f.Message
		}
		return s
	case RankNoFinalize:
		return fmt.Sprintf("%s exited with code 0 without calling PMI finalize", who)
	case TimedOut:
		return fmt.Sprintf("job timed out after %v", f.Timeout)
	case Interrupted:
		return fmt.Sprintf("received %s", signalName(f.Signal))
	case Canceled:
		return fmt.Sprintf("job canceled: %v", f.Err)
	case CannotRun:
		if f.Host != "" {
			return "cannot run " + f.Message + " on " + f.Host
		}
		return "cannot run " + f.Message
	case Invalid:
		return fmt.Sprintf("invalid job: %v", f.Err)
	case HostLost:
		return fmt.Sprintf("lost host %s: %s", f.Host, f.Message)
	default:
		return fmt.Sprintf("launcher failure: %v", f.Err)
	}
}

// Unwrap returns the underlying error, if any.
func (f *Failure) Unwrap() error { return f.Err }

// abortExitCode maps a PMI abort code to an exit status: codes outside
// 1..255 would read as success or wrap around, so they become 1.
func abortExitCode(code int) int {
	if code < 1 || code > 255 {
		return 1
	}
	return code
}
