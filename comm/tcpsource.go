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
}

func newTCPSource(c *net.TCPConn) (*tcpSource, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("comm: raw connection: %w", err)
	}
	return &tcpSource{rc: rc, buf: make([]byte, 64<<10)}, nil
}

// read reads from the socket into p: without waiting (0, nil when nothing
// is there), or waiting in the runtime poller until something is.
//
// A read that does not wait goes through Control, not Read: RawConn.Read
// holds the descriptor's read lock while it sleeps in the poller, as the
// reader goroutine's WaitReady does, and a polling goroutine must never
// queue behind that.
func (s *tcpSource) read(p []byte, wait bool) (int, error) {
	var n int
	var rerr error
	if !wait {
		err := s.rc.Control(func(fd uintptr) {
			n, rerr = unix.Read(int(fd), p)
			if rerr == unix.EAGAIN {
				n, rerr = 0, nil
			} else if rerr == nil && n == 0 {
				rerr = io.EOF
			}
		})
		if err != nil {
			return 0, err
		}
		return n, rerr
	}
	err := s.rc.Read(func(fd uintptr) bool {
		n, rerr = unix.Read(int(fd), p)
		if rerr == unix.EAGAIN {
			n, rerr = 0, nil
			return !wait
		}
		if rerr == nil && n == 0 {
			rerr = io.EOF
		}
		return true
	})
	if err != nil {
		return 0, err
	}
	return n, rerr
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
	var one [1]byte
	var perr error
	err := s.rc.Read(func(fd uintptr) bool {
		if yield.Load() > 0 {
			return true
		}
		n, _, e := unix.Syscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&one[0])), 1,
			unix.MSG_PEEK|unix.MSG_DONTWAIT, 0, 0)
		switch {
		case e == unix.EAGAIN:
			return false
		case e != 0:
			perr = e
		case n == 0:
			perr = nil // end of stream: Ready will report it
		}
		return true
	})
	if err != nil {
		return err
	}
	return perr
}
