package comm

import (
	"io"
	"math"
	"net"
	"sync"
	"sync/atomic"

	"github.com/spmd-go/spmd/comm/internal/wire"
)

// messageOverhead is charged against the eager credit window for every
// eager message on top of its payload, so that a flood of empty messages is
// bounded in number as well as bytes.
const messageOverhead = 256

// smallWrite is the payload size up to which header and payload are copied
// into one buffer and written with one write(2); above it they go out with
// one writev(2) and no copy.
const smallWrite = 4 << 10

// link is the byte stream to one peer: a TCP connection, a shared-memory
// ring pair, or the in-process ring to this rank itself. User goroutines
// write frames directly under wmu. Frames are read by whoever holds rmu: a
// goroutine waiting for a request polls its link itself (no hand-off, no
// wake-up), and the link's reader goroutine covers for times when nobody
// does. Readers never block on a write (a reader blocked on a write could
// deadlock against a peer whose reader is writing too): they write a
// control frame themselves only when that cannot wait (tryWriteNow: a ring
// with room, nobody else writing), and otherwise queue it, and rendezvous
// data always, for the link's writer goroutine.
type link struct {
	w    *world
	peer int // world rank
	src  source
	wr   io.Writer
	conn io.Closer // closes both directions
	half func() error

	wmu   sync.Mutex
	hdr   [wire.HeaderSize]byte
	small []byte
	iov   [2][]byte
	bufs  net.Buffers

	credit       atomic.Int64 // eager bytes this rank may still send to peer
	owed         atomic.Int64 // credit to return to peer
	creditQueued atomic.Bool

	qmu     sync.Mutex
	queue   []queuedWrite
	qwake   chan struct{}
	quit    chan struct{}
	lostErr atomic.Pointer[PeerLostError]
	closing atomic.Bool // Finalize has begun: errors are no longer losses

	packer *packer // compression of rendezvous data (TCP links, SPMD_COMPRESS), or nil

	eager int          // largest message sent eagerly on this link
	shm   *shmEnds     // set for a shared-memory link
	watch *net.TCPConn // a shared-memory link's liveness connection

	rmu       sync.Mutex    // held while reading frames
	pollers   atomic.Int32  // goroutines polling this link while they wait
	pollGen   atomic.Uint64 // counts polling sessions: the reader sees recent ones
	idle      chan struct{}
	handover  atomic.Bool // a poller gave up: the reader goroutine reads now
	readDead  atomic.Bool // the stream ended or broke: nothing more to read
	byeSeen   bool        // under rmu
	rbuf      [wire.HeaderSize]byte
	rh        wire.Header // the frame being handled, under rmu
	view      frameView   // its payload, when shown in place, under rmu
	inline    frameView   // or when it travels in the header (wire.InlineMax), under rmu
	inlineBuf [wire.InlineMax]byte

	readerDone chan struct{}
	writerDone chan struct{}
	counts     linkCounts // messages counted for the profile (profile_link.go)
}

// frameSource is what a frame's payload is read from.
type frameSource interface {
	io.Reader
	Discard(n int) (int, error)
}

// source is a link's read side: a shared-memory ring, or a TCP stream read
// without blocking (tcpSource).
type source interface {
	frameSource
	// Ready reports without blocking whether a frame, or the end of the
	// stream, is waiting. Call it holding the link's read lock.
	Ready() bool
	// Hint is a lock-free guess that Ready may be true.
	Hint() bool
	// WaitReady blocks until Ready may be true, the stream fails, or
	// *yield is positive; it is called without the read lock.
	WaitReady(yield *atomic.Int32) error
}

// frameWriter writes a header and a payload as one publication, aligned
// for the reader (shm.Writer): the shared-memory ring, which takes small
// frames in place (ReserveFrame, CommitFrame) and others whole or
// streamed (WriteFrame), without an intermediate buffer.
type frameWriter interface {
	ReserveFrame(n int) ([]byte, error)
	CommitFrame()
	WriteFrame(a, b []byte) error
}

// writeRingFrame writes header h and payload to fw: encoded in place in
// the ring where the frame fits there, else through hdr.
func writeRingFrame(fw frameWriter, h *wire.Header, payload, hdr []byte) error {
	b, err := fw.ReserveFrame(wire.HeaderSize + len(payload))
	if err != nil {
		return err
	}
	if b == nil {
		h.Encode(hdr)
		return fw.WriteFrame(hdr, payload)
	}
	h.Encode(b)
	copy(b[wire.HeaderSize:], payload)
	fw.CommitFrame()
	return nil
}

// queuedWrite is a frame for the writer goroutine; done (a rendezvous send)
// completes once its data is written.
type queuedWrite struct {
	h       wire.Header
	payload []byte
	done    *Request
}

func newLink(w *world, peer int, src source, wr io.Writer, conn io.Closer, half func() error) *link {
	l := &link{
		w: w, peer: peer, src: src, wr: wr, conn: conn, half: half,
		idle:       make(chan struct{}, 1),
		small:      make([]byte, wire.HeaderSize+smallWrite),
		qwake:      make(chan struct{}, 1),
		quit:       make(chan struct{}),
		readerDone: make(chan struct{}),
		writerDone: make(chan struct{}),
	}
	l.credit.Store(int64(w.cfg.EagerWindow))
	l.eager = w.cfg.EagerLimit
	l.counts.on = w.prof != nil
	if _, ok := src.(*tcpSource); ok {
		l.packer = newPacker(w.cfg.Compress)
	}
	return l
}

func (l *link) start() {
	go l.readLoop()
	go l.writeLoop()
	if l.watch != nil {
		go l.watchPeer()
	}
}

// lost returns the error that ended the link, or nil.
func (l *link) lost() error {
	if e := l.lostErr.Load(); e != nil {
		return e
	}
	return nil
}

// takeCredit reserves n bytes of the eager window, or reports that the
// window is used up (the message then goes by rendezvous).
func (l *link) takeCredit(n int64) bool {
	for {
		c := l.credit.Load()
		if c < n {
			return false
		}
		if l.credit.CompareAndSwap(c, c-n) {
			return true
		}
	}
}

// giveCredit records that n bytes of the peer's eager traffic have left
// this rank's buffers. The credit rides on the next frame to the peer once
// a sixteenth of the window is owed, or on a credit frame once a quarter
// is. Less is not worth an atomic swap on every frame: the peer then lacks
// at most a sixteenth of its window.
func (l *link) giveCredit(n int64) {
	if l.owed.Add(n) >= int64(l.w.cfg.EagerWindow/4) && l.creditQueued.CompareAndSwap(false, true) {
		l.enqueue(queuedWrite{h: wire.Header{Kind: wire.Credit}})
	}
}

// writeFrame writes one frame, header and payload together.
func (l *link) writeFrame(h *wire.Header, payload []byte) error {
	l.wmu.Lock()
	if err := l.lost(); err != nil {
		l.wmu.Unlock()
		return err
	}
	if h.Kind == wire.Credit || l.owed.Load() >= int64(l.w.cfg.EagerWindow/16) {
		c := l.owed.Swap(0)
		if c > math.MaxUint32 {
			l.owed.Add(c - math.MaxUint32)
			c = math.MaxUint32
		}
		h.Credit = uint32(c)
	}
	if l.counts.on {
		l.countSent(h)
	}
	if h.Kind == wire.Eager && len(payload) <= wire.InlineMax {
		h.PutInline(payload)
		payload = nil
	}
	var err error
	if fw, ok := l.wr.(frameWriter); ok {
		err = writeRingFrame(fw, h, payload, l.hdr[:])
	} else if len(payload) <= smallWrite {
		h.Encode(l.small)
		n := copy(l.small[wire.HeaderSize:], payload)
		_, err = l.wr.Write(l.small[:wire.HeaderSize+n])
	} else {
		h.Encode(l.hdr[:])
		l.iov[0], l.iov[1] = l.hdr[:], payload
		l.bufs = l.iov[:]
		_, err = l.bufs.WriteTo(l.wr)
		l.iov[1] = nil
	}
	l.wmu.Unlock()
	if err != nil {
		return l.fail(err)
	}
	return nil
}

// fail turns an I/O error into the link's loss (unless it is closing
// cleanly) and returns the error to report.
func (l *link) fail(err error) error {
	if l.closing.Load() {
		return &PeerLostError{Rank: l.peer, Cause: ErrFinalized}
	}
	l.w.peerLost(l.peer, err)
	return l.lost()
}

// tryWriter is a writer that can write a frame without waiting, or decline:
// the shared-memory ring.
type tryWriter interface {
	TryWriteFrame(a, b []byte) bool
}

// tryWriteNow writes a control frame at once if that cannot block: the link
// writes to a ring with room, nobody else is writing, and nothing is queued
// ahead. A reader answering an RTS then saves the hand-off to the writer
// goroutine, which on a busy core can cost more than the whole message.
func (l *link) tryWriteNow(h *wire.Header) bool {
	tw, ok := l.wr.(tryWriter)
	if !ok || !l.wmu.TryLock() {
		return false
	}
	defer l.wmu.Unlock()
	l.qmu.Lock()
	queued := len(l.queue) > 0
	l.qmu.Unlock()
	if queued || l.lost() != nil {
		return false
	}
	c := l.owed.Swap(0)
	h.Credit = uint32(min(c, math.MaxUint32))
	h.Encode(l.hdr[:])
	if !tw.TryWriteFrame(l.hdr[:], nil) {
		l.owed.Add(int64(h.Credit))
		return false
	}
	if c > math.MaxUint32 {
		l.owed.Add(c - math.MaxUint32)
	}
	return true
}

func (l *link) enqueue(q queuedWrite) {
	if q.done == nil && q.payload == nil && q.h.Kind != wire.Credit && l.tryWriteNow(&q.h) {
		return
	}
	l.qmu.Lock()
	if err := l.lost(); err != nil {
		l.qmu.Unlock()
		if q.done != nil {
			q.done.complete(Status{}, err)
		}
		return
	}
	l.queue = append(l.queue, q)
	l.qmu.Unlock()
	select {
	case l.qwake <- struct{}{}:
	default:
	}
}

func (l *link) writeLoop() {
	defer close(l.writerDone)
	var batch []queuedWrite
	for {
		select {
		case <-l.qwake:
		case <-l.quit:
			return
		}
		l.qmu.Lock()
		batch, l.queue = l.queue, batch[:0]
		l.qmu.Unlock()
		for i := range batch {
			q := &batch[i]
			if q.h.Kind == wire.Credit {
				l.creditQueued.Store(false)
				if l.owed.Load() == 0 {
					continue // a user frame carried it already
				}
			}
			var err error
			if q.h.Kind == wire.Data {
				err = l.writeData(&q.h, q.payload)
			} else {
				err = l.writeFrame(&q.h, q.payload)
			}
			if q.done != nil {
				q.done.complete(Status{}, err)
			}
			*q = queuedWrite{}
		}
	}
}

// failQueue completes queued rendezvous sends with err.
func (l *link) failQueue(err error) {
	l.qmu.Lock()
	q := l.queue
	l.queue = nil
	l.qmu.Unlock()
	for _, x := range q {
		if x.done != nil {
			x.done.complete(Status{}, err)
		}
	}
}

// shutdown closes the link for good and waits for its goroutines.
func (l *link) shutdown() {
	l.closing.Store(true)
	l.conn.Close()
	select {
	case <-l.quit:
	default:
		close(l.quit)
	}
	<-l.readerDone
	<-l.writerDone
}
