package launcher

import (
	"fmt"
	"os"
	"syscall"
)

// exitStatus is how a rank's process ended, wherever it ran: the root
// reaps its own ranks, proxies report theirs.
type exitStatus struct {
	known  bool           // false: the way it ended could not be learnt
	code   int            // exit code, when signal is 0
	signal syscall.Signal // the signal that killed it, or 0
}

// statusOf reads a reaped process's state.
func statusOf(ps *os.ProcessState) exitStatus {
	if ps == nil {
		return exitStatus{}
	}
	ws, ok := ps.Sys().(syscall.WaitStatus)
	switch {
	case !ok:
		return exitStatus{}
	case ws.Signaled():
		return exitStatus{known: true, signal: ws.Signal()}
	}
	return exitStatus{known: true, code: ws.ExitStatus()}
}

// String describes the status as a log line would.
func (e exitStatus) String() string {
	switch {
	case !e.known:
		return "unknown status"
	case e.signal != 0:
		return "killed by signal " + signalName(e.signal)
	}
	return fmt.Sprintf("exit code %d", e.code)
}
