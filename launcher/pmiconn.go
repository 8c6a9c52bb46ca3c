package launcher

import (
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/spmd-go/spmd/internal/pmi"
)

// servePMI makes rank's PMI socket pair, serves the launcher's end with srv
// on a new goroutine, and returns the child's end for exec.Cmd.ExtraFiles
// (the caller closes it once the child has started). When the connection
// ends, ended is called with whether the rank ever sent anything and when
// the end was read.
//
// The launcher serves the connection itself, rather than with
// pmi.Server.RankConn, to learn whether the rank spoke PMI at all: like
// Hydra, it holds a close without finalize against a rank only if the rank
// was PMI-active, so that programs that do not use PMI (hostname, shell
// scripts) can be launched too.
func servePMI(srv *pmi.Server, rank int, ended func(active bool, at time.Time)) (*os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("rank %d: PMI socket pair: %w", rank, err)
	}
	child := os.NewFile(uintptr(fds[1]), fmt.Sprintf("pmi-rank-%d", rank))
	parent := os.NewFile(uintptr(fds[0]), fmt.Sprintf("pmi-server-rank-%d", rank))
	conn, err := net.FileConn(parent) // a duplicate in the runtime poller
	_ = parent.Close()
	if err != nil {
		_ = child.Close()
		return nil, fmt.Errorf("rank %d: PMI socket: %w", rank, err)
	}
	ac := &activityConn{Conn: conn}
	go func() {
		// ServeConn closes conn. Its error (a protocol violation, or the
		// server closing) is logged by the server; the rank's exit tells the
		// rest.
		_ = srv.ServeConn(rank, ac)
		at := time.Now()
		if t := ac.endedAt.Load(); t != 0 {
			at = time.Unix(0, t)
		}
		ended(ac.active.Load(), at)
	}()
	return child, nil
}

// activityConn records whether anything was ever read from the connection,
// and when a read first failed: the moment the rank's process closed its
// end, which happens as it exits, before it can be reaped.
type activityConn struct {
	net.Conn
	active  atomic.Bool
	endedAt atomic.Int64 // UnixNano of the first failed read
}

// Read reads from the connection, noting that the peer has spoken.
func (c *activityConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.active.Store(true)
	}
	if err != nil {
		c.endedAt.CompareAndSwap(0, time.Now().UnixNano())
	}
	return n, err
}
