package launcher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spmd-go/spmd/internal/jobnames"
	"github.com/spmd-go/spmd/internal/pmi"
)

// DefaultConnectTimeout bounds how long a proxy tries to reach the root,
// and how long the root waits for every proxy, when no other is given.
const DefaultConnectTimeout = 30 * time.Second

// Proxy is one per-node proxy (`spmdrun --proxy`): started on a remote host
// by the root spmdrun (through ssh, srun, pbsdsh or the user's launcher), it
// connects back to the root, proves the job's cookie, receives the ranks to
// run there, forks them, serves their PMI locally — relaying each barrier
// with its ranks' puts to the root as one message —, streams their output
// back, reports their exits and obeys the root's signals. If the root goes
// away it ends its ranks; if the proxy dies its ranks die with it
// (parent-death signal).
type Proxy struct {
	// Root lists the addresses ("host:port") at which the root may be
	// reached; the proxy tries all and keeps the first that proves itself.
	Root []string
	// Cookie is the job's secret, as hex.
	Cookie string
	// Index is the host's index in the job's mapping, or -1 for the root
	// to match Name against it.
	Index int
	// Name is the host name to claim with Index -1; empty means
	// os.Hostname().
	Name string
	// ConnectTimeout bounds reaching the root; zero means
	// DefaultConnectTimeout.
	ConnectTimeout time.Duration
	// RootGone, if not nil, is closed when the root is known to be gone by
	// other means than the connection (ssh's standard input ending).
	RootGone <-chan struct{}
	// Stderr receives the proxy's notices; nil means os.Stderr.
	Stderr io.Writer
	// Logf, if not nil, receives diagnostics.
	Logf func(format string, args ...any)
}

// proxyNode is the state of one running proxy on its node (proxyRoot is
// the root's end of the connection).
type proxyNode struct {
	p      *Proxy
	spec   *proxySpec
	conn   net.Conn
	wmu    sync.Mutex // one frame at a time
	srv    *pmi.Server
	fences chan *fenceMsg // answers to the relayed barrier
	gone   chan struct{}  // closed when the root is gone or done
	stdin  *stdinQueue
	// janitor removes the host's segments if the proxy is killed (nil if
	// it could not be started).
	janitor *janitor

	mu       sync.Mutex
	ranks    map[int]*localRank
	pmi      map[int]*pmiState
	finished sync.WaitGroup // watchers
}

// Run connects to the root and serves the job until the root says it is
// over (exit code 0) or is lost (1, with the reason).
func (p *Proxy) Run(ctx context.Context) (int, error) {
	conn, err := p.dial(ctx)
	if err != nil {
		return 1, err
	}
	defer conn.Close()
	typ, body, err := readFrame(conn)
	if err != nil {
		return 1, fmt.Errorf("proxy: reading the job from the root: %w", err)
	}
	if typ == frShutdown {
		return 0, nil // the root had nothing for this host
	}
	if typ != frSpec {
		return 1, fmt.Errorf("proxy: %w: expected the job, got type %d", errFrame, typ)
	}
	spec, err := decodeSpec(body)
	if err != nil {
		return 1, fmt.Errorf("proxy: %w", err)
	}
	r := &proxyNode{p: p, spec: spec, conn: conn, fences: make(chan *fenceMsg, 1), gone: make(chan struct{}),
		ranks: make(map[int]*localRank), pmi: make(map[int]*pmiState)}
	defer func() {
		if err := removeShm(p.Cookie); err != nil {
			p.logf("removing shared-memory segments: %v", err)
		}
	}()
	if len(spec.Ranks) == 0 {
		return r.serve(ctx)
	}
	if r.srv, err = pmi.NewServer(pmi.ServerConfig{
		Size: spec.Size, KVSName: spec.KVSName, ProcessMapping: spec.Mapping,
		OmitProcessMapping: spec.OmitMapping, Ranks: spec.Ranks, Relay: r.relay,
		OnAbort: r.onAbort, OnClose: r.onClose, OnPut: r.onPut, Logf: p.Logf,
	}); err != nil {
		return 1, fmt.Errorf("proxy: %w", err)
	}
	defer r.srv.Close()
	if r.janitor, err = startJanitor(p.Cookie); err != nil {
		p.logf("%v; shared-memory segments stay behind if this proxy is killed", err)
	}
	defer func() {
		// Once every rank has been reaped nothing can make a segment any
		// more: the proxy removes them and lets the janitor go at once,
		// so that it exits (and its ssh with it) without delay. Ranks
		// still running after their SIGKILL are the janitor's.
		reaped := waitBounded(&r.finished, closeWait)
		if err := removeShm(p.Cookie); err != nil {
			p.logf("removing shared-memory segments: %v", err)
		}
		r.janitor.release(reaped, p.logf)
	}()
	r.start()
	return r.serve(ctx)
}

// dial tries every root address, again and again, until one completes the
// handshake or the time is up.
func (p *Proxy) dial(ctx context.Context) (net.Conn, error) {
	limit := p.ConnectTimeout
	if limit <= 0 {
		limit = DefaultConnectTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	claim := proxyClaim{Index: p.Index, Name: p.Name}
	if claim.Index < 0 && claim.Name == "" {
		claim.Name, _ = os.Hostname()
	}
	var last error
	for delay := 50 * time.Millisecond; ; delay = min(2*delay, time.Second) {
		for _, addr := range p.Root {
			d := net.Dialer{Timeout: 2 * time.Second}
			conn, err := d.DialContext(ctx, "tcp", addr)
			if err == nil {
				if err = proveToRoot(conn, []byte(p.Cookie), claim); err == nil {
					return conn, nil
				}
				conn.Close()
				if errors.Is(err, errAuth) {
					return nil, fmt.Errorf("proxy: root %s: %w", addr, err)
				}
			}
			last = err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("proxy: cannot reach the root at %s within %v: %w", strings.Join(p.Root, ", "), limit, last)
		case <-time.After(delay):
		}
	}
}

// send writes one frame to the root. A failure is noticed by the reader.
func (r *proxyNode) send(typ byte, body []byte) {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	_ = r.conn.SetWriteDeadline(time.Now().Add(killWait))
	if err := writeFrame(r.conn, typ, body); err != nil {
		r.p.logf("sending to the root: %v", err)
		r.conn.Close()
	}
}

// start forks the host's ranks and a watcher for each. A rank that cannot
// be started is reported as such, and so are the ones after it, which are
// not started.
func (r *proxyNode) start() {
	spec := r.spec
	job := &Job{Env: append([]string{"SPMD_HOST=" + spec.Host}, spec.Env...)}
	var err error
	if spec.Dir != "" {
		// The proxy lives for this job only: working where the ranks do
		// makes a relative program path mean what it meant at the root.
		err = os.Chdir(spec.Dir)
	}
	path := spec.Program
	if err == nil {
		path, err = exec.LookPath(spec.Program)
	}
	for i, rank := range spec.Ranks {
		if err != nil {
			r.send(frExit, (&rankMsg{Rank: rank, Never: true, Value: cannotRun(spec.Program, err).Message}).encode())
			continue
		}
		st := &pmiState{closed: make(chan struct{})}
		r.mu.Lock()
		r.pmi[rank] = st
		r.mu.Unlock()
		var conn *os.File
		conn, err = servePMI(r.srv, rank, func(active bool, at time.Time) {
			st.active.Store(active)
			st.closedAt = at
			close(st.closed)
			r.send(frClosed, (&rankMsg{Rank: rank, Active: active, Finalized: st.finalized.Load(), Age: time.Since(at)}).encode())
		})
		if err != nil {
			r.send(frExit, (&rankMsg{Rank: rank, Never: true, Value: err.Error()}).encode())
			continue
		}
		var stdin io.Reader
		if rank == 0 && spec.Stdin {
			pr, pw, perr := os.Pipe()
			if perr == nil {
				stdin, r.stdin = pr, newStdinQueue(pw)
				defer pr.Close()
			}
		}
		output := &sync.WaitGroup{}
		env := job.rankEnv(i, len(spec.Ranks), r.srv.Env(rank, pmiChildFD), spec.JobID, r.p.Cookie)
		var cpu, ncpus int
		cpu, ncpus, err = bindCPU(spec.BindTo, i, len(spec.Ranks))
		if cpu >= 0 {
			env = append(env, "SPMD_HOST_CPUS="+strconv.Itoa(ncpus)) // as the root's supervisor does
		}
		var lr *localRank
		if err == nil {
			lr, err = startLocal(localSpec{
				rank: rank, path: path, argv: append([]string{spec.Program}, spec.Args...),
				env: env, pmiConn: conn, janitor: r.janitor.file(), stdin: stdin, cpu: cpu,
				stdout: &outputWriter{r: r, rank: rank, stream: 0},
				stderr: &outputWriter{r: r, rank: rank, stream: 1},
				output: output,
			})
		}
		_ = conn.Close()
		if err != nil {
			r.send(frExit, (&rankMsg{Rank: rank, Never: true, Value: cannotRun(spec.Program, err).Message}).encode())
			continue
		}
		r.mu.Lock()
		r.ranks[rank] = lr
		r.mu.Unlock()
		r.send(frStarted, (&rankMsg{Rank: rank, Pid: lr.pid}).encode())
		r.finished.Add(1)
		go r.watch(lr, st, output)
	}
}

// watch waits for a rank to exit and its output to be sent, then reports
// the exit as the root's supervisor does for its own ranks.
func (r *proxyNode) watch(lr *localRank, st *pmiState, output *sync.WaitGroup) {
	defer r.finished.Done()
	ps := lr.wait()
	at := time.Now()
	t := time.NewTimer(closeWait)
	select {
	case <-st.closed:
		if st.closedAt.Before(at) {
			at = st.closedAt
		}
	case <-t.C:
	}
	t.Stop()
	waitBounded(output, drainWait)
	es := statusOf(ps)
	m := &rankMsg{Rank: lr.rank, Pid: lr.pid, Code: es.code, Signal: int(es.signal), Age: time.Since(at),
		Unfinalized: isClosed(st.closed) && st.active.Load() && !st.finalized.Load()}
	if !es.known {
		m.Code = -1
	}
	r.send(frExit, m.encode())
}

// relay is the local PMI server's barrier relay: the puts go to the root,
// and the proxy waits for the barrier's outcome.
func (r *proxyNode) relay(puts []pmi.KV) ([]pmi.KV, error) {
	r.send(frFence, (&fenceMsg{Puts: puts}).encode())
	var f *fenceMsg
	select {
	case f = <-r.fences:
	case <-r.gone:
		return nil, errors.New("proxy: lost the root")
	}
	if f.Err != "" {
		return nil, fmt.Errorf("proxy: barrier failed at the root: %s", f.Err)
	}
	return f.Puts, nil
}

func (r *proxyNode) onAbort(rank, code int, msg string) {
	r.send(frAbort, (&rankMsg{Rank: rank, Code: code, Value: msg}).encode())
}

func (r *proxyNode) onClose(rank int, finalized bool) {
	r.mu.Lock()
	st := r.pmi[rank]
	r.mu.Unlock()
	if st != nil && finalized {
		st.finalized.Store(true)
	}
}

// onPut passes on at once the puts the root watches between barriers.
func (r *proxyNode) onPut(rank int, key, value string) {
	if strings.HasPrefix(key, jobnames.LostKeyPrefix) || strings.HasPrefix(key, jobnames.BlockedKeyPrefix) {
		r.send(frNotice, (&rankMsg{Rank: rank, Key: key, Value: value}).encode())
	}
}

// serve reads the root's frames until it says the job is over or is lost.
func (r *proxyNode) serve(ctx context.Context) (int, error) {
	frames := make(chan error, 1)
	go func() { frames <- r.readLoop() }()
	var err error
	select {
	case err = <-frames:
	case <-r.p.RootGone:
		// The root closes the launcher's input right after its last
		// frame: read that first if it is on its way.
		select {
		case err = <-frames:
		case <-time.After(time.Second):
			err = errors.New("proxy: the root's launcher connection ended")
		}
	case <-ctx.Done():
		err = ctx.Err()
	}
	close(r.gone) // the reader may still deliver to fences: never closed
	if r.stdin != nil {
		r.stdin.close()
	}
	if err == nil {
		r.signalRanks(syscall.SIGKILL, nil) // anything left after the root is done
		return 0, nil
	}
	r.endRanks()
	return 1, err
}

// readLoop handles frames from the root; it returns nil on shutdown.
func (r *proxyNode) readLoop() error {
	for {
		typ, body, err := readFrame(r.conn)
		if err != nil {
			return fmt.Errorf("proxy: lost the root: %w", err)
		}
		switch typ {
		case frShutdown:
			return nil
		case frFenceDone:
			f, err := decodeFence(body)
			if err != nil {
				return fmt.Errorf("proxy: %w", err)
			}
			select {
			case r.fences <- f:
			default:
				return fmt.Errorf("proxy: %w: barrier outcome with no barrier pending", errFrame)
			}
		case frSignal:
			m, err := decodeSignal(body)
			if err != nil {
				return fmt.Errorf("proxy: %w", err)
			}
			r.signalRanks(syscall.Signal(m.Signal), m.Ranks)
		case frLost:
			m, err := decodeLost(body)
			if err != nil {
				return fmt.Errorf("proxy: %w", err)
			}
			r.tellLocal(m)
		case frStdin:
			d := decoder{b: body}
			data := d.bytes()
			if err := d.end(); err != nil {
				return fmt.Errorf("proxy: %w", err)
			}
			if r.stdin != nil {
				r.stdin.push(data)
			}
		default:
			return fmt.Errorf("proxy: %w: unexpected type %d", errFrame, typ)
		}
	}
}

// signalRanks signals the process groups of ranks (all when empty). SIGTERM
// is followed by SIGCONT, so that stopped ranks see it.
func (r *proxyNode) signalRanks(sig syscall.Signal, ranks []int) {
	r.mu.Lock()
	var pids []int
	for rank, lr := range r.ranks {
		if len(ranks) == 0 || slices.Contains(ranks, rank) {
			pids = append(pids, lr.pid)
		}
	}
	r.mu.Unlock()
	for _, pid := range pids {
		var err error
		if sig == syscall.SIGUSR1 {
			err = syscall.Kill(pid, sig) // the rank itself, not what it started
		} else {
			err = signalGroup(pid, sig)
		}
		if err != nil {
			r.p.logf("%v", err)
		}
		if sig == syscall.SIGTERM {
			_ = signalGroup(pid, syscall.SIGCONT)
		}
	}
}

// endRanks ends the ranks when the root is gone: SIGTERM, then SIGKILL after
// the grace period; it waits for the watchers, bounded.
func (r *proxyNode) endRanks() {
	r.signalRanks(syscall.SIGTERM, nil)
	done := make(chan struct{})
	go func() { r.finished.Wait(); close(done) }()
	grace := r.spec.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	select {
	case <-done:
		return
	case <-time.After(grace):
	}
	r.signalRanks(syscall.SIGKILL, nil)
	select {
	case <-done:
	case <-time.After(killWait):
	}
}

func (p *Proxy) logf(format string, args ...any) {
	if p.Logf != nil {
		p.Logf(format, args...)
	}
}

// outputWriter sends a rank's output stream to the root; Close ends it.
type outputWriter struct {
	r            *proxyNode
	rank, stream int
}

func (w *outputWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	w.r.send(frOutput, (&outputMsg{Rank: w.rank, Stream: w.stream, Data: p}).encode())
	return len(p), nil
}

func (w *outputWriter) Close() error {
	w.r.send(frOutput, (&outputMsg{Rank: w.rank, Stream: w.stream}).encode())
	return nil
}

// stdinQueue writes what the root sends for rank 0's standard input into
// its pipe without ever blocking the proxy's reader: a rank that does not
// read its input must not stop barriers and signals.
type stdinQueue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	chunks [][]byte
	closed bool
}

func newStdinQueue(w *os.File) *stdinQueue {
	q := &stdinQueue{}
	q.cond = sync.NewCond(&q.mu)
	go q.run(w)
	return q
}

// push queues data; an empty chunk is the end of the input.
func (q *stdinQueue) push(data []byte) {
	q.mu.Lock()
	q.chunks = append(q.chunks, append([]byte(nil), data...))
	q.mu.Unlock()
	q.cond.Signal()
}

func (q *stdinQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Signal()
}

func (q *stdinQueue) run(w *os.File) {
	defer w.Close()
	for {
		q.mu.Lock()
		for len(q.chunks) == 0 && !q.closed {
			q.cond.Wait()
		}
		if len(q.chunks) == 0 {
			q.mu.Unlock()
			return
		}
		c := q.chunks[0]
		q.chunks = q.chunks[1:]
		q.mu.Unlock()
		if len(c) == 0 {
			return
		}
		if _, err := w.Write(c); err != nil {
			return
		}
	}
}

// waitBounded waits for wg, at most d, and reports whether it was done.
func waitBounded(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}
