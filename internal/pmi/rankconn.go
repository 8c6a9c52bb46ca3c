package pmi

import (
	"fmt"
	"net"
	"os"
	"syscall"
)

// RankConn makes a connected AF_UNIX SOCK_STREAM socket pair for rank,
// serves the server end in a background goroutine, and returns the child
// end. The launcher puts the file in exec.Cmd.ExtraFiles, where the child
// sees it as descriptor 3+index (see Env), and closes it once the child has
// started: the Server notices the rank's exit only when every copy of the
// child end is closed.
func (s *Server) RankConn(rank int) (*os.File, error) {
	// Hold ForkLock while the descriptors lack close-on-exec, so that a
	// concurrent exec elsewhere in the process cannot inherit them (the
	// net package does the same).
	syscall.ForkLock.RLock()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("pmi: socketpair for rank %d: %w", rank, os.NewSyscallError("socketpair", err))
	}
	child := os.NewFile(uintptr(fds[1]), fmt.Sprintf("pmi-rank-%d", rank))
	srvFile := os.NewFile(uintptr(fds[0]), fmt.Sprintf("pmi-server-rank-%d", rank))
	// FileConn duplicates the descriptor into the runtime poller, so the
	// server end gets deadlines and a Close that unblocks reads.
	conn, err := net.FileConn(srvFile)
	srvFile.Close()
	if err != nil {
		child.Close()
		return nil, fmt.Errorf("pmi: rank %d: server end of socket pair: %w", rank, err)
	}
	if err := s.track(conn); err != nil {
		conn.Close()
		child.Close()
		return nil, err
	}
	if err := s.claim(rank); err != nil {
		s.untrack(conn)
		conn.Close()
		child.Close()
		return nil, err
	}
	started := s.goBackground(func() func() {
		out := s.serve(rank, conn, newServerReader(conn))
		return func() { s.report(rank, out) }
	})
	if !started {
		s.untrack(conn)
		conn.Close()
		child.Close()
		return nil, fmt.Errorf("pmi: server: %w", ErrClosed)
	}
	return child, nil
}
