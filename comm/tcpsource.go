package comm

import (
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// tcpSource reads a link's TCP stream so that both the link's reader
// goroutine and a goroutine polling while it waits can use it: the socket
// is read without blocking into a buffer (whoever holds the link's read
// lock does), and only the reader goroutine ever sleeps on it, in the
// runtime's poller. Large payloads bypass the buffer and land directly in
// the receive buffer.
type tcpSource struct {
	rc   syscall.RawConn
	buf  []byte
	r, w int
	err  error // sticky: the stream has ended

	// The RawConn callbacks are built once, with their arguments and
	// results in fields, so that polling allocates nothing. io* serve the
	// reads (under the link's read lock); peek* serve WaitReady, which runs
	// without it.
	ioP      []byte
	ioN      int
	ioErr    error
	ioNow    func(fd uintptr)
	ioWait   func(fd uintptr) bool
	peekByte [1]byte
	peekErr  error
	peekFn   func(fd uintptr) bool
	yield    *atomic.Int32
}

func newTCPSource(c *net.TCPConn) (*tcpSource, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("comm: raw connection: %w", err)
	}
	s := &tcpSource{rc: rc, buf: make([]byte, 64<<10)}
	s.ioNow, s.ioWait, s.peekFn = s.readNow, s.readWait, s.peek
	return s, nil
}

// readNow reads once without waiting (a Control callback).
func (s *tcpSource) readNow(fd uintptr) {
	s.ioN, s.ioErr = unix.Read(int(fd), s.ioP)
	if s.ioErr == unix.EAGAIN {
		s.ioN, s.ioErr = 0, nil
	} else if s.ioErr == nil && s.ioN == 0 {
		s.ioErr = io.EOF
	}
}

// readWait reads, asking the poller to wait while there is nothing (a
// Read callback).
func (s *tcpSource) readWait(fd uintptr) bool {
	s.ioN, s.ioErr = unix.Read(int(fd), s.ioP)
	if s.ioErr == unix.EAGAIN {
		s.ioN, s.ioErr = 0, nil
		return false
	}
	if s.ioErr == nil && s.ioN == 0 {
		s.ioErr = io.EOF
	}
	return true
}

// read reads from the socket into p: without waiting (0, nil when nothing
// is there), or waiting in the runtime poller until something is.
//
// A read that does not wait goes through Control, not Read: RawConn.Read
// holds the descriptor's read lock while it sleeps in the poller, as the
// reader goroutine's WaitReady does, and a polling goroutine must never
// queue behind that.
func (s *tcpSource) read(p []byte, wait bool) (int, error) {
	s.ioP, s.ioN, s.ioErr = p, 0, nil
	var err error
	if wait {
		err = s.rc.Read(s.ioWait)
	} else {
		err = s.rc.Control(s.ioNow)
	}
	s.ioP = nil
	if err != nil {
		return 0, err
	}
	return s.ioN, s.ioErr
}

// fill reads what the socket has into the buffer, waiting if asked.
func (s *tcpSource) fill(wait bool) error {
	if s.err != nil {
		return s.err
	}
	if s.r == s.w {
		s.r, s.w = 0, 0
	}
	n, err := s.read(s.buf[s.w:], wait)
	s.w += n
	if err != nil {
		s.err = err
	}
	return err
}

// Read returns buffered bytes, or waits for more; a read as large as the
// buffer goes straight into p.
func (s *tcpSource) Read(p []byte) (int, error) {
	if s.r < s.w {
		n := copy(p, s.buf[s.r:s.w])
		s.r += n
		return n, nil
	}
	if s.err != nil {
		return 0, s.err
	}
	if len(p) >= len(s.buf) {
		n, err := s.read(p, true)
		if err != nil {
			s.err = err
		}
		return n, err
	}
	for s.r == s.w {
		if err := s.fill(true); err != nil {
			return 0, err
		}
	}
	return s.Read(p)
}

// Discard skips n bytes.
func (s *tcpSource) Discard(n int) (int, error) {
	done := 0
	for done < n {
		if s.r == s.w {
			if err := s.fill(true); err != nil {
				return done, err
			}
		}
		k := min(n-done, s.w-s.r)
		s.r += k
		done += k
	}
	return done, nil
}

// Ready reports whether a frame (or the stream's end) is waiting; it reads
// the socket without blocking. Call it holding the link's read lock.
func (s *tcpSource) Ready() bool {
	if s.r < s.w || s.err != nil {
		return true
	}
	_ = s.fill(false)
	return s.r < s.w || s.err != nil
}

// Hint is a cheap, lock-free guess that Ready may be true: for a socket
// only a system call can tell, so always.
func (s *tcpSource) Hint() bool { return true }

// WaitReady sleeps in the runtime poller until the socket has something to
// read, peeking so as not to consume it (the reader goroutine calls it
// without the read lock). yield is not watched: the poller wakes the
// goroutine when data comes, and it then steps aside if others poll.
func (s *tcpSource) WaitReady(yield *atomic.Int32) error {
	s.yield, s.peekErr = yield, nil
	if err := s.rc.Read(s.peekFn); err != nil {
		return err
	}
	return s.peekErr
}

// peek is WaitReady's Read callback: ready when a byte (or the end of the
// stream) can be read, without consuming it.
func (s *tcpSource) peek(fd uintptr) bool {
	if s.yield.Load() > 0 {
		return true
	}
	_, _, e := unix.Syscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&s.peekByte[0])), 1,
		unix.MSG_PEEK|unix.MSG_DONTWAIT, 0, 0)
	switch {
	case e == unix.EAGAIN:
		return false
	case e != 0:
		s.peekErr = e
	}
	return true // a byte, or the end of the stream, which Ready reports
}
