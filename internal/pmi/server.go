package pmi

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
)

// ServerConfig describes the job a Server serves.
type ServerConfig struct {
	// Size is the number of ranks (required, >= 1).
	Size int
	// KVSName is the key-value space's name, returned by get_my_kvsname.
	// Default: a generated "kvs_<pid>_<random>".
	KVSName string
	// AppNum is returned by get_appnum.
	AppNum int
	// UniverseSize is returned by get_universe_size and for the job
	// attribute universeSize. Default (0): Size.
	UniverseSize int
	// ProcessMapping is the value served for the key PMI_process_mapping,
	// e.g. "(vector,(0,2,2))" for two nodes with two ranks each. If empty,
	// the Server serves "(vector,(0,1,Size))": all ranks on one node.
	ProcessMapping string
	// OmitProcessMapping makes get PMI_process_mapping answer "key not
	// found", as Hydra does for a placement too irregular to describe in
	// one value; MPICH then works out which ranks share a node by itself.
	OmitProcessMapping bool
	// OnAbort is called when a rank sends cmd=abort. The Server then
	// closes that rank's connection, and OnClose follows with finalized
	// false.
	OnAbort func(rank, code int, msg string)
	// OnClose is called when a rank's PMI connection ends. finalized tells
	// whether the rank sent finalize first; Hydra treats a close without
	// finalize as the rank's failure. It is not called for connections
	// that Server.Close itself shuts down.
	OnClose func(rank int, finalized bool)
	// OnPut is called when a rank's put has been accepted, before the
	// reply: a launcher can watch for keys that carry news (spmd ranks
	// report a peer they saw die; see package internal/jobnames).
	OnPut func(rank int, key, value string)
	// OnRequest is called as each well-formed request of a rank is read,
	// before it is served, with its command ("init", "barrier_in",
	// "finalize", ...): a launcher can time a rank's session by it.
	OnRequest func(rank int, cmd string)
	// OnBarrierOut is called after a rank has been told that a barrier
	// completed successfully.
	OnBarrierOut func(rank int)
	// Ranks, if not empty, makes the Server one node's part of a job that
	// spans nodes (a per-node proxy): it serves only these ranks, and its
	// barrier completes when all of them have entered it and Relay has
	// returned. Size is still the whole job's.
	Ranks []int
	// Relay is called, with Ranks, when all of them have entered a
	// barrier, with the puts they made since the last one. It returns every
	// put of the job-wide barrier (its own included), which then become
	// visible; an error fails the barrier. Required with Ranks. It runs on
	// a goroutine of its own and may block.
	Relay func(puts []KV) ([]KV, error)
	// Logf receives protocol errors and similar diagnostics, from the
	// serving goroutines, possibly concurrently. Nil discards them.
	Logf func(format string, args ...any)
}

// Server serves one job's PMI-1 clients: a key-value space, barriers, and
// job attributes. Each rank has at most one connection over the Server's
// life, made with RankConn, ServeConn or ListenPort.
//
// Callbacks (OnAbort, OnClose, OnPut, OnRequest, OnBarrierOut) run on the goroutine serving the rank, never
// with a lock held, so they may call Close. Callbacks for different ranks
// may run concurrently.
type Server struct {
	cfg      ServerConfig
	kvsName  string
	mapping  string
	universe int
	job      *job

	mu        sync.Mutex
	closed    bool
	done      chan struct{} // closed by Close
	claimed   []bool        // claimed[r]: rank r has (had) a connection
	foreign   []bool        // with ServerConfig.Ranks: foreign[r] when rank r is served elsewhere
	conns     map[io.Closer]struct{}
	listeners []net.Listener
	wg        sync.WaitGroup // serving goroutines started by the Server
}

// NewServer returns a Server for the job cfg describes.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Size < 1 {
		return nil, fmt.Errorf("pmi: ServerConfig.Size is %d, need at least 1", cfg.Size)
	}
	if cfg.UniverseSize < 0 {
		return nil, fmt.Errorf("pmi: ServerConfig.UniverseSize is negative (%d)", cfg.UniverseSize)
	}
	s := &Server{
		cfg:      cfg,
		kvsName:  cfg.KVSName,
		mapping:  cfg.ProcessMapping,
		universe: cfg.UniverseSize,
		job:      newJob(cfg.Size),
		done:     make(chan struct{}),
		claimed:  make([]bool, cfg.Size),
		conns:    make(map[io.Closer]struct{}),
	}
	if err := s.serveShare(cfg.Ranks, cfg.Relay); err != nil {
		return nil, err
	}
	if s.kvsName == "" {
		var b [6]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
		s.kvsName = fmt.Sprintf("kvs_%d_%s", os.Getpid(), hex.EncodeToString(b[:]))
	}
	if len(s.kvsName) > KVSNameMax || !validValue(s.kvsName) {
		return nil, fmt.Errorf("%w: KVSName must be 1..%d bytes of printable, space-free ASCII", ErrInvalid, KVSNameMax)
	}
	if s.mapping == "" {
		s.mapping = fmt.Sprintf("(vector,(0,1,%d))", cfg.Size)
	}
	if len(s.mapping) > ValLenMax || !validValue(s.mapping) {
		return nil, fmt.Errorf("%w: ProcessMapping must be at most %d bytes of printable, space-free ASCII", ErrInvalid, ValLenMax)
	}
	if s.universe == 0 {
		s.universe = cfg.Size
	}
	return s, nil
}

// KVSName returns the name of the job's key-value space.
func (s *Server) KVSName() string { return s.kvsName }

// Env returns the PMI variables for a rank launched with a RankConn file
// at child descriptor fd: PMI_FD, PMI_RANK and PMI_SIZE, nothing else.
func (s *Server) Env(rank, fd int) []string {
	return []string{
		EnvFD + "=" + strconv.Itoa(fd),
		EnvRank + "=" + strconv.Itoa(rank),
		EnvSize + "=" + strconv.Itoa(s.cfg.Size),
	}
}

// PortEnv returns the PMI variables for a rank that is to connect to the
// address ListenPort returned: PMI_PORT, PMI_ID, PMI_RANK and PMI_SIZE.
func (s *Server) PortEnv(hostport string, rank int) []string {
	return []string{
		EnvPort + "=" + hostport,
		EnvID + "=" + strconv.Itoa(rank),
		EnvRank + "=" + strconv.Itoa(rank),
		EnvSize + "=" + strconv.Itoa(s.cfg.Size),
	}
}

// ServeConn serves an already-connected stream as rank's PMI connection,
// blocking until it ends, and closes conn before returning. It returns nil
// when the client closed the stream or Close shut it, and an error for a
// rank that is out of range or already connected, a protocol violation
// that ended the connection, or an I/O failure.
func (s *Server) ServeConn(rank int, conn io.ReadWriteCloser) error {
	if err := s.track(conn); err != nil {
		conn.Close()
		return err
	}
	if err := s.claim(rank); err != nil {
		s.untrack(conn)
		conn.Close()
		return err
	}
	out := s.serve(rank, conn, newServerReader(conn))
	s.report(rank, out)
	return out.err
}

// Close stops the listeners, closes every connection, fails pending and
// later barriers (waiting clients get an error reply), and waits for the
// Server's own serving goroutines. It is idempotent and returns nil.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	lns := s.listeners
	s.listeners = nil
	conns := make([]io.Closer, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()

	s.job.close()
	for _, ln := range lns {
		ln.Close()
	}
	// Closing unblocks reads and writes in progress; each serving
	// goroutine then sees s.done or an I/O error and returns.
	for _, c := range conns {
		c.Close()
	}
	s.wg.Wait()
	return nil
}

// track registers c to be closed by Close.
func (s *Server) track(c io.Closer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("pmi: server: %w", ErrClosed)
	}
	s.conns[c] = struct{}{}
	return nil
}

func (s *Server) untrack(c io.Closer) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// claim reserves rank for one connection. A rank can connect only once:
// a second connection would be a second process claiming the same rank.
func (s *Server) claim(rank int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rank < 0 || rank >= s.cfg.Size {
		return fmt.Errorf("%w: rank %d out of range [0,%d)", ErrInvalid, rank, s.cfg.Size)
	}
	if s.closed {
		return fmt.Errorf("pmi: server: %w", ErrClosed)
	}
	if s.claimed[rank] {
		return fmt.Errorf("%w: rank %d already has a PMI connection", ErrInvalid, rank)
	}
	if s.foreign != nil && s.foreign[rank] {
		return fmt.Errorf("%w: rank %d is not served here", ErrInvalid, rank)
	}
	s.claimed[rank] = true
	return nil
}

// goBackground runs work on a new goroutine that Close waits for, unless
// the Server is already closed; it reports whether it started. The function
// work returns (if not nil) runs after that, outside what Close waits for:
// it is where callbacks go, and a callback may call Close. Adding to the
// WaitGroup under s.mu, after the closed check, keeps Add from racing with
// Close's Wait.
func (s *Server) goBackground(work func() (after func())) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	go func() {
		after := work()
		s.wg.Done()
		if after != nil {
			after()
		}
	}()
	return true
}

// newServerReader returns the reader for a connection's requests; its
// buffer size is the bound on a request line.
func newServerReader(r io.Reader) *bufio.Reader {
	return bufio.NewReaderSize(r, MaxLineLen)
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Logf != nil {
		s.cfg.Logf(format, args...)
	}
}

func (s *Server) isClosed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// outcome is how a rank's connection ended.
type outcome struct {
	err       error // returned by ServeConn
	finalized bool  // the rank sent finalize
	aborted   bool  // the rank sent abort
	code      int   // abort exit code
	msg       string
	byServer  bool // Close ended it: no OnClose
}

// report runs the callbacks for an ended connection.
func (s *Server) report(rank int, out outcome) {
	if out.aborted && s.cfg.OnAbort != nil {
		s.cfg.OnAbort(rank, out.code, out.msg)
	}
	if !out.byServer && s.cfg.OnClose != nil {
		s.cfg.OnClose(rank, out.finalized)
	}
}

// lineResult is one line (or the read error that ended the stream) from a
// connection's reader goroutine.
type lineResult struct {
	line []byte
	err  error
}

// serve runs rank's session on conn until it ends, then closes conn and
// tells the job the rank has gone. br must be the only reader of conn.
//
// A dedicated goroutine reads lines so that the session can watch the
// connection while it waits in a barrier: a client that aborts from another
// thread, or dies, while its barrier_in is pending must be noticed, or the
// job would hang.
func (s *Server) serve(rank int, conn io.ReadWriteCloser, br *bufio.Reader) outcome {
	lines := make(chan lineResult)
	stop := make(chan struct{})
	go func() {
		for {
			line, err := readLine(br)
			if err == nil {
				line = append([]byte(nil), line...) // br reuses its buffer
			}
			select {
			case lines <- lineResult{line, err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	sess := &session{s: s, rank: rank, conn: conn, lines: lines}
	out := sess.run()
	close(stop)
	conn.Close()
	s.untrack(conn)
	s.job.leave(rank)
	return out
}

// session is one rank's connection being served.
type session struct {
	s         *Server
	rank      int
	conn      io.ReadWriteCloser
	lines     <-chan lineResult
	finalized bool
}

func (ss *session) logf(format string, args ...any) {
	ss.s.logf("pmi: rank %d: "+format, append([]any{ss.rank}, args...)...)
}

// run serves requests until the connection ends.
func (ss *session) run() outcome {
	for {
		var r lineResult
		select {
		case r = <-ss.lines:
		case <-ss.s.done:
			return ss.endByServer()
		}
		if r.err != nil {
			return ss.readFailed(r.err)
		}
		if out, done := ss.handle(r.line); done {
			return out
		}
	}
}

func (ss *session) end(err error) outcome {
	return outcome{err: err, finalized: ss.finalized}
}

// endByServer ends a session that Server.Close cut short. A client that
// hung up by itself (EOF) is reported even if Close follows at once; only
// connections Close itself shut are not.
func (ss *session) endByServer() outcome {
	out := ss.end(nil)
	out.byServer = true
	return out
}

// readFailed ends the session after a read error: a clean close, a line too
// long to resynchronise after, or a broken stream.
func (ss *session) readFailed(err error) outcome {
	switch {
	case errors.Is(err, io.EOF):
		return ss.end(nil)
	case ss.s.isClosed():
		return ss.endByServer()
	case errors.Is(err, errLineTooLong):
		ss.logf("closing connection: %v", err)
		ss.reply("error", &replyError{-1, "line_too_long"})
		return ss.end(err)
	default:
		ss.logf("read: %v", err)
		return ss.end(fmt.Errorf("pmi: rank %d: read: %w", ss.rank, err))
	}
}

// handle serves one request line. done reports that the session is over.
func (ss *session) handle(line []byte) (out outcome, done bool) {
	m, err := parseRequest(line)
	if err != nil {
		// A bad line is answered, not fatal: its end is known, so the
		// stream is still in step.
		ss.logf("%v", err)
		return ss.replyOrEnd("error", &replyError{-1, "malformed_request"})
	}
	if ss.s.cfg.OnRequest != nil {
		ss.s.cfg.OnRequest(ss.rank, m.cmd)
	}
	switch m.cmd {
	case "init":
		return ss.init(&m)
	case "get_maxes":
		return ss.replyOrEnd("maxes", nil,
			"kvsname_max", strconv.Itoa(KVSNameMax),
			"keylen_max", strconv.Itoa(KeyLenMax),
			"vallen_max", strconv.Itoa(ValLenMax))
	case "get_universe_size":
		return ss.replyOrEnd("universe_size", nil, "size", strconv.Itoa(ss.s.universe))
	case "get_appnum":
		return ss.replyOrEnd("appnum", nil, "appnum", strconv.Itoa(ss.s.cfg.AppNum))
	case "get_my_kvsname":
		return ss.replyOrEnd("my_kvsname", nil, "kvsname", ss.s.kvsName)
	case "put":
		return ss.replyOrEnd("put_result", ss.put(&m))
	case "get":
		v, rerr := ss.get(&m)
		if rerr != nil {
			return ss.replyOrEnd("get_result", rerr)
		}
		return ss.replyOrEnd("get_result", nil, "value", v)
	case "barrier_in":
		return ss.barrier()
	case "finalize":
		ss.finalized = true
		return ss.replyOrEnd("finalize_ack", nil)
	case "abort":
		return ss.abort(&m), true
	default:
		ss.logf("unknown command %q", m.cmd)
		return ss.replyOrEnd(m.cmd+"_response", &replyError{-1, "unknown_command"})
	}
}

func (ss *session) init(m *message) (outcome, bool) {
	v, ok := m.get("pmi_version")
	if ok && v != "1" {
		// PMI-2 clients also start with this line; they must find another
		// server, so say plainly which version we speak.
		ss.logf("client asked for PMI version %q; only 1 is served", v)
		return ss.replyOrEnd("response_to_init", &replyError{-1, "unsupported_pmi_version"},
			"pmi_version", "1", "pmi_subversion", "1")
	}
	return ss.replyOrEnd("response_to_init", nil, "pmi_version", "1", "pmi_subversion", "1")
}

// checkKVS refuses a request that names a KVS other than the job's.
// A missing kvsname is taken to mean the job's own.
func (ss *session) checkKVS(m *message) *replyError {
	if name, ok := m.get("kvsname"); ok && name != ss.s.kvsName {
		return &replyError{-1, "wrong_kvsname"}
	}
	return nil
}

func (ss *session) put(m *message) *replyError {
	if err := ss.checkKVS(m); err != nil {
		return err
	}
	key, _ := m.get("key")
	val, _ := m.get("value")
	switch {
	case key == "":
		return &replyError{-1, "missing_key"}
	case len(key) > KeyLenMax:
		return &replyError{-1, "key_too_long"}
	case val == "":
		return &replyError{-1, "missing_value"}
	case len(val) > ValLenMax:
		return &replyError{-1, "value_too_long"}
	}
	if err := ss.s.job.put(ss.rank, key, val); err != nil {
		return err
	}
	if ss.s.cfg.OnPut != nil {
		ss.s.cfg.OnPut(ss.rank, key, val)
	}
	return nil
}

func (ss *session) get(m *message) (string, *replyError) {
	if err := ss.checkKVS(m); err != nil {
		return "", err
	}
	key, _ := m.get("key")
	switch key {
	case "":
		return "", &replyError{-1, "missing_key"}
	case "PMI_process_mapping":
		if !ss.s.cfg.OmitProcessMapping {
			return ss.s.mapping, nil
		}
	case "universeSize":
		return strconv.Itoa(ss.s.universe), nil
	}
	return ss.s.job.get(ss.rank, key)
}

// barrier enters the job barrier and waits for it while watching the
// connection and the Server.
func (ss *session) barrier() (outcome, bool) {
	b, rerr := ss.s.job.enterBarrier(ss.rank)
	if rerr != nil {
		return ss.replyOrEnd("barrier_out", rerr)
	}
	// A completed barrier takes precedence over anything else ready, so
	// that a single-rank job, whose barrier completes on entry, behaves
	// the same every time.
	select {
	case <-b.done:
		return ss.barrierOut(b)
	default:
	}
	select {
	case <-b.done:
		return ss.barrierOut(b)
	case <-ss.s.done:
		ss.reply("barrier_out", errServerClosed)
		return ss.endByServer(), true
	case r := <-ss.lines:
		if r.err != nil {
			return ss.readFailed(r.err), true
		}
		// Lock-step allows no request now. Abort is the exception: a
		// client may abort from another thread while this one waits.
		if m, err := parseRequest(r.line); err == nil && m.cmd == "abort" {
			return ss.abort(&m), true
		}
		ss.logf("request sent while barrier_in pending; closing connection")
		return ss.end(fmt.Errorf("%w: rank %d sent a request while in a barrier", ErrProtocol, ss.rank)), true
	}
}

func (ss *session) barrierOut(b *barrier) (outcome, bool) {
	if b.err != nil {
		return ss.replyOrEnd("barrier_out", b.err)
	}
	out, done := ss.replyOrEnd("barrier_out", nil)
	if !done && ss.s.cfg.OnBarrierOut != nil {
		ss.s.cfg.OnBarrierOut(ss.rank)
	}
	return out, done
}

// abort records a rank's abort; the session ends without a reply.
func (ss *session) abort(m *message) outcome {
	out := ss.end(nil)
	out.aborted = true
	out.code = 1 // pmi-1.1.txt: exitcode defaults to 1
	if n, ok, err := m.getInt("exitcode"); err != nil {
		ss.logf("abort: %v", err)
	} else if ok {
		out.code = n
	}
	out.msg, _ = m.get("message")
	return out
}

// replyOrEnd sends a reply; a failed write ends the session.
func (ss *session) replyOrEnd(cmd string, rerr *replyError, kv ...string) (outcome, bool) {
	if err := ss.reply(cmd, rerr, kv...); err != nil {
		if ss.s.isClosed() {
			return ss.endByServer(), true
		}
		ss.logf("write: %v", err)
		return ss.end(fmt.Errorf("pmi: rank %d: write: %w", ss.rank, err)), true
	}
	return outcome{}, false
}

// reply writes `cmd=<cmd> rc=<rc> [msg=<msg>] k=v...` with a single Write.
// rc always follows cmd directly, as modern Hydra emits it. On failure the
// reply carries only rc and msg.
func (ss *session) reply(cmd string, rerr *replyError, kv ...string) error {
	var fields []string
	if rerr != nil {
		fields = []string{"rc", strconv.Itoa(rerr.rc), "msg", rerr.msg}
		if cmd == "response_to_init" {
			fields = append(fields, kv...) // tell the client what we speak
		}
	} else {
		fields = append([]string{"rc", "0"}, kv...)
	}
	line, err := encodeLine(cmd, fields...)
	if err != nil {
		// Only a bug here could produce an unencodable reply.
		return fmt.Errorf("pmi: encoding %s reply: %w", cmd, err)
	}
	_, err = ss.conn.Write(line)
	return err
}
