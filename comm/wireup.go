package comm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spmd-go/spmd/comm/internal/shm"
	"github.com/spmd-go/spmd/comm/internal/tcp"
	"github.com/spmd-go/spmd/comm/internal/wire"
	"github.com/spmd-go/spmd/internal/jobnames"
)

// Lazy wire-up. Init opens no connection: a rank's link to a peer is made
// when it first has a frame for the peer (connectTo, from the sending
// goroutine), or when the peer dials it (accepted, on the listener's
// goroutine). Both may happen at once; the pair set-up exchange (package
// wire's Offer, Verdict, Confirm) settles which connection the pair keeps
// before either carries a frame:
//
//   - A listener takes an incoming connection unless it already has a link
//     to the peer, is taking another connection from it, has lost it, or is
//     dialling it itself while its rank is the lower one: of two
//     connections dialled at once the lower rank's wins, on both sides.
//   - A dialler whose connection is declined waits for the peer's, which
//     its listener takes (the peer is the lower rank, so it wins there).
//
// Either way exactly one connection becomes the pair's link on both sides,
// and nothing is written to a connection before its Verdict, so no frame is
// lost or reordered. A goroutine that finds a dial or an accept of the peer
// under way waits for it (peerSlot.ready) rather than dialling again.

// peerSlot is what this rank knows of one peer. link and lost are read
// without the lock; everything changes under mu.
type peerSlot struct {
	link atomic.Pointer[link]          // set once, when the link is up
	lost atomic.Pointer[PeerLostError] // set once, when the peer is lost

	mu        sync.Mutex
	dialing   bool          // a goroutine of this rank dials the peer
	accepting bool          // the listener is setting up the peer's connection
	settled   bool          // ready is closed
	ready     chan struct{} // closed once the link is up or the peer lost
	card      *card         // the peer's business card, once read
}

// settle closes ready once. The caller holds mu.
func (s *peerSlot) settle() {
	if !s.settled {
		s.settled = true
		close(s.ready)
	}
}

// link returns the link to world rank peer, or nil when there is none yet.
func (w *world) link(peer int) *link { return w.peers[peer].link.Load() }

// linkTo returns the link to world rank peer, making it first if there is
// none: a dial bounded by the connect timeout, or a wait for the dial or
// accept already under way. A peer that cannot be reached is lost.
func (w *world) linkTo(peer int) (*link, error) {
	if l := w.peers[peer].link.Load(); l != nil {
		return l, nil
	}
	return w.connectTo(peer)
}

func (w *world) connectTo(peer int) (*link, error) {
	s := &w.peers[peer]
	s.mu.Lock()
	if l := s.link.Load(); l != nil {
		s.mu.Unlock()
		return l, nil
	}
	if e := s.lost.Load(); e != nil {
		s.mu.Unlock()
		return nil, e
	}
	if w.finalizing.Load() {
		s.mu.Unlock()
		return nil, fmt.Errorf("comm: rank %d: first message to rank %d after Finalize began: %w", w.rank, peer, ErrFinalized)
	}
	dial := !s.dialing && !s.accepting
	if dial {
		s.dialing = true
	}
	s.mu.Unlock()
	if dial {
		if err := w.dial(peer); err != nil {
			s.mu.Lock()
			s.dialing = false
			up := s.link.Load() != nil // the peer's own connection made it
			s.mu.Unlock()
			if errors.Is(err, ErrFinalized) {
				return nil, err // this rank closed its links (Abort): no loss
			}
			if !up {
				w.peerLost(peer, err)
			}
		}
	}
	timer := time.NewTimer(w.cfg.ConnectTimeout)
	defer timer.Stop()
	select {
	case <-s.ready:
	case <-timer.C:
		w.peerLost(peer, fmt.Errorf("no connection within %v (SPMD_CONNECT_TIMEOUT)", w.cfg.ConnectTimeout))
	}
	if l := s.link.Load(); l != nil {
		return l, nil
	}
	return nil, s.lost.Load()
}

// cardOf returns peer's business card, reading it from the key-value space
// the first time.
func (w *world) cardOf(peer int) (card, error) {
	s := &w.peers[peer]
	s.mu.Lock()
	pc := s.card
	s.mu.Unlock()
	if pc != nil {
		return *pc, nil
	}
	v, err := w.boot.Get(jobnames.CardKey(peer))
	if err != nil {
		return card{}, fmt.Errorf("business card of rank %d: %w", peer, err)
	}
	c, err := parseCard(v)
	if err != nil {
		return card{}, fmt.Errorf("rank %d: %w", peer, err)
	}
	s.mu.Lock()
	s.card = &c
	s.mu.Unlock()
	return c, nil
}

// shmWith reports whether this rank offers shared memory to the rank
// whose card is pc: it runs on this host (same name and kernel) and the
// transport allows it.
func (w *world) shmWith(pc card) bool {
	return w.cfg.Transport != TransportTCP && pc.sameHost(w.me)
}

// dial connects to peer and sets the pair up. It returns nil once the link
// is installed or the peer declined the connection (its own, which wins,
// is then on its way), and an error when the peer cannot be reached or set
// up with.
func (w *world) dial(peer int) error {
	pc, err := w.cardOf(peer)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.ConnectTimeout)
	defer cancel()
	c, err := w.reach(ctx, peer, pc)
	if err != nil {
		return err
	}
	l, seg, err := w.offer(c, peer, pc)
	if err != nil {
		c.Close()
		return fmt.Errorf("setting up the connection to rank %d (pid %d on %s): %w", peer, pc.pid, pc.host, err)
	}
	if l == nil {
		return nil // declined
	}
	return w.install(peer, l, seg)
}

// offer runs the dialler's side of the pair set-up on c: it offers a
// shared-memory segment when peer is on this host, and returns the link
// to install (with its segment, if any), or nil when the peer declined.
func (w *world) offer(c *net.TCPConn, peer int, pc card) (*link, *shm.Segment, error) {
	if err := c.SetDeadline(time.Now().Add(w.cfg.ConnectTimeout)); err != nil {
		return nil, nil, err
	}
	o := wire.Offer{Pid: int64(os.Getpid())}
	var seg *shm.Segment
	if w.shmWith(pc) {
		name := w.shmPrefix + strconv.Itoa(w.rank) + "-" + strconv.Itoa(peer) + "-" + strconv.FormatUint(w.pairSeq.Add(1), 10)
		s, err := shm.Create(name, 2, w.ringSize)
		switch {
		case err == nil:
			seg = s
			o.Flags, o.Name = wire.OfferShm, name
			seg.Warm() // the peer has not mapped it yet
		case w.cfg.Transport == TransportShm:
			return nil, nil, err
		default:
			w.logf("comm: rank %d: no shared memory with rank %d, using TCP: %v", w.rank, peer, err)
		}
	}
	closeSeg := func() {
		if seg != nil {
			_ = seg.Unlink()
			seg.Close()
		}
	}
	var ob [wire.OfferSize]byte
	if err := o.Encode(ob[:]); err != nil {
		closeSeg()
		return nil, nil, err
	}
	var v wire.Verdict
	var vb [wire.VerdictSize]byte
	_, err := c.Write(ob[:])
	if err == nil {
		_, err = io.ReadFull(c, vb[:])
	}
	if err == nil {
		err = v.Decode(vb[:])
	}
	if seg != nil {
		// The peer has mapped it by now, or never will: either way the
		// name has served, and nothing is left in /dev/shm.
		if uerr := seg.Unlink(); uerr != nil {
			w.logf("comm: rank %d: unlink %s: %v", w.rank, seg.Name(), uerr)
		}
	}
	if err != nil {
		closeSeg()
		return nil, nil, err
	}
	if v.Flags&wire.Accepted == 0 {
		closeSeg()
		c.Close()
		return nil, nil, nil
	}
	if seg != nil && v.Flags&wire.ShmMapped == 0 {
		closeSeg()
		seg = nil
		if w.cfg.Transport == TransportShm {
			return nil, nil, fmt.Errorf("rank %d could not map the shared-memory segment (SPMD_TRANSPORT=shm)", peer)
		}
	}
	var l *link
	if seg != nil {
		_, probe := seg.ProbeAddr()
		reads := !w.cfg.NoCMA && shm.CanReadRemote(pc.pid, uintptr(v.ProbeAddr), probe)
		cf := wire.Confirm{}
		if reads {
			cf.Flags = wire.ReadsPeer
		}
		var cb [wire.ConfirmSize]byte
		cf.Encode(cb[:])
		if _, err := c.Write(cb[:]); err != nil {
			seg.Close()
			return nil, nil, err
		}
		e, err := pairEnds(seg, 1, 0, pc.pid, reads, v.Flags&wire.ReadsPeer != 0)
		if err != nil {
			seg.Close()
			return nil, nil, err
		}
		if err := c.SetDeadline(time.Time{}); err != nil {
			seg.Close()
			return nil, nil, err
		}
		l = newShmLink(w, peer, e, c)
	} else {
		if err := c.SetDeadline(time.Time{}); err != nil {
			return nil, nil, err
		}
		if l, err = newTCPLink(w, peer, c); err != nil {
			return nil, nil, err
		}
	}
	return l, seg, nil
}

// accepted is the listener's hand-off of an authenticated connection from
// peer: it answers the peer's Offer, and takes the connection as the
// pair's link or declines it (see the rules at the top of this file). It
// runs on the listener's goroutine for that connection.
func (w *world) accepted(peer int, c *net.TCPConn) {
	deadline := time.Now().Add(w.cfg.ConnectTimeout)
	if err := c.SetDeadline(deadline); err != nil {
		c.Close()
		return
	}
	select {
	case <-w.joined: // the fields Join sets after listening are set
	case <-time.After(time.Until(deadline)):
		c.Close()
		return
	}
	var ob [wire.OfferSize]byte
	var o wire.Offer
	_, err := io.ReadFull(c, ob[:])
	if err == nil {
		err = o.Decode(ob[:])
	}
	if err != nil {
		w.logf("comm: rank %d: dropped a connection from rank %d: %v", w.rank, peer, err)
		c.Close()
		return
	}
	s := &w.peers[peer]
	s.mu.Lock()
	w.linkMu.Lock()
	closed := w.linksClosed
	w.linkMu.Unlock()
	// Refused outright (no verdict: the dialler's set-up fails at once): a
	// lost peer, or a world that closed its links. Declined: the peer's
	// dial crossed this rank's own, which wins (this rank is the lower),
	// or which the peer took already (the link is up here, and will be
	// there once its listener has installed it), or the pair's connection
	// is being taken already.
	refuse := closed || s.lost.Load() != nil
	decline := !refuse && (s.link.Load() != nil || s.accepting || s.dialing && w.rank < peer)
	if !refuse && !decline {
		s.accepting = true
	}
	s.mu.Unlock()
	if decline {
		var vb [wire.VerdictSize]byte
		(&wire.Verdict{}).Encode(vb[:])
		_, _ = c.Write(vb[:])
	}
	if refuse || decline {
		c.Close()
		return
	}
	err = w.take(peer, c, &o)
	s.mu.Lock()
	s.accepting = false
	s.mu.Unlock()
	if err != nil {
		c.Close()
		if !errors.Is(err, ErrFinalized) {
			w.peerLost(peer, fmt.Errorf("setting up its connection: %w", err))
		}
	}
}

// take is the listener's side of a pair set-up it agreed to: it maps the
// offered segment if any, answers, and installs the link.
func (w *world) take(peer int, c *net.TCPConn, o *wire.Offer) error {
	v := wire.Verdict{Flags: wire.Accepted}
	var seg *shm.Segment
	if o.Flags&wire.OfferShm != 0 && w.cfg.Transport != TransportTCP && strings.HasPrefix(o.Name, w.shmPrefix) {
		s, err := shm.Open(o.Name)
		if err == nil && s.Rings() != 2 {
			s.Close()
			err = fmt.Errorf("segment %s has %d rings, not 2: %w", o.Name, s.Rings(), shm.ErrSegment)
		}
		if err != nil {
			w.logf("comm: rank %d: cannot map rank %d's segment, using TCP with it: %v", w.rank, peer, err)
		} else {
			seg = s
			seg.Warm()       // the peer uses the rings only after the verdict
			_ = seg.Unlink() // whichever side is first; nothing stays in /dev/shm
			addr, _ := seg.ProbeAddr()
			v.Flags |= wire.ShmMapped
			v.ProbeAddr = uint64(addr)
			if paddr, want := seg.RemoteProbe(); !w.cfg.NoCMA && shm.CanReadRemote(int(o.Pid), paddr, want) {
				v.Flags |= wire.ReadsPeer
			}
		}
	}
	fail := func(err error) error {
		if seg != nil {
			seg.Close()
		}
		return err
	}
	var vb [wire.VerdictSize]byte
	v.Encode(vb[:])
	if _, err := c.Write(vb[:]); err != nil {
		return fail(err)
	}
	var l *link
	if seg != nil {
		var cb [wire.ConfirmSize]byte
		var cf wire.Confirm
		_, err := io.ReadFull(c, cb[:])
		if err == nil {
			err = cf.Decode(cb[:])
		}
		if err != nil {
			return fail(err)
		}
		e, err := pairEnds(seg, 0, 1, int(o.Pid), v.Flags&wire.ReadsPeer != 0, cf.Flags&wire.ReadsPeer != 0)
		if err != nil {
			return fail(err)
		}
		if err := c.SetDeadline(time.Time{}); err != nil {
			return fail(err)
		}
		l = newShmLink(w, peer, e, c)
	} else {
		if err := c.SetDeadline(time.Time{}); err != nil {
			return err
		}
		var err error
		if l, err = newTCPLink(w, peer, c); err != nil {
			return err
		}
	}
	return w.install(peer, l, seg)
}

// install makes l the link to peer and starts it, unless the peer was lost
// meanwhile or this rank has closed its links for good (Finalize): the
// link is then closed and the error returned.
func (w *world) install(peer int, l *link, seg *shm.Segment) error {
	s := &w.peers[peer]
	s.mu.Lock()
	defer s.mu.Unlock()
	err := error(nil)
	if e := s.lost.Load(); e != nil {
		err = e
	}
	w.linkMu.Lock()
	if err == nil && w.linksClosed {
		err = fmt.Errorf("comm: rank %d: connection from rank %d after Finalize: %w", w.rank, peer, ErrFinalized)
	}
	if err != nil {
		w.linkMu.Unlock()
		l.conn.Close()
		if seg != nil {
			seg.Close()
		}
		return err
	}
	if seg != nil {
		w.segments = append(w.segments, seg)
	}
	if w.finalizing.Load() {
		l.closing.Store(true) // Finalize's goodbye covers it; an end is no loss
	}
	s.link.Store(l)
	active := append(slices.Clone(*w.active.Load()), l)
	w.active.Store(&active)
	w.linkMu.Unlock()
	s.settle()
	l.start()
	return nil
}

// links returns the links that exist now, this rank's link to itself
// first. The slice is shared: do not modify it.
func (w *world) links() []*link { return *w.active.Load() }

// newTCPLink makes the link to a peer on another host (or any peer under
// SPMD_TRANSPORT=tcp) over connection c.
func newTCPLink(w *world, peer int, c *net.TCPConn) (*link, error) {
	src, err := newTCPSource(c)
	if err != nil {
		return nil, err
	}
	return newLink(w, peer, src, c, c, c.CloseWrite), nil
}

// reach dials peer and proves the job's cookie: on loopback when the peer
// runs on this host, else on each address of its card in turn.
func (w *world) reach(ctx context.Context, peer int, pc card) (*net.TCPConn, error) {
	addrs := pc.addrs
	if pc.sameHost(w.me) {
		addrs = []string{"127.0.0.1"}
	}
	var errs []error
	for _, a := range addrs {
		c, err := tcp.Dial(ctx, net.JoinHostPort(a, strconv.Itoa(pc.port)), w.cookie, w.rank, peer)
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("cannot reach rank %d (pid %d on %s): %w", peer, pc.pid, pc.host, errors.Join(errs...))
}
