package shm

import (
	"errors"
	"io"
	"sync/atomic"
	"unsafe"
)

// ErrClosed is returned by a ring end that was killed (its link is gone).
var ErrClosed = errors.New("shm: ring closed")

// Layout of a ring's control block; data follows it.
const (
	offHead      = 0   // u64, producer: bytes ever written
	offTail      = 64  // u64, consumer: bytes ever read
	offReaderZ   = 128 // u32 sleeping flag, u32 futex word of the consumer
	offEOF       = 136 // u32, producer: no more bytes will come
	offWriterZ   = 192 // u32 sleeping flag, u32 futex word of the producer
	controlBytes = 256
)

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
		reader: waiter{sleeping: u32At(mem, offReaderZ), word: u32At(mem, offReaderZ+4)},
		writer: waiter{sleeping: u32At(mem, offWriterZ), word: u32At(mem, offWriterZ+4)},
	}
}

// kill makes both ends of this process's view fail and wakes their sleepers.
func (r *ring) kill() {
	r.killed.Store(true)
	atomic.AddUint32(r.reader.word, 1)
	futexWakeAll(r.reader.word)
	atomic.AddUint32(r.writer.word, 1)
	futexWakeAll(r.writer.word)
}

// Reader is the consumer end of a ring: an io.Reader whose Read blocks
// until bytes are available, the producer closed the ring (io.EOF), or the
// ring was killed (ErrClosed).
type Reader struct {
	r     *ring
	tail  atomic.Uint64 // our copy; only we write the shared tail
	align bool          // AlignFrame found nothing yet: Read aligns first
	yield yieldCond     // WaitReady's condition, kept here so waiting allocates nothing
}

// Read copies available bytes into p.
func (rd *Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		head := atomic.LoadUint64(rd.r.head)
		if rd.align && head != rd.tail.Load() {
			rd.AlignFrame()
		}
		if avail := head - rd.tail.Load(); avail > 0 {
			n := min(uint64(len(p)), avail)
			rd.copyOut(p[:n])
			return int(n), nil
		}
		if atomic.LoadUint32(rd.r.eof) != 0 {
			if atomic.LoadUint64(rd.r.head) == rd.tail.Load() {
				return 0, io.EOF
			}
			continue
		}
		if err := await(rd.r.reader, rd); err != nil {
			return 0, err
		}
	}
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

func (rd *Reader) copyOut(p []byte) {
	tail := rd.tail.Load()
	pos := tail & rd.r.mask
	first := copy(p, rd.r.data[pos:])
	copy(p[first:], rd.r.data)
	tail += uint64(len(p))
	rd.tail.Store(tail)
	atomic.StoreUint64(rd.r.tail, tail)
	rd.r.writer.ring()
}

func (rd *Reader) ready() bool {
	return atomic.LoadUint64(rd.r.head) != rd.tail.Load() || atomic.LoadUint32(rd.r.eof) != 0
}

// AlignFrame moves the reader to the next FrameAlign boundary, where the
// next frame starts if the writer uses WriteFrame; call it before reading
// each frame's header. While nothing has been published yet (the writer
// publishes the padding with the frame's first bytes), the next Read
// aligns instead.
func (rd *Reader) AlignFrame() {
	rd.align = false
	t := rd.tail.Load()
	up := (t + FrameAlign - 1) &^ (FrameAlign - 1)
	switch head := atomic.LoadUint64(rd.r.head); {
	case up == t:
	case head == t:
		rd.align = true
	default:
		rd.tail.Store(up) // the shared tail follows at the next copyOut
	}
}

// Ready reports, without blocking, whether Read would return at once:
// bytes are waiting, or the ring is closed.
func (rd *Reader) Ready() bool { return rd.ready() || rd.r.killed.Load() }

// Hint is Ready: for a ring the check is lock-free and cheap.
func (rd *Reader) Hint() bool { return rd.Ready() }

// WaitReady blocks until Ready or until *yield becomes positive (someone
// else is polling this ring, so this waiter should step aside). Unlike Read
// it does not spin: it is for a background goroutine that only covers for
// waiters that stopped polling.
func (rd *Reader) WaitReady(yield *atomic.Int32) error {
	rd.yield = yieldCond{rd, yield}
	return sleepUntil(rd.r.reader, &rd.yield)
}

// yieldCond is ready when the reader is, or when it should step aside.
type yieldCond struct {
	rd    *Reader
	yield *atomic.Int32
}

func (c *yieldCond) ready() bool    { return c.rd.ready() || c.yield.Load() > 0 }
func (c *yieldCond) stopped() error { return c.rd.stopped() }

func (rd *Reader) stopped() error {
	if rd.r.killed.Load() {
		return ErrClosed
	}
	return nil
}

// Kill makes Read fail with ErrClosed from now on, waking it if it sleeps.
func (rd *Reader) Kill() { rd.r.kill() }

// FrameAlign is where frames written with WriteFrame start: a cache line,
// so that a small frame (the 48-byte header and up to 16 payload bytes)
// occupies one line, which moves from the writer's core to the reader's
// once, rather than straddling two lines, one of them shared with the frame
// before it. One-way latency of 8-byte messages (spmdbench latency, 5
// rounds alternated): 0.46–0.47 µs aligned against 0.47–0.48 µs unaligned
// (and 0.49–0.57 µs before the writer cached the tail): a small gain, at
// the cost of at most 63 ring bytes per frame.
const FrameAlign = 64

// Writer is the producer end of a ring.
type Writer struct {
	r    *ring
	head uint64 // our copy; only we write the shared head
	need uint64 // free bytes ready waits for (0: 1)
	// tail is the consumer's tail as last read. The consumer only ever
	// advances it, so the room it implies is a lower bound, and the
	// writer re-reads the shared tail only when a frame does not fit in
	// that room (as Open MPI's fast boxes do): the line the consumer
	// writes on every frame then stays in the consumer's cache rather
	// than moving between cores twice per message.
	tail uint64
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

// Write copies p into the ring, blocking while it is full.
func (w *Writer) Write(p []byte) (int, error) {
	if err := w.WriteV(p, nil); err != nil {
		return 0, err
	}
	return len(p), nil
}

// WriteV writes a and then b, publishing as much of both as fits at once,
// so that a frame header and a small payload become visible together.
func (w *Writer) WriteV(a, b []byte) error {
	return w.writeV(a, b)
}

// WriteFrame is WriteV for a frame that starts on a FrameAlign boundary:
// the bytes up to it are skipped, and published together with the frame's
// first bytes, so that a reader that sees anything past its position at a
// frame boundary also sees the frame start (Reader.AlignFrame). Every
// frame on a ring must then be written this way.
func (w *Writer) WriteFrame(a, b []byte) error {
	if pad := -w.head & (FrameAlign - 1); pad > 0 && len(a)+len(b) > 0 {
		w.need = pad + 1
		for w.room(pad+1) < pad+1 {
			if err := await(w.r.writer, w); err != nil {
				w.need = 0
				return err
			}
		}
		w.need = 0
		w.head += pad // published with the first bytes below
	}
	return w.writeV(a, b)
}

func (w *Writer) writeV(a, b []byte) error {
	for len(a)+len(b) > 0 {
		free := w.room(uint64(len(a) + len(b)))
		if free == 0 {
			if err := await(w.r.writer, w); err != nil {
				return err
			}
			continue
		}
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

// TryWriteV writes a and b only if both fit in the ring now, and reports
// whether it did: it never waits, so a reader may call it without risking
// a deadlock against a peer that is not reading.
func (w *Writer) TryWriteV(a, b []byte) bool {
	return w.tryWrite(a, b, 0)
}

// TryWriteFrame is TryWriteV for a frame aligned as WriteFrame aligns it.
func (w *Writer) TryWriteFrame(a, b []byte) bool {
	return w.tryWrite(a, b, -w.head&(FrameAlign-1))
}

func (w *Writer) tryWrite(a, b []byte, pad uint64) bool {
	n := pad + uint64(len(a)+len(b))
	if n > w.room(n) || w.r.killed.Load() {
		return false
	}
	w.head += pad
	w.copyIn(a)
	w.copyIn(b)
	atomic.StoreUint64(w.r.head, w.head)
	w.r.reader.ring()
	return true
}

func (w *Writer) copyIn(p []byte) {
	pos := w.head & w.r.mask
	first := copy(w.r.data[pos:], p)
	copy(w.r.data, p[first:])
	w.head += uint64(len(p))
}

func (w *Writer) ready() bool {
	return uint64(len(w.r.data))-(w.head-atomic.LoadUint64(w.r.tail)) >= max(w.need, 1)
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
	atomic.AddUint32(w.r.reader.word, 1)
	futexWakeAll(w.r.reader.word)
	return nil
}

// Kill makes Write fail with ErrClosed from now on, waking it if it sleeps.
func (w *Writer) Kill() { w.r.kill() }
