package comm

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/spmd-go/spmd/comm/internal/shm"
)

// shmEnds is a shared-memory link's view of its peer: the ring this rank
// reads and the ring it writes, both in the pair's segment.
type shmEnds struct {
	rd  *shm.Reader
	wr  *shm.Writer
	pid int // the peer's process id
	// readsPeer: this rank may copy from the peer's memory
	// (process_vm_readv), so it answers the peer's RTS by pulling the
	// message itself (wire.Pulled).
	readsPeer bool
	// peerReads: the peer may copy from this rank's memory, so this
	// rank's RTS carries its buffer's address.
	peerReads bool
	// share holds the claim slots of shared copies (rendezvous_share.go).
	share *shareSlots
}

// pairEnds returns this rank's ends of a pair's segment: the ring it reads
// and the ring it writes (the dialler writes ring 0 and reads ring 1, the
// listener the other way round), with what the set-up learnt of
// cross-memory attach each way.
func pairEnds(seg *shm.Segment, readRing, writeRing, pid int, readsPeer, peerReads bool) (*shmEnds, error) {
	rd, err1 := seg.Reader(readRing)
	wr, err2 := seg.Writer(writeRing)
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	share := newShareSlots(seg.Claims(readRing), seg.Claims(writeRing))
	return &shmEnds{rd: rd, wr: wr, pid: pid, readsPeer: readsPeer, peerReads: peerReads, share: share}, nil
}

// newShmLink makes the link to a peer on this host: frames travel through
// the rings, and the TCP connection to the peer, idle, tells when the
// peer's process is gone (the kernel closes it at exit).
func newShmLink(w *world, peer int, e *shmEnds, watch *net.TCPConn) *link {
	l := newLink(w, peer, e.rd, e.wr, shmCloser{e, watch}, e.wr.Close)
	l.shm = e
	l.watch = watch
	if e.peerReads {
		l.eager = w.cfg.ShmEagerLimit // the receiver copies larger ones straight from us
	}
	return l
}

// shmCloser ends a shared-memory link: it kills the ring ends, waking any
// goroutine asleep on them, and closes the liveness connection.
type shmCloser struct {
	e     *shmEnds
	watch *net.TCPConn
}

func (c shmCloser) Close() error {
	c.e.rd.Kill()
	c.e.wr.Kill()
	return c.watch.Close()
}

// watchPeer reads the idle TCP connection of a shared-memory link: it ends
// when the peer's process does, which is then the link's loss.
func (l *link) watchPeer() {
	var b [1]byte
	_, err := l.watch.Read(b[:])
	if l.closing.Load() {
		return
	}
	if err == nil {
		err = fmt.Errorf("%w: data on the liveness connection", errProtocol)
	} else if strings.Contains(err.Error(), "EOF") {
		err = errors.New("connection closed without finalize (process exited?)")
	}
	l.w.peerLost(l.peer, err)
}

// closeSegments unmaps every pair's segment; the links using them are
// shut down, and no more can be installed (linksClosed).
func (w *world) closeSegments() {
	w.linkMu.Lock()
	segs := w.segments
	w.segments = nil
	w.linkMu.Unlock()
	for _, s := range segs {
		s.Close()
	}
}
