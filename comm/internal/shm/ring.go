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
	yield yieldCond     // WaitReady's condition, kept here so waiting allocates nothing
}

// Read copies available bytes into p.
func (rd *Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		head := atomic.LoadUint64(rd.r.head)
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

// Writer is the producer end of a ring.
type Writer struct {
	r    *ring
	head uint64 // our copy; only we write the shared head
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
	for len(a)+len(b) > 0 {
		free := uint64(len(w.r.data)) - (w.head - atomic.LoadUint64(w.r.tail))
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
	free := uint64(len(w.r.data)) - (w.head - atomic.LoadUint64(w.r.tail))
	if uint64(len(a)+len(b)) > free || w.r.killed.Load() {
		return false
	}
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
	return uint64(len(w.r.data))-(w.head-atomic.LoadUint64(w.r.tail)) > 0
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
