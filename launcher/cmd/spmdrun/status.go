package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// requestStatus sends SIGUSR1 to the spmdrun with process id pid, which
// answers by printing a status report on its own standard error. It refuses
// processes that are not spmdrun: SIGUSR1 ends most programs.
func requestStatus(pid int) error {
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("--status %d: no such process", pid)
		}
		return fmt.Errorf("--status %d: %w", pid, err)
	}
	if !isSpmdrun(cmdline) {
		return fmt.Errorf("--status %d: process %d is not spmdrun", pid, pid)
	}
	if err := syscall.Kill(pid, syscall.SIGUSR1); err != nil {
		return fmt.Errorf("--status %d: %w", pid, err)
	}
	return nil
}

// isSpmdrun reports whether a /proc/PID/cmdline (arguments separated by NUL
// bytes) is that of spmdrun: its program name, without the directory, is
// spmdrun.
func isSpmdrun(cmdline []byte) bool {
	argv0, _, _ := bytes.Cut(cmdline, []byte{0})
	return filepath.Base(string(argv0)) == "spmdrun"
}
