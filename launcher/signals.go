package launcher

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// signalGroup sends sig to the process group led by pid. Every rank leads its
// own group, so this reaches the processes the rank started as well. A group
// that no longer exists is not an error.
func signalGroup(pid int, sig syscall.Signal) error {
	if pid <= 0 {
		return nil
	}
	err := unix.Kill(-pid, sig)
	if err == nil || errors.Is(err, unix.ESRCH) {
		return nil
	}
	return fmt.Errorf("signal %s to process group %d: %w", signalName(sig), pid, err)
}

// terminateGroups asks every group to end: SIGTERM, then SIGCONT so that a
// stopped process sees it.
func terminateGroups(pids []int) error {
	var errs []error
	for _, pid := range pids {
		errs = append(errs, signalGroup(pid, syscall.SIGTERM), signalGroup(pid, syscall.SIGCONT))
	}
	return errors.Join(errs...)
}

// killGroups sends SIGKILL to every group.
func killGroups(pids []int) error {
	var errs []error
	for _, pid := range pids {
		errs = append(errs, signalGroup(pid, syscall.SIGKILL))
	}
	return errors.Join(errs...)
}

// signalName returns the conventional name of sig, such as "SIGKILL".
func signalName(sig syscall.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return name
	}
	return fmt.Sprintf("signal %d", int(sig))
}

// signalExitCode is the exit status a shell reports for a process ended by
// sig: 128 plus the signal's number.
func signalExitCode(sig syscall.Signal) int {
	return 128 + int(sig)
}

// toSyscallSignal converts an os.Signal to a syscall.Signal, or returns false.
func toSyscallSignal(s os.Signal) (syscall.Signal, bool) {
	sig, ok := s.(syscall.Signal)
	return sig, ok
}
