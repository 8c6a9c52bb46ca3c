package shm

import (
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"unsafe"
)

// ErrClosed is returned by a ring end that was killed (its link is gone).
var ErrClosed = errors.New("shm: ring closed")

// ErrCorrupt is returned by a reader that found a frame seal no writer
// could have written: the ring can no longer be trusted.
var ErrCorrupt = errors.New("shm: corrupt ring")

// Layout of a ring's control block; data follows it.
const (
	offHead      = 0   // u64, producer: end of the bytes of streamed frames published so far
	offTail      = 64  // u64, consumer: bytes ever read
	offReaderZ   = 128 // u32 sleepers, u32 futex word of the consumer
	offEOF       = 136 // u32, producer: no more bytes will come
	offReaderCPU = 140 // u32, producer: the CPU it woke the consumer from, plus 1
	offWriterZ   = 192 // u32 sleepers, u32 futex word of the producer
	offWriterCPU = 200 // u32, consumer: the CPU it woke the producer from, plus 1
	controlBytes = 256
)

// A ring carries frames. Each starts on a FrameAlign boundary with an
// 8-byte seal, followed by the frame's bytes; the gap up to the boundary
// after a frame is skipped. The writer copies a frame in and then stores
// its seal: the frame's length, with sealWhole set when the whole frame is
// there. A reader waiting for the next frame therefore polls the seal,
// which shares a cache line with the frame's first 56 bytes: a small
// message (a 48-byte header, which holds a payload of up to 16 bytes
// itself: see wire.InlineMax) crosses from the writer's core to the
// reader's as one line, as in Open MPI's fast boxes,
// where a head index beside the data made it two, one after the other.
//
// A frame larger than the free space is streamed: its seal (without
// sealWhole) goes out with its first bytes, and the rest is published
// through head as it is copied in.
//
// The seal word must read zero until the writer stores it, although the
// same bytes held an older frame's data one lap before. The reader
// therefore zeroes, as it consumes them, the bytes of every 8-byte word
// that starts on a FrameAlign boundary, seals included, before it moves
// its tail past them; the segment starts zeroed.
const (
	sealBytes = 8
	sealWhole = 1 << 63
)

// FrameAlign is where frames start: a cache line, so that a small frame
// and its seal occupy one line, which moves from the writer's core to the
// reader's once. One-way latency of 8-byte messages (spmdbench latency):
// see the measurements in README's shared-memory section.
const FrameAlign = 64

// ring is a view of one ring in a mapped segment.
type ring struct {
	head, tail *uint64
	eof        *uint32
	data       []byte
	mask       uint64
	reader     waiter // the consumer's doorbell
	writer     waiter // the producer's doorbell
	killed     atomic.Bool
}

func u64At(b []byte, off int) *uint64 { return (*uint64)(unsafe.Pointer(&b[off])) }
func u32At(b []byte, off int) *uint32 { return (*uint32)(unsafe.Pointer(&b[off])) }

// newRing views mem (controlBytes + a power-of-two data size) as a ring.
func newRing(mem []byte) *ring {
	return &ring{
		head:   u64At(mem, offHead),
		tail:   u64At(mem, offTail),
		eof:    u32At(mem, offEOF),
		data:   mem[controlBytes:],
		mask:   uint64(len(mem) - controlBytes - 1),
		reader: waiter{sleeping: u32At(mem, offReaderZ), word: u32At(mem, offReaderZ+4), cpu: u32At(mem, offReaderCPU)},
		writer: waiter{sleeping: u32At(mem, offWriterZ), word: u32At(mem, offWriterZ+4), cpu: u32At(mem, offWriterCPU)},
	}
}

// seal returns the seal word of a frame starting at position at (a
// FrameAlign multiple).
func (r *ring) seal(at uint64) *uint64 { return u64At(r.data, int(at&r.mask)) }

// kill makes both ends of this process's view fail and wakes their sleepers.
func (r *ring) kill() {
	r.killed.Store(true)
	for _, w := range [2]waiter{r.reader, r.writer} {
		if w.local != nil {
			w.local.ring()
			continue
		}
		atomic.AddUint32(w.word, 1)
		futexWakeAll(w.word)
	}
}

func alignUp(n uint64) uint64 { return (n + FrameAlign - 1) &^ (FrameAlign - 1) }

// Reader is the consumer end of a ring: an io.Reader whose Read blocks
// until bytes are available, the producer closed the ring (io.EOF), or the
// ring was killed (ErrClosed). Read never returns bytes of two frames at
// once. Read, Discard and Ready must not run concurrently; Hint and
// WaitReady may run beside them.
//
// The reader's own bookkeeping is plain memory, and it publishes its tail
// to the writer once per frame (or per read of a streamed frame): each
// atomic store is a locked instruction on amd64 that waits for the
// reader's earlier stores to drain, and a first version of this ring made
// eight of them per frame.
type Reader struct {
	r     *ring
	tail  uint64        // our position; the shared tail follows at frame ends
	at    uint64        // where the current frame's seal was, or the next one's is
	next  atomic.Uint64 // where the next frame's seal is, for Hint
	left  uint64        // bytes of the current frame not read yet
	whole bool          // the current frame is published whole
	err   error         // a corrupt seal was found
	yield yieldCond     // WaitReady's condition, kept here so waiting allocates nothing
}

// Read copies available bytes of the current frame into p.
func (rd *Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if n := rd.available(); n > 0 {
			n = min(n, uint64(len(p)))
			rd.copyOut(p[:n])
			return int(n), nil
		}
		if rd.err != nil {
			return 0, rd.err
		}
		if atomic.LoadUint32(rd.r.eof) != 0 {
			if rd.available() == 0 && rd.err == nil {
				return 0, io.EOF
			}
			continue
		}
		if err := await(rd.r.reader, rd); err != nil {
			return 0, err
		}
	}
}

// available returns how many bytes of the current frame can be read now,
// starting the next frame first if the current one is done.
func (rd *Reader) available() uint64 {
	if rd.left == 0 && !rd.begin() {
		return 0
	}
	if rd.whole {
		return rd.left
	}
	if h := atomic.LoadUint64(rd.r.head); h > rd.tail {
		return min(h-rd.tail, rd.left)
	}
	return 0
}

// begin starts the next frame if its seal is there, and reports whether
// it did.
func (rd *Reader) begin() bool {
	at := rd.at
	if rd.err != nil {
		return false
	}
	s := atomic.LoadUint64(rd.r.seal(at))
	if s == 0 {
		return false
	}
	n, whole := s&^sealWhole, s&sealWhole != 0
	if n == 0 || whole && n > uint64(len(rd.r.data))-sealBytes {
		rd.err = fmt.Errorf("%w: seal %#x at position %d", ErrCorrupt, s, at)
		return false
	}
	// Zero the seal for the frame that starts here one lap later: a plain
	// store, published to the writer by the atomic store of the tail.
	// Hint may still look here until the frame ends; it then reads zero.
	*rd.r.seal(at) = 0
	rd.tail = at + sealBytes
	rd.left, rd.whole = n, whole
	return true
}

// Discard skips n bytes.
func (rd *Reader) Discard(n int) (int, error) {
	var scratch [512]byte
	done := 0
	for done < n {
		m, err := rd.Read(scratch[:min(len(scratch), n-done)])
		done += m
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// copyOut consumes len(p) bytes of the current frame into p.
func (rd *Reader) copyOut(p []byte) {
	pos := rd.tail & rd.r.mask
	first := copy(p, rd.r.data[pos:])
	copy(p[first:], rd.r.data)
	rd.consume(uint64(len(p)))
}

// consume moves past n bytes of the current frame, zeroing its seal
// words, and publishes the tail at the frame's end (or at once while
// streaming, for a writer that waits for room).
func (rd *Reader) consume(n uint64) {
	t := rd.tail
	rd.clearSealWords(t, t+n)
	t += n
	rd.tail = t
	rd.left -= n
	switch {
	case rd.left == 0:
		rd.at = alignUp(t)
		rd.next.Store(rd.at)
	case rd.whole:
		return // the frame's end publishes the tail
	}
	atomic.StoreUint64(rd.r.tail, t)
	rd.r.writer.ring()
}

// PeekFrame returns the unread bytes of the current frame (starting the
// next one if need be) in place in the ring, when the whole frame is
// published and does not wrap around the ring's end; otherwise nil, and
// the frame is read with Read. The bytes stay valid until ConsumeFrame,
// which must come before any other call. A small message's receiver then
// decodes its header and copies its payload straight from the ring.
func (rd *Reader) PeekFrame() []byte {
	if rd.left == 0 && !rd.begin() || !rd.whole {
		return nil
	}
	pos := rd.tail & rd.r.mask
	end := pos + rd.left
	if end > uint64(len(rd.r.data)) {
		return nil
	}
	return rd.r.data[pos:end:end]
}

// ConsumeFrame ends the frame that PeekFrame returned.
func (rd *Reader) ConsumeFrame() { rd.consume(rd.left) }

// clearSealWords zeroes the bytes in [from, to) of the words that start on
// a FrameAlign boundary, where a later frame's seal may go.
func (rd *Reader) clearSealWords(from, to uint64) {
	for q := from &^ (FrameAlign - 1); q < to; q += FrameAlign {
		lo, hi := max(q, from), min(q+sealBytes, to)
		if lo >= hi {
			continue
		}
		if lo == q && hi == q+sealBytes {
			*u64At(rd.r.data, int(q&rd.r.mask)) = 0
			continue
		}
		off := lo & rd.r.mask
		clear(rd.r.data[off : off+hi-lo])
	}
}

// ready is Read's condition: a byte to read, or a reason to stop.
func (rd *Reader) ready() bool {
	return rd.available() > 0 || rd.err != nil || atomic.LoadUint32(rd.r.eof) != 0
}

// Ready reports, without blocking, whether Read would return at once:
// bytes are waiting, or the ring is closed.
func (rd *Reader) Ready() bool { return rd.ready() || rd.r.killed.Load() }

// Hint is a lock-free guess that Ready may be true: the next frame's seal
// is there, or the ring is closed. While a frame is being read it looks at
// that frame's seal, which reads zero by then.
func (rd *Reader) Hint() bool {
	return atomic.LoadUint64(rd.r.seal(rd.next.Load())) != 0 ||
		atomic.LoadUint32(rd.r.eof) != 0 || rd.r.killed.Load()
}

// Wire makes the reader's sleepers park in this process, on a bell that
// Wake rings, rather than on a futex in the ring, and has the reader call
// notify to wake the writer's sleepers: notify must have the writer's
// process call its Writer's Wake. Both ends of a ring must be wired, or
// neither, before either is used. A goroutine asleep in a futex keeps its
// P, and with GOMAXPROCS at 1 keeps the whole process from running until
// the Go runtime takes the P back; parked on a bell, it leaves the P to
// the others (bench/results/2026-12-06-small-path).
//
// With unstack, a sleeper woken at the writer's request moves its thread
// off the writer's CPU if it finds itself there (see moveOff): for a host
// where each end has a core of its own.
func (rd *Reader) Wire(notify func(), unstack bool) {
	rd.r.reader.local = new(bell)
	rd.r.reader.unstack = unstack
	rd.r.writer.notify = notify
}

// Wake wakes the wired reader's sleepers, at the writer's request (its
// notify).
func (rd *Reader) Wake() { rd.r.reader.wake() }

// Nudge wakes the wired reader's sleepers if what they wait for has come
// (a frame, more of the frame being read, the end of the ring), as Wake
// would when the writer's request arrives: for a goroutine of this process
// that polls while the request may be held up behind it (Go's scheduler
// runs a goroutine that yields before it looks for network events). Cheap
// (one load) while nobody sleeps.
func (rd *Reader) Nudge() {
	if !rd.r.reader.asleep() || rd.r.reader.local == nil {
		return
	}
	if rd.Hint() || atomic.LoadUint64(rd.r.head) > atomic.LoadUint64(rd.r.tail) {
		rd.r.reader.wake()
	}
}

// WaitReady blocks until Hint or until *yield becomes positive (someone
// else is polling this ring, so this waiter should step aside). Unlike Read
// it does not spin: it is for a background goroutine that only covers for
// waiters that stopped polling.
func (rd *Reader) WaitReady(yield *atomic.Int32) error {
	rd.yield = yieldCond{rd, yield}
	return sleepUntil(rd.r.reader, &rd.yield)
}

// yieldCond is ready when the reader may be, or when it should step aside.
type yieldCond struct {
	rd    *Reader
	yield *atomic.Int32
}

func (c *yieldCond) ready() bool    { return c.rd.Hint() || c.yield.Load() > 0 }
func (c *yieldCond) stopped() error { return c.rd.stopped() }

func (rd *Reader) stopped() error {
	if rd.r.killed.Load() {
		return ErrClosed
	}
	return nil
}

// Kill makes Read fail with ErrClosed from now on, waking it if it sleeps.
func (rd *Reader) Kill() { rd.r.kill() }

// Writer is the producer end of a ring.
type Writer struct {
	r    *ring
	head uint64 // our position: bytes ever written, seals and gaps included
	// want is the consumer's tail that leaves the room waitRoom waits
	// for, or 0 when it does not wait; atomic, as Nudge reads it from
	// other goroutines.
	want atomic.Uint64
	// tail is the consumer's tail as last read. The consumer only ever
	// advances it, so the room it implies is a lower bound, and the
	// writer re-reads the shared tail only when a frame does not fit in
	// that room (as Open MPI's fast boxes do): the line the consumer
	// writes on every frame then stays in the consumer's cache rather
	// than moving between cores twice per message.
	tail uint64
	// reserved is where the seal of the frame ReserveFrame returned goes.
	reserved uint64
}

// room returns the free bytes in the ring, at least need if that many are
// free: from the cached tail when that shows enough, else from a fresh read.
func (w *Writer) room(need uint64) uint64 {
	size := uint64(len(w.r.data))
	if free := size - (w.head - w.tail); free >= need {
		return free
	}
	w.tail = atomic.LoadUint64(w.r.tail)
	return size - (w.head - w.tail)
}

// waitRoom blocks until need bytes are free.
func (w *Writer) waitRoom(need uint64) error {
	if w.room(need) >= need {
		return nil
	}
	// room < need, so the tail wanted is positive.
	w.want.Store(w.head + need - uint64(len(w.r.data)))
	defer w.want.Store(0)
	for w.room(need) < need {
		if err := await(w.r.writer, w); err != nil {
			return err
		}
	}
	return nil
}

// Write writes p as one frame.
func (w *Writer) Write(p []byte) (int, error) {
	if err := w.WriteFrame(p, nil); err != nil {
		return 0, err
	}
	return len(p), nil
}

// WriteFrame writes a and then b as one frame, blocking while the ring is
// full. A frame of up to a quarter of the ring is published at once when
// it is all in; a larger one is streamed, so that the reader copies out its
// first bytes while the writer copies in the rest. An empty frame writes
// nothing.
func (w *Writer) WriteFrame(a, b []byte) error {
	n := uint64(len(a) + len(b))
	if n == 0 {
		return nil
	}
	if w.r.killed.Load() {
		return ErrClosed
	}
	gap := -w.head & (FrameAlign - 1)
	need := gap + sealBytes + n
	whole := sealBytes+n <= uint64(len(w.r.data))/4
	if !whole {
		need = gap + sealBytes + 1
	}
	if err := w.waitRoom(need); err != nil {
		return err
	}
	w.head += gap
	at := w.head
	w.head += sealBytes
	if whole {
		w.copyIn(a)
		w.copyIn(b)
		w.publish(at, n|sealWhole)
		return nil
	}
	free := w.room(1)
	k := min(free, uint64(len(a)))
	w.copyIn(a[:k])
	a = a[k:]
	if len(a) == 0 {
		m := min(free-k, uint64(len(b)))
		w.copyIn(b[:m])
		b = b[m:]
	}
	atomic.StoreUint64(w.r.head, w.head) // before the seal: a reader that sees it sees these bytes
	w.publish(at, n)
	return w.stream(a, b)
}

// ReserveFrame returns n bytes of the ring, in place, for one whole frame
// that the caller fills and then publishes with CommitFrame before any
// other call: the writer's side of PeekFrame, so that a small message's
// header is encoded straight into the ring rather than into a buffer that
// is then copied (a copy that reads back, 16 bytes at a time, what the
// encoder has just stored a few bytes at a time, and stalls on it). It
// blocks while the ring lacks room. It returns nil, reserving nothing,
// when the frame would be streamed or would wrap around the ring's end
// (use WriteFrame), or when the ring is killed.
func (w *Writer) ReserveFrame(n int) ([]byte, error) {
	size := uint64(len(w.r.data))
	gap := -w.head & (FrameAlign - 1)
	pos := (w.head + gap + sealBytes) & w.r.mask
	if n <= 0 || sealBytes+uint64(n) > size/4 || pos+uint64(n) > size || w.r.killed.Load() {
		return nil, nil
	}
	if err := w.waitRoom(gap + sealBytes + uint64(n)); err != nil {
		return nil, err
	}
	w.head += gap
	w.reserved = w.head
	w.head += sealBytes + uint64(n)
	return w.r.data[pos : pos+uint64(n) : pos+uint64(n)], nil
}

// CommitFrame publishes the frame that ReserveFrame returned.
func (w *Writer) CommitFrame() {
	at := w.reserved
	w.publish(at, (w.head-at-sealBytes)|sealWhole)
}

// publish stores the seal of the frame at position at and rings the reader.
func (w *Writer) publish(at, seal uint64) {
	atomic.StoreUint64(w.r.seal(at), seal)
	w.r.reader.ring()
}

// stream writes the rest of a streamed frame, publishing it through head
// as room allows.
func (w *Writer) stream(a, b []byte) error {
	for len(a)+len(b) > 0 {
		if err := w.waitRoom(1); err != nil {
			return err
		}
		free := w.room(1)
		n := min(free, uint64(len(a)))
		w.copyIn(a[:n])
		a = a[n:]
		free -= n
		if len(a) == 0 && free > 0 {
			m := min(free, uint64(len(b)))
			w.copyIn(b[:m])
			b = b[m:]
		}
		atomic.StoreUint64(w.r.head, w.head)
		w.r.reader.ring()
	}
	return nil
}

// TryWriteFrame writes a and b as one frame only if it fits in the ring
// now, and reports whether it did: it never waits, so a reader may call it
// without risking a deadlock against a peer that is not reading.
func (w *Writer) TryWriteFrame(a, b []byte) bool {
	n := uint64(len(a) + len(b))
	gap := -w.head & (FrameAlign - 1)
	need := gap + sealBytes + n
	if n == 0 || need > w.room(need) || w.r.killed.Load() {
		return false
	}
	w.head += gap
	at := w.head
	w.head += sealBytes
	w.copyIn(a)
	w.copyIn(b)
	w.publish(at, n|sealWhole)
	return true
}

func (w *Writer) copyIn(p []byte) {
	pos := w.head & w.r.mask
	first := copy(w.r.data[pos:], p)
	copy(w.r.data, p[first:])
	w.head += uint64(len(p))
}

func (w *Writer) ready() bool {
	return atomic.LoadUint64(w.r.tail) >= w.want.Load()
}

// Wire makes the writer's sleepers park in this process, on a bell that
// Wake rings, and has the writer call notify to wake the reader's
// sleepers: notify must have the reader's process call its Reader's Wake.
// See Reader.Wire.
func (w *Writer) Wire(notify func(), unstack bool) {
	w.r.writer.local = new(bell)
	w.r.writer.unstack = unstack
	w.r.reader.notify = notify
}

// Wake wakes the wired writer's sleepers, at the reader's request.
func (w *Writer) Wake() { w.r.writer.wake() }

// Nudge wakes the wired writer's sleepers if the room they wait for is
// free, as Wake would; see Reader.Nudge.
func (w *Writer) Nudge() {
	if !w.r.writer.asleep() || w.r.writer.local == nil {
		return
	}
	if want := w.want.Load(); want != 0 && atomic.LoadUint64(w.r.tail) >= want {
		w.r.writer.wake()
	}
}

func (w *Writer) stopped() error {
	if w.r.killed.Load() {
		return ErrClosed
	}
	return nil
}

// Close tells the reader that no more bytes will come; it reads io.EOF once
// it has drained the ring.
func (w *Writer) Close() error {
	atomic.StoreUint32(w.r.eof, 1)
	w.r.reader.ring()
	return nil
}

// Kill makes Write fail with ErrClosed from now on, waking it if it sleeps.
func (w *Writer) Kill() { w.r.kill() }
