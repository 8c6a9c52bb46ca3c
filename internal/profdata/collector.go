package profdata

import (
	"bytes"
	"crypto/hmac"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Collector receives the ranks' data for the launcher: it answers clock
// pings with its own clock and stores each rank's one upload. Run it for
// the length of the job, then read Data.
type Collector struct {
	ln     net.Listener
	cookie []byte
	size   int
	now    func() int64
	// Logf, if set before the first rank connects, receives one line per
	// connection the collector drops (a wrong cookie, a malformed frame).
	Logf func(format string, args ...any)

	mu       sync.Mutex
	data     []*RankData
	conns    map[net.Conn]struct{}
	closed   bool
	watchers map[int]*timedConn // by rank: its watch connection (see Stop)
	stopping string             // why the job stops, once Stop is called
	told     map[int]bool       // the ranks told that it stops
	stored   chan struct{}      // a token after each upload stored, for Stop
	watched  chan struct{}      // a token after each rank told late, for Stop
	wg       sync.WaitGroup
}

// Listen starts a collector for a job of size ranks on addr ("host:port";
// ":0" for every interface on a port the system picks). Ranks must prove
// that they hold cookie. now is the collector's clock, which the ranks'
// clocks are measured against; nil means time.Now().UnixNano().
func Listen(addr string, cookie []byte, size int, now func() int64) (*Collector, error) {
	if size < 1 {
		return nil, fmt.Errorf("profdata: collector for %d ranks", size)
	}
	if len(cookie) == 0 {
		return nil, errors.New("profdata: collector needs the job's cookie")
	}
	if now == nil {
		now = func() int64 { return time.Now().UnixNano() }
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("profdata: collector: %w", err)
	}
	c := &Collector{
		ln: ln, cookie: bytes.Clone(cookie), size: size, now: now,
		data: make([]*RankData, size), conns: map[net.Conn]struct{}{},
		watchers: map[int]*timedConn{}, told: map[int]bool{},
		stored: make(chan struct{}, 1), watched: make(chan struct{}, 1),
	}
	c.wg.Add(1)
	go c.accept()
	return c, nil
}

// Addr returns the address the collector listens on, as the system reports
// it (for ":0", every interface's address with the port chosen). Ranks on
// other hosts need a host name or address they can reach with that port.
func (c *Collector) Addr() string { return c.ln.Addr().String() }

// Data returns every rank's data by rank: nil for a rank whose upload has
// not been acknowledged. The slice is a copy; the RankData are shared.
func (c *Collector) Data() []*RankData {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*RankData(nil), c.data...)
}

// Close stops listening, drops the connections still open and waits for
// their handlers. Data stays readable.
func (c *Collector) Close() error {
	c.mu.Lock()
	c.closed = true
	for conn := range c.conns {
		conn.Close()
	}
	c.mu.Unlock()
	err := c.ln.Close()
	c.wg.Wait()
	return err
}

func (c *Collector) accept() {
	defer c.wg.Done()
	for {
		conn, err := c.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // closed
		}
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			conn.Close()
			return
		}
		c.conns[conn] = struct{}{}
		c.wg.Add(1)
		c.mu.Unlock()
		go c.serve(conn)
	}
}

func (c *Collector) logf(format string, args ...any) {
	if c.Logf != nil {
		c.Logf(format, args...)
	}
}

// serve runs one rank's session: the handshake, then clock pings and the
// upload until the rank closes the connection.
func (c *Collector) serve(raw net.Conn) {
	defer c.wg.Done()
	defer func() {
		c.mu.Lock()
		delete(c.conns, raw)
		c.mu.Unlock()
		raw.Close()
	}()
	conn := &timedConn{Conn: raw, timeout: IOTimeout}
	rank, err := c.handshake(conn)
	if err != nil {
		c.logf("profile collector: %s: %v", raw.RemoteAddr(), err)
		return
	}
	for {
		// Between frames a rank may compute for a while; past IdleTimeout
		// it dials again (see Client).
		conn.timeout = IdleTimeout
		kind, n, err := readHeader(conn)
		conn.timeout = IOTimeout
		if err != nil {
			if !errors.Is(err, io.EOF) {
				c.logf("profile collector: rank %d: %v", rank, err)
			}
			return
		}
		switch kind {
		case kindClock:
			err = c.answerClock(conn, n)
		case kindData:
			err = c.store(conn, rank, n)
		case kindWatch:
			err = c.watch(conn, rank)
			if err == nil {
				return
			}
		default:
			err = fmt.Errorf("%w: unexpected frame kind %d", ErrProtocol, kind)
		}
		if err != nil {
			c.logf("profile collector: rank %d: %v", rank, err)
			return
		}
	}
}

func (c *Collector) handshake(conn *timedConn) (int, error) {
	var ch challenge
	var err error
	if ch.nonce, err = newNonce(); err != nil {
		return 0, err
	}
	if err := writeFrame(conn, kindChallenge, ch.encode()); err != nil {
		return 0, err
	}
	_, body, err := readSmallFrame(conn, kindHello)
	if err != nil {
		return 0, err
	}
	var h hello
	if err := h.decode(body, c.size); err != nil {
		_ = writeFrame(conn, kindRefuse, []byte(err.Error()))
		return 0, err
	}
	want := helloMAC(c.cookie, &ch.nonce, &h.nonce, h.rank)
	if !hmac.Equal(h.mac[:], want[:]) {
		_ = writeFrame(conn, kindRefuse, []byte("wrong job cookie"))
		return 0, fmt.Errorf("rank %d: wrong job cookie", h.rank)
	}
	mac := acceptMAC(c.cookie, &h.nonce, h.rank)
	return int(h.rank), writeFrame(conn, kindAccept, mac[:])
}

func (c *Collector) answerClock(conn *timedConn, n int) error {
	body := make([]byte, n)
	if _, err := io.ReadFull(conn, body); err != nil {
		return err
	}
	var p clockPing
	if err := p.decode(body); err != nil {
		return err
	}
	return writeFrame(conn, kindClockReply, (&clockReply{c.now()}).encode())
}

// store reads an upload of n bytes, checks it, and keeps it unless the rank
// has uploaded before. The body grows as it arrives, so a header that
// announces more than the rank sends costs no more memory than it sent.
func (c *Collector) store(conn *timedConn, rank, n int) error {
	var body bytes.Buffer
	if _, err := io.CopyN(&body, conn, int64(n)); err != nil {
		return err
	}
	d, err := Decode(&body)
	if err == nil && (d.Rank != rank || d.Size != c.size) {
		err = fmt.Errorf("%w: data of rank %d of %d on rank %d's connection in a job of %d",
			ErrFormat, d.Rank, d.Size, rank, c.size)
	}
	if err == nil {
		c.mu.Lock()
		if old := c.data[rank]; old != nil && old.Partial == "" {
			err = fmt.Errorf("rank %d has already sent its data", rank)
		} else {
			c.data[rank] = d
		}
		c.mu.Unlock()
	}
	if err == nil {
		select {
		case c.stored <- struct{}{}:
		default:
		}
	}
	if err != nil {
		_ = writeFrame(conn, kindRefuse, []byte(truncate(err.Error(), maxRefuseBody)))
		return err
	}
	return writeFrame(conn, kindAck, nil)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
