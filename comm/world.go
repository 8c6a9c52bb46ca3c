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
	peers      []peerSlot                 // by world rank; peers[rank] holds the pipe to self
	active     atomic.Pointer[[]*link]    // the links made so far (copy on write, under linkMu)
	spare      [2]atomic.Pointer[Request] // requests for blocking calls (getRequest)
	rdv        rendezvous
	limits     wire.Limits
	ctxs       contextTable
	probes     notifier
	diag       diagnostics
	spanStart  int64 // when Init returned, Unix nanoseconds (see markSpan)
	listener   *tcp.Listener
	logf       func(format string, args ...any)
	prof       *profiler // nil unless profiling or tracing (profile.go)

	// Set by Join before it closes joined, which the listener's
	// goroutines wait for; read-only after.
	joined     chan struct{}
	me         card   // this rank's business card
	cookie     []byte // the job's secret
	shmPrefix  string // names of this job's segments start with it
	localRanks int    // ranks of the job on this host, this one included
	ringSize   int    // bytes per ring of a pair's segment this rank creates
	pairSeq    atomic.Uint64

	linkMu      sync.Mutex
	linksClosed bool           // Finalize or a failed Join: no more links
	segments    []*shm.Segment // the pairs' mapped segments, unmapped at Finalize

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

// peerLost fails everything that depends on world rank peer: its link, if
// there is one, receives from it or from any source, pending rendezvous
// and collectives; later sends to it, and a link to it made later, fail
// at once. It works for a peer this rank never talked to.
func (w *world) peerLost(peer int, cause error) {
	if peer == w.rank || peer < 0 || peer >= w.size {
		return
	}
	s := &w.peers[peer]
	err := &PeerLostError{Rank: peer, Cause: cause}
	if !s.lost.CompareAndSwap(nil, err) {
		return
	}
	s.mu.Lock()
	l := s.link.Load()
	s.settle()
	s.mu.Unlock()
	if l != nil {
		l.lostErr.CompareAndSwap(nil, err)
		l.closing.Store(true)
		l.conn.Close()
	}
	// Report before failing anything: the program may exit the moment its
	// operation fails.
	if lr, ok := w.boot.(lossReporter); ok {
		w.reportOnce.Do(func() { lr.ReportLost(peer) })
	}
	for _, r := range w.eng.PeerLost(peer, err) {
		r.Owner.(*Request).complete(Status{}, err)
	}
	w.rdv.peerLost(peer, err)
	if l != nil {
		l.failQueue(err)
	}
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
