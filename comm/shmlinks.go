package comm

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/spmd-go/spmd/comm/internal/shm"
	"github.com/spmd-go/spmd/internal/jobnames"
)

// shmEnds is a shared-memory link's view of its peer: the ring this rank
// reads (in its own segment) and the ring it writes (in the peer's).
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
}

// Per-peer shared-memory status that each rank publishes: whether it
// mapped the peer's segment, and whether it can read the peer's memory.
const (
	shmNone   = '0'
	shmMapped = '1'
	shmPull   = '2'
)

// setupShm sets up shared memory with the ranks on this host (same host
// name and kernel): every local rank creates a segment with a ring per
// local rank, fences, maps its peers' segments, publishes what worked,
// fences again, and unlinks its own segment, which every peer has mapped by
// then, so nothing is left in /dev/shm even if the job crashes later. A
// pair uses shared memory when both sides mapped each other. It returns the
// ends per world rank (nil: use TCP).
//
// Every rank takes both fences, whatever its transport and however many
// ranks share its host: fences are global, and a rank that skipped them
// would leave the others waiting.
func (w *world) setupShm(cards []card, cookie []byte) ([]*shmEnds, error) {
	ends := make([]*shmEnds, w.size)
	var local []int // world ranks on this host, ascending; index = ring number
	for r, c := range cards {
		if c.sameHost(cards[w.rank]) {
			local = append(local, r)
		}
	}
	w.oversubscribed = len(local) > hostCPUs()
	if w.cfg.Transport == TransportTCP || len(local) < 2 {
		local = []int{w.rank}
	}
	prefix := jobnames.ShmPrefix(cookie)
	name := func(r int) string { return prefix + strconv.Itoa(r) }
	var seg *shm.Segment
	created := "0"
	if len(local) > 1 {
		var err error
		if seg, err = shm.Create(name(w.rank), len(local), w.cfg.ShmRingSize); err == nil {
			created = "1"
		} else if w.cfg.Transport == TransportShm {
			return nil, err
		} else {
			w.logf("comm: rank %d: no shared memory, using TCP on this host: %v", w.rank, err)
		}
	}
	if err := w.boot.Put(jobnames.ShmSegmentKey(w.rank), created); err != nil {
		return nil, err
	}
	if err := w.boot.Fence(); err != nil {
		return nil, err
	}
	// Map the peers' segments and probe cross-memory attach.
	peers := make([]*shm.Segment, w.size)
	status := make([]byte, len(local))
	for i, p := range local {
		status[i] = shmNone
		if p == w.rank || seg == nil {
			continue
		}
		if v, err := w.boot.Get(jobnames.ShmSegmentKey(p)); err != nil || v != "1" {
			continue
		}
		ps, err := shm.Open(name(p))
		if err != nil {
			w.logf("comm: rank %d: cannot map rank %d's segment, using TCP with it: %v", w.rank, p, err)
			continue
		}
		peers[p] = ps
		status[i] = shmMapped
		if addr, want := ps.RemoteProbe(); !w.cfg.NoCMA && shm.CanReadRemote(cards[p].pid, addr, want) {
			status[i] = shmPull
		}
	}
	if err := w.boot.Put(jobnames.ShmStatusKey(w.rank), string(status)); err != nil {
		return nil, err
	}
	if err := w.boot.Fence(); err != nil {
		return nil, err
	}
	if seg != nil {
		if err := seg.Unlink(); err != nil {
			w.logf("comm: rank %d: unlink %s: %v", w.rank, seg.Name(), err)
		}
		w.segments = append(w.segments, seg)
	}
	me := slices.Index(local, w.rank)
	var errs []error
	for i, p := range local {
		if p == w.rank {
			continue
		}
		theirs, err := w.boot.Get(jobnames.ShmStatusKey(p))
		if err != nil || len(theirs) != len(local) {
			return nil, fmt.Errorf("rank %d's shared-memory status %q: %w", p, theirs, errProtocol)
		}
		if status[i] == shmNone || theirs[me] == shmNone {
			if peers[p] != nil {
				peers[p].Close()
			}
			if w.cfg.Transport == TransportShm {
				errs = append(errs, fmt.Errorf("no shared memory with rank %d (SPMD_TRANSPORT=shm)", p))
			}
			continue
		}
		rd, err1 := seg.Reader(i)
		wr, err2 := peers[p].Writer(me)
		if err := errors.Join(err1, err2); err != nil {
			return nil, err
		}
		w.segments = append(w.segments, peers[p])
		ends[p] = &shmEnds{rd: rd, wr: wr, pid: cards[p].pid, readsPeer: status[i] == shmPull, peerReads: theirs[me] == shmPull}
	}
	return ends, errors.Join(errs...)
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

// closeSegments unmaps every segment; the links using them are shut down.
func (w *world) closeSegments() {
	for _, s := range w.segments {
		s.Close()
	}
	w.segments = nil
}
