package comm

import (
	"sync"
	"sync/atomic"

	"github.com/spmd-go/spmd/comm/internal/match"
	"github.com/spmd-go/spmd/comm/internal/shm"
	"github.com/spmd-go/spmd/comm/internal/tcp"
	"github.com/spmd-go/spmd/comm/internal/wire"
)

// world is the per-process runtime behind every communicator of a job.
type world struct {
	rank, size int
	cfg        Config
	boot       Bootstrap
	eng        *match.Engine
	links      []*link                    // by world rank; links[rank] is the pipe to self
	spare      [2]atomic.Pointer[Request] // requests for blocking calls (getRequest)
	rdv        rendezvous
	limits     wire.Limits
	ctxs       contextTable
	probes     notifier
	diag       diagnostics
	spanStart  int64 // when Init returned, Unix nanoseconds (see markSpan)
	listener   *tcp.Listener
	segments   []*shm.Segment // mapped shared-memory segments, unmapped at Finalize
	logf       func(format string, args ...any)

	// oversubscribed: this host runs more ranks of the job than it has
	// cores, so waiting ranks must give their core away (see yield).
	oversubscribed bool
	finalizing     atomic.Bool
	reportOnce     sync.Once   // the first lost peer is reported to the launcher
	notices        lossNotices // the launcher's loss notices (notify.go)
	finOnce        sync.Once
	finErr         error
	abortOnce      sync.Once
}

// peerLost fails everything that depends on world rank peer.
func (w *world) peerLost(peer int, cause error) {
	l := w.links[peer]
	err := &PeerLostError{Rank: peer, Cause: cause}
	if !l.lostErr.CompareAndSwap(nil, err) {
		return
	}
	l.closing.Store(true)
	l.conn.Close()
	// Report before failing anything: the program may exit the moment its
	// operation fails.
	if lr, ok := w.boot.(lossReporter); ok {
		w.reportOnce.Do(func() { lr.ReportLost(peer) })
	}
	for _, r := range w.eng.PeerLost(peer, err) {
		r.Owner.(*Request).complete(Status{}, err)
	}
	w.rdv.peerLost(peer, err)
	l.failQueue(err)
	w.probes.broadcast()
}

// notifier wakes goroutines blocked in Probe when a message arrives.
type notifier struct {
	waiters atomic.Int32
	mu      sync.Mutex
	ch      chan struct{}
}

// wait returns a channel closed at the next broadcast; call done after.
func (n *notifier) wait() <-chan struct{} {
	n.waiters.Add(1)
	n.mu.Lock()
	if n.ch == nil {
		n.ch = make(chan struct{})
	}
	ch := n.ch
	n.mu.Unlock()
	return ch
}

func (n *notifier) done() { n.waiters.Add(-1) }

func (n *notifier) broadcast() {
	if n.waiters.Load() == 0 {
		return
	}
	n.mu.Lock()
	if n.ch != nil {
		close(n.ch)
		n.ch = nil
	}
	n.mu.Unlock()
}
