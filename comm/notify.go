package comm

import (
	"bufio"
	"errors"
	"io"
	"os"
	"strconv"
	"sync"
	"syscall"

	"github.com/spmd-go/spmd/internal/lossnote"
)

// Loss notices from the launcher. A rank learns that a peer died when its
// connection to that peer breaks; a rank that never talked to the peer has
// no connection to break, yet its AnySource receives and collectives may
// wait on it. So spmdrun (and each of its proxies) tells every running
// rank as soon as a rank of the job ends without finalize, one line per
// lost rank on a pipe named by SPMD_NOTIFY_FD (format: package lossnote).
// A goroutine started at Join reads the lines and fails what depends on
// the lost rank, exactly as a broken connection would (peerLost), with a
// cause that names the launcher's report.
//
// Notices that arrive while Join is still wiring up are held and applied
// when Join has finished (see noticesJoined), so that they never race the
// making of the links.
//
// The rank does not report such a loss back to the launcher (the report
// of a lost peer that peerLost makes): the launcher already knows, and
// counts the rank's later failure as a consequence because it told the
// rank.
//
// Other launchers (srun, MPICH's mpiexec) do not set SPMD_NOTIFY_FD; they
// end the whole job when a task dies.

// lossNotices is the state of the launcher's notices in one world.
type lossNotices struct {
	mu     sync.Mutex
	joined bool            // Join has finished: notices act at once
	held   []lossnote.Loss // notices that arrived before
}

// notifyFD ensures that only one world per process reads the notification
// pipe.
var notifyFD sync.Once

// watchNotifications starts reading the launcher's loss notices, when the
// rank was launched through PMI and SPMD_NOTIFY_FD names a descriptor.
func (w *world) watchNotifications() {
	if _, ok := w.boot.(pmiBootstrap); !ok {
		return
	}
	v := os.Getenv(lossnote.EnvFD)
	if v == "" {
		return
	}
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		w.logf("comm: rank %d: %s=%q is not a descriptor of the launcher's; loss notices ignored", w.rank, lossnote.EnvFD, v)
		return
	}
	mine := false
	notifyFD.Do(func() { mine = true })
	if !mine {
		return
	}
	// Programs this rank starts must not inherit the pipe; non-blocking,
	// the runtime's poller waits on it rather than a thread.
	syscall.CloseOnExec(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		w.logf("comm: rank %d: %s=%d: %v; loss notices ignored", w.rank, lossnote.EnvFD, fd, err)
		return
	}
	go w.readNotices(os.NewFile(uintptr(fd), "spmd-notify"))
}

// readNotices acts on the notices read from r until it ends (the launcher
// closed it, or is gone) or the world is finalized. Lines of other kinds
// are skipped; malformed ones are logged and skipped.
func (w *world) readNotices(r io.Reader) {
	br := bufio.NewReaderSize(r, lossnote.MaxLine)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			w.logf("comm: rank %d: launcher notice longer than %d bytes; skipped", w.rank, lossnote.MaxLine)
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			continue
		}
		if err != nil || w.finalizing.Load() {
			return
		}
		l, err := lossnote.Parse(line[:len(line)-1])
		switch {
		case errors.Is(err, lossnote.ErrOtherNotice):
			continue
		case err != nil:
			w.logf("comm: rank %d: launcher notice %q: %v", w.rank, line, err)
			continue
		case l.Rank >= w.size || l.Rank == w.rank:
			w.logf("comm: rank %d: launcher notice %q names no peer of this rank's", w.rank, line)
			continue
		}
		w.noticeLost(l)
	}
}

// noticeLost acts on a notice now, or holds it until Join has finished.
func (w *world) noticeLost(l lossnote.Loss) {
	n := &w.notices
	n.mu.Lock()
	if !n.joined {
		n.held = append(n.held, l)
		n.mu.Unlock()
		return
	}
	n.mu.Unlock()
	w.launcherLost(l)
}

// noticesJoined is called once Join has made the links: the notices held
// until then act now, and later ones at once.
func (w *world) noticesJoined() {
	n := &w.notices
	n.mu.Lock()
	n.joined = true
	held := n.held
	n.held = nil
	n.mu.Unlock()
	for _, l := range held {
		w.launcherLost(l)
	}
}

// launcherLost fails what depends on the rank the launcher reports lost.
func (w *world) launcherLost(l lossnote.Loss) {
	// The launcher told this rank, so it knows the rank saw a loss: taking
	// the once keeps peerLost from reporting it back.
	w.reportOnce.Do(func() {})
	w.peerLost(l.Rank, &LauncherReportError{Cause: l.Cause})
}

// LauncherReportError is the cause of a PeerLostError when the launcher
// (spmdrun) reported the peer gone, rather than this rank seeing its
// connection break: the peer exited, was killed, aborted, or its host was
// lost.
type LauncherReportError struct {
	Cause string // the launcher's words: "exited with code 3", "killed by signal SIGKILL"
}

func (e *LauncherReportError) Error() string { return "launcher reports: " + e.Cause }
