package pmi

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

// handshakeTimeout bounds how long a PMI_PORT connection may take to send
// its initack line, so that a stray connection cannot hold a goroutine.
var handshakeTimeout = 30 * time.Second

// ListenPort listens on addr (e.g. "127.0.0.1:0") for PMI_PORT-mode
// clients, which identify themselves with `cmd=initack pmiid=<rank>` (the
// launcher sets PMI_ID to the rank; see PortEnv). It returns the
// "host:port" to put in PMI_PORT; when addr's host is empty or unspecified
// ("0.0.0.0", "::") the local host name stands in for it. Connections are
// served on background goroutines until Close.
func (s *Server) ListenPort(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("pmi: listen for PMI_PORT clients: %w", err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return "", fmt.Errorf("pmi: server: %w", ErrClosed)
	}
	s.listeners = append(s.listeners, ln)
	s.mu.Unlock()

	hostport := ln.Addr().String()
	if host, port, err := net.SplitHostPort(hostport); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			if name, err := os.Hostname(); err == nil {
				hostport = net.JoinHostPort(name, port)
			}
		}
	}
	if !s.goBackground(func() func() { s.acceptLoop(ln); return nil }) {
		ln.Close()
		return "", fmt.Errorf("pmi: server: %w", ErrClosed)
	}
	return hostport, nil
}

// acceptLoop accepts PMI_PORT connections until ln is closed.
func (s *Server) acceptLoop(ln net.Listener) {
	var backoff time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || s.isClosed() {
				return
			}
			// Typically EMFILE: wait a little rather than spin.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.logf("pmi: accept: %v; retrying in %v", err, backoff)
			select {
			case <-time.After(backoff):
			case <-s.done:
				return
			}
			continue
		}
		backoff = 0
		if !s.goBackground(func() func() { return s.servePort(conn) }) {
			conn.Close()
			return
		}
	}
}

// servePort runs the PMI_PORT handshake on conn and then serves the rank it
// names. The returned function reports the outcome (runs the callbacks).
func (s *Server) servePort(conn net.Conn) func() {
	if err := s.track(conn); err != nil {
		conn.Close()
		return nil
	}
	br := newServerReader(conn)
	fail := func(format string, args ...any) func() {
		s.logf("pmi: PMI_PORT client %v: "+format, append([]any{conn.RemoteAddr()}, args...)...)
		if line, err := encodeLine("initack", "rc", "-1", "msg", "handshake_failed"); err == nil {
			conn.Write(line)
		}
		s.untrack(conn)
		conn.Close()
		return nil
	}
	_ = conn.SetReadDeadline(time.Now().Add(handshakeTimeout))
	line, err := readLine(br)
	if err != nil {
		return fail("reading initack: %v", err)
	}
	m, err := parseLine(line)
	if err != nil {
		return fail("%v", err)
	}
	if m.cmd != "initack" {
		return fail("expected cmd=initack, got cmd=%s", m.cmd)
	}
	id, ok, err := m.getInt("pmiid")
	if err != nil || !ok {
		return fail("initack without a valid pmiid")
	}
	if err := s.claim(id); err != nil {
		return fail("%v", err)
	}
	_ = conn.SetReadDeadline(time.Time{})
	// One Write for the whole answer, as Hydra sends it; the set lines
	// carry no rc, as in Hydra, since they are not replies of their own.
	reply := "cmd=initack rc=0\n" +
		"cmd=set size=" + strconv.Itoa(s.cfg.Size) + "\n" +
		"cmd=set rank=" + strconv.Itoa(id) + "\n" +
		"cmd=set debug=0\n"
	if _, err := conn.Write([]byte(reply)); err != nil {
		s.logf("pmi: rank %d: write initack: %v", id, err)
	}
	out := s.serve(id, conn, br)
	return func() { s.report(id, out) }
}
