package comm

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spmd-go/spmd/internal/hostlist"
	"github.com/spmd-go/spmd/internal/pmi"
)

// The plain-Slurm bootstrap: the last resort before a singleton, for a
// task that srun started without a PMI service it can use (--mpi=none, or
// --mpi=pmix, whose PMIx server a Go process cannot speak to). Slurm then
// tells each task only its place in the step:
//
//	SLURM_JOB_ID, SLURM_STEP_ID   which step (both required)
//	SLURM_PROCID                  the rank (required)
//	SLURM_STEP_NUM_TASKS          the size, else SLURM_NTASKS, else SLURM_NPROCS
//	SLURM_STEP_NODELIST           the step's nodes, else SLURM_JOB_NODELIST,
//	                              else SLURM_NODELIST (compressed: "n[01-04]")
//
// Rank 0 serves the job's key-value space itself: a pmi.Server listening
// on TCP port P on every interface of its node, which must be the first
// node of the step's node list (srun's block, cyclic and plane
// distributions put task 0 there; an arbitrary distribution may not). The
// other ranks connect to that node's name and port P, retrying with
// backoff until SPMD_CONNECT_TIMEOUT (default 60s) has passed, so it does
// not matter which task starts first. Rank 0 itself is served over an
// in-process pipe. Every rank then speaks PMI-1 to the server, which is
// what makes it a Bootstrap.
//
// P is SPMD_SLURM_PORT if set, else 20000 + (16*SLURM_JOB_ID +
// SLURM_STEP_ID) mod 12000: in 20000..31999, below Linux's default range
// of ephemeral ports (32768..60999), so that no outgoing connection holds
// it, and the same in every task of the step without any exchange. Two
// steps whose first node and P coincide collide: the later rank 0 cannot
// listen and fails with an error naming SPMD_SLURM_PORT. A rank that
// reaches another job's server is turned away by the greeting each
// connection starts with, which names the job, step and size, and fails at
// once rather than joining the wrong job.
//
// Security: plain Slurm gives the tasks of a step no shared secret, so the
// key-value server cannot tell a task of the step from any process that
// can reach port P and knows the job and step ids. Such a process could
// claim a rank that has not connected yet, and read the key-value space,
// including the job cookie that rank 0 makes and publishes there when
// SPMD_COOKIE is unset (see Config.Cookie), which authenticates the
// runtime's own TCP connections. On a network shared with untrusted users,
// set SPMD_COOKIE to a secret in the job's environment (srun passes it on
// to every task), e.g. `export SPMD_COOKIE=$(openssl rand -hex 32)` in the
// batch script: the runtime's connections then stay authenticated, though
// the bootstrap itself still is not. PMI (srun --mpi=pmi2) does not have
// this weakness: its socket is private to each task.
//
// Abort: with no process manager to end the job, rank 0 ends its own
// process with the aborting rank's code when another rank aborts; the
// other ranks then lose their connections to rank 0 and to the aborting
// rank and fail. srun --kill-on-bad-exit=1 (-K) makes Slurm end the whole
// step as soon as one task exits with an error.
//
// Join: every rank must join within SPMD_CONNECT_TIMEOUT. When one has not
// (it died before Init, or cannot reach rank 0), rank 0 logs which ranks
// are missing and closes its server, so that its own Init fails and the
// ranks that did join fail too, rather than wait in their first fence for
// ever in a step that Slurm would keep running.
//
// Finalize: rank 0 must keep serving until every rank has finalized, so
// its Finalize waits (up to SPMD_CONNECT_TIMEOUT) for every rank's
// connection to end before it closes the server.

// Slurm variables and settings the plain-Slurm bootstrap reads.
const (
	envSlurmPort = "SPMD_SLURM_PORT"
	// slurmPortBase and slurmPortSpan bound the derived port: it lies in
	// [slurmPortBase, slurmPortBase+slurmPortSpan).
	slurmPortBase = 20000
	slurmPortSpan = 12000
	// slurmSpecialStep is the lowest of Slurm's reserved step ids (the
	// batch script, the extern step, the interactive step…), whose task
	// is not one of a parallel step's tasks.
	slurmSpecialStep = 0xfffffff0
	// slurmHelloTimeout bounds the greeting of one connection attempt.
	slurmHelloTimeout = 10 * time.Second
	// slurmMaxBackoff bounds the wait between connection attempts.
	slurmMaxBackoff = time.Second
)

// slurmGreeting starts every connection to rank 0's key-value server:
// "spmd-slurm-kvs 1 <job>.<step> <rank> <size>\n". The server answers
// "ok\n" and then serves PMI-1, or "refused <reason>\n" and hangs up.
const slurmGreeting = "spmd-slurm-kvs 1"

// errWrongJob means a connection reached another job's key-value server.
var errWrongJob = errors.New("port belongs to another job's key-value server")

// slurmStep is what a task's environment says about its Slurm step.
type slurmStep struct {
	rank, size    int
	jobID, stepID uint64
	host          string // the step's first node, where rank 0 serves
	port          int
	timeout       time.Duration // connect retries; rank 0's Finalize wait
}

// job names the step as the greeting and the KVS name do: "<job>.<step>".
func (st slurmStep) job() string { return fmt.Sprintf("%d.%d", st.jobID, st.stepID) }

// addr is where rank 0's key-value server listens.
func (st slurmStep) addr() string { return net.JoinHostPort(st.host, strconv.Itoa(st.port)) }

// slurmPort is the port derived from job and step ids.
func slurmPort(jobID, stepID uint64) int {
	return slurmPortBase + int((jobID*16+stepID)%slurmPortSpan)
}

// firstEnv returns the first of names that is set in env, and its value.
func firstEnv(env func(string) string, names ...string) (name, value string) {
	for _, n := range names {
		if v := env(n); v != "" {
			return n, v
		}
	}
	return "", ""
}

// slurmStepFromEnv reads the Slurm step of a task from env. ok is false,
// with no error, when env is not that of a task of a parallel step: one
// of SLURM_JOB_ID, SLURM_STEP_ID and SLURM_PROCID is unset, or the step is
// one of Slurm's reserved ones (the batch script's…). A task of a step
// whose other variables are missing or malformed is an error.
func slurmStepFromEnv(env func(string) string) (st slurmStep, ok bool, err error) {
	jobS, stepS, procS := env("SLURM_JOB_ID"), env("SLURM_STEP_ID"), env("SLURM_PROCID")
	if jobS == "" || stepS == "" || procS == "" {
		return st, false, nil
	}
	bad := func(format string, args ...any) (slurmStep, bool, error) {
		return slurmStep{}, false, fmt.Errorf("comm: Slurm bootstrap: "+format+": %w", append(args, ErrArg)...)
	}
	if st.jobID, err = strconv.ParseUint(jobS, 10, 32); err != nil {
		return bad("SLURM_JOB_ID=%q is not a job id", jobS)
	}
	if st.stepID, err = strconv.ParseUint(stepS, 10, 32); err != nil {
		return bad("SLURM_STEP_ID=%q is not a step id", stepS)
	}
	if st.stepID >= slurmSpecialStep {
		return slurmStep{}, false, nil
	}
	if st.rank, err = strconv.Atoi(procS); err != nil || st.rank < 0 {
		return bad("SLURM_PROCID=%q is not a rank", procS)
	}
	sizeVar, sizeS := firstEnv(env, "SLURM_STEP_NUM_TASKS", "SLURM_NTASKS", "SLURM_NPROCS")
	if sizeVar == "" {
		return bad("SLURM_PROCID is set but none of SLURM_STEP_NUM_TASKS, SLURM_NTASKS, SLURM_NPROCS")
	}
	if st.size, err = strconv.Atoi(sizeS); err != nil || st.size < 1 {
		return bad("%s=%q is not a number of tasks", sizeVar, sizeS)
	}
	if st.rank >= st.size {
		return bad("SLURM_PROCID=%d is not below %s=%d", st.rank, sizeVar, st.size)
	}
	listVar, list := firstEnv(env, "SLURM_STEP_NODELIST", "SLURM_JOB_NODELIST", "SLURM_NODELIST")
	if listVar == "" {
		return bad("none of SLURM_STEP_NODELIST, SLURM_JOB_NODELIST, SLURM_NODELIST is set")
	}
	hosts, err := hostlist.Expand(list)
	if err != nil {
		return slurmStep{}, false, fmt.Errorf("comm: Slurm bootstrap: %s: %w: %w", listVar, ErrArg, err)
	}
	if len(hosts) == 0 {
		return bad("%s=%q names no node", listVar, list)
	}
	st.host = hosts[0]
	st.port = slurmPort(st.jobID, st.stepID)
	if s := env(envSlurmPort); s != "" {
		if st.port, err = strconv.Atoi(s); err != nil || st.port < 1 || st.port > 65535 {
			return bad("%s=%q is not a TCP port", envSlurmPort, s)
		}
	}
	st.timeout = DefaultConnectTimeout
	if s := env("SPMD_CONNECT_TIMEOUT"); s != "" {
		if st.timeout, err = time.ParseDuration(s); err != nil || st.timeout <= 0 {
			return bad("SPMD_CONNECT_TIMEOUT=%q is not a positive duration", s)
		}
	}
	return st, true, nil
}

// slurmBootstrapFromEnv returns the plain-Slurm bootstrap when env is that
// of a task of a Slurm step (a singleton for a step of one task), nil when
// it is not, and an error when it is but the variables are malformed or
// the key-value server cannot be reached or started.
func slurmBootstrapFromEnv(env func(string) string) (Bootstrap, error) {
	st, ok, err := slurmStepFromEnv(env)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, nil
	case st.size == 1:
		return singleton{}, nil
	}
	b, err := newSlurmBootstrap(st, os.Exit, stderrLogf)
	if err != nil {
		return nil, err
	}
	return b, nil
}

func stderrLogf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

// slurmBootstrap is a PMI-1 client of the key-value server of rank 0; on
// rank 0 it also runs that server.
type slurmBootstrap struct {
	pmiBootstrap
	kvs *slurmKVS // rank 0 only
}

// newSlurmBootstrap joins the step's key-value space: on rank 0 by
// starting the server, elsewhere by connecting to it. exit ends rank 0's
// process when another rank aborts; logf reports the server's events.
func newSlurmBootstrap(st slurmStep, exit func(int), logf func(string, ...any)) (*slurmBootstrap, error) {
	if st.rank != 0 {
		c, err := dialSlurmKVS(st)
		if err != nil {
			return nil, err
		}
		return &slurmBootstrap{pmiBootstrap: pmiBootstrap{c}}, nil
	}
	k, err := startSlurmKVS(st, exit, logf)
	if err != nil {
		return nil, err
	}
	c, err := k.localClient()
	if err != nil {
		k.close()
		return nil, err
	}
	return &slurmBootstrap{pmiBootstrap: pmiBootstrap{c}, kvs: k}, nil
}

// Finalize finalizes this rank; on rank 0 it then waits, up to the connect
// timeout, until every rank has finalized (or left), and closes the server.
func (b *slurmBootstrap) Finalize() error {
	err := b.pmiBootstrap.Finalize()
	if b.kvs != nil {
		err = errors.Join(err, b.kvs.finish())
	}
	return err
}

// Abort tells rank 0 (on rank 0: closes the server, which fails the other
// ranks' pending and later requests).
func (b *slurmBootstrap) Abort(code int, msg string) error {
	err := b.pmiBootstrap.Abort(code, msg)
	if b.kvs != nil {
		b.kvs.close()
	}
	return err
}

// dialSlurmKVS connects rank st.rank to rank 0's key-value server,
// retrying with backoff until st.timeout has passed.
func dialSlurmKVS(st slurmStep) (*pmi.Client, error) {
	deadline := time.Now().Add(st.timeout)
	backoff := 10 * time.Millisecond
	for {
		conn, err := greetSlurmKVS(st, deadline)
		if err == nil {
			c, err := pmi.NewClient(conn, st.rank, st.size)
			if err != nil {
				return nil, fmt.Errorf("comm: Slurm bootstrap: rank %d: key-value server at %s: %w", st.rank, st.addr(), err)
			}
			return c, nil
		}
		if errors.Is(err, errWrongJob) || !time.Now().Before(deadline) {
			return nil, fmt.Errorf("comm: Slurm bootstrap: rank %d could not join rank 0's key-value server at %s "+
				"(rank 0 must run on the first node of the step, and port %d must be free there; see %s) within %v: %w",
				st.rank, st.addr(), st.port, envSlurmPort, st.timeout, err)
		}
		time.Sleep(min(backoff, time.Until(deadline)))
		backoff = min(2*backoff, slurmMaxBackoff)
	}
}

// greetSlurmKVS makes one connection attempt: dial, greet, read the answer.
func greetSlurmKVS(st slurmStep, deadline time.Time) (io.ReadWriteCloser, error) {
	d := net.Dialer{Deadline: deadline}
	conn, err := d.Dial("tcp", st.addr())
	if err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(minTime(deadline, time.Now().Add(slurmHelloTimeout)))
	hello := fmt.Sprintf("%s %s %d %d\n", slurmGreeting, st.job(), st.rank, st.size)
	if _, err := io.WriteString(conn, hello); err != nil {
		conn.Close()
		return nil, fmt.Errorf("greeting: %w", err)
	}
	br := bufio.NewReaderSize(conn, 128)
	answer, err := br.ReadString('\n')
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("greeting: no answer: %w", err)
	}
	answer = strings.TrimSuffix(answer, "\n")
	if answer != "ok" {
		conn.Close()
		if reason, ok := strings.CutPrefix(answer, "refused "); ok {
			return nil, fmt.Errorf("%w (%s; this is job %s of %d tasks)", errWrongJob, reason, st.job(), st.size)
		}
		return nil, fmt.Errorf("greeting: unexpected answer %q", answer)
	}
	_ = conn.SetDeadline(time.Time{})
	return bufferedConn{br, conn}, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// bufferedConn reads through a bufio.Reader that may hold bytes already
// read from the connection.
type bufferedConn struct {
	*bufio.Reader
	net.Conn
}

func (c bufferedConn) Read(p []byte) (int, error) { return c.Reader.Read(p) }

// slurmKVS is rank 0's key-value server for the step.
type slurmKVS struct {
	st   slurmStep
	srv  *pmi.Server
	ln   net.Listener
	exit func(int)
	logf func(string, ...any)
	wg   sync.WaitGroup // the accept loop and every connection's server

	mu        sync.Mutex
	ended     int                   // ranks whose connection has ended
	allEnded  chan struct{}         // closed when ended reaches the size
	joined    []bool                // by rank: greeted (rank 0: connected itself)
	nJoined   int                   // how many of joined are true
	allJoined chan struct{}         // closed when nJoined reaches the size
	greeting  map[net.Conn]struct{} // connections not yet greeted, for close
	closed    bool

	stop      chan struct{} // closed by close
	closeOnce sync.Once
}

// startSlurmKVS starts rank 0's server and listens on the step's port.
func startSlurmKVS(st slurmStep, exit func(int), logf func(string, ...any)) (*slurmKVS, error) {
	k := &slurmKVS{st: st, exit: exit, logf: logf, allEnded: make(chan struct{}), greeting: make(map[net.Conn]struct{}),
		joined: make([]bool, st.size), allJoined: make(chan struct{}), stop: make(chan struct{})}
	srv, err := pmi.NewServer(pmi.ServerConfig{
		Size:    st.size,
		KVSName: "slurm-" + st.job(),
		OnAbort: k.onAbort,
		OnClose: k.onClose,
		Logf:    logf,
	})
	if err != nil {
		return nil, fmt.Errorf("comm: Slurm bootstrap: %w", err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(st.port)))
	if err != nil {
		srv.Close()
		return nil, fmt.Errorf("comm: Slurm bootstrap: rank 0 cannot serve the key-value space on port %d "+
			"(another job may hold it; set %s to a free port in every task): %w", st.port, envSlurmPort, err)
	}
	k.srv, k.ln = srv, ln
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		k.acceptLoop()
	}()
	go k.watchJoin()
	return k, nil
}

// markJoined records that rank has joined the key-value space.
func (k *slurmKVS) markJoined(rank int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.joined[rank] {
		return
	}
	k.joined[rank] = true
	k.nJoined++
	if k.nJoined == k.st.size {
		close(k.allJoined)
	}
}

// watchJoin closes the server when some rank has not joined within the
// connect timeout, which fails rank 0's pending fence: plain Slurm has no
// process manager to end a step whose rank never started or cannot reach
// rank 0, and without this rank 0 would wait in its first fence for ever.
// It is not one of the goroutines close waits for (it calls close).
func (k *slurmKVS) watchJoin() {
	t := time.NewTimer(k.st.timeout)
	defer t.Stop()
	select {
	case <-k.allJoined:
	case <-k.stop:
	case <-t.C:
		k.mu.Lock()
		var missing []string
		for r, ok := range k.joined {
			if !ok {
				missing = append(missing, strconv.Itoa(r))
			}
		}
		k.mu.Unlock()
		if len(missing) > 8 {
			missing = append(missing[:8], fmt.Sprintf("and %d more", len(missing)-8))
		}
		k.logf("comm: Slurm bootstrap: rank(s) %s of %d did not join rank 0's key-value server on port %d within %v (%s); giving up",
			strings.Join(missing, ", "), k.st.size, k.st.port, k.st.timeout, "SPMD_CONNECT_TIMEOUT")
		k.close()
	}
}

// localClient connects rank 0 to its own server through a pipe.
func (k *slurmKVS) localClient() (*pmi.Client, error) {
	cli, srvEnd := net.Pipe()
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		_ = k.srv.ServeConn(0, srvEnd)
	}()
	c, err := pmi.NewClient(cli, 0, k.st.size)
	if err != nil {
		return nil, fmt.Errorf("comm: Slurm bootstrap: rank 0: %w", err)
	}
	k.markJoined(0)
	return c, nil
}

func (k *slurmKVS) acceptLoop() {
	for {
		conn, err := k.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Typically out of descriptors: wait a little rather than spin.
			k.logf("comm: Slurm bootstrap: accept: %v", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		k.wg.Add(1)
		go func() {
			defer k.wg.Done()
			k.serveConn(conn)
		}()
	}
}

// serveConn checks a connection's greeting and serves it as the rank it
// names.
func (k *slurmKVS) serveConn(conn net.Conn) {
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		conn.Close()
		return
	}
	k.greeting[conn] = struct{}{}
	k.mu.Unlock()
	_ = conn.SetDeadline(time.Now().Add(slurmHelloTimeout))
	br := bufio.NewReaderSize(conn, 128)
	line, err := br.ReadSlice('\n')
	k.mu.Lock()
	delete(k.greeting, conn)
	k.mu.Unlock()
	if err != nil {
		conn.Close()
		return
	}
	rank, reason := k.checkGreeting(strings.TrimSuffix(string(line), "\n"))
	if reason != "" {
		k.logf("comm: Slurm bootstrap: refused a connection from %v: %s", conn.RemoteAddr(), reason)
		_, _ = io.WriteString(conn, "refused "+reason+"\n")
		conn.Close()
		return
	}
	if _, err := io.WriteString(conn, "ok\n"); err != nil {
		conn.Close()
		return
	}
	k.markJoined(rank)
	_ = conn.SetDeadline(time.Time{})
	// ServeConn refuses a rank that is already connected, and closes conn.
	if err := k.srv.ServeConn(rank, bufferedConn{br, conn}); err != nil && !errors.Is(err, pmi.ErrClosed) {
		k.logf("comm: Slurm bootstrap: rank %d: %v", rank, err)
	}
}

// checkGreeting returns the rank a greeting names, or why it is refused.
func (k *slurmKVS) checkGreeting(line string) (rank int, reason string) {
	f := strings.Fields(line)
	if len(f) != 5 || f[0]+" "+f[1] != slurmGreeting {
		return 0, "not-an-spmd-greeting"
	}
	if f[2] != k.st.job() {
		return 0, "this-is-job-" + k.st.job()
	}
	if size, err := strconv.Atoi(f[4]); err != nil || size != k.st.size {
		return 0, fmt.Sprintf("job-%s-has-%d-tasks", k.st.job(), k.st.size)
	}
	rank, err := strconv.Atoi(f[3])
	if err != nil || rank < 1 || rank >= k.st.size {
		return 0, "bad-rank"
	}
	return rank, ""
}

// onAbort ends rank 0's process when another rank aborts: there is no
// process manager to end the job. Rank 0's own abort is Abort's business.
func (k *slurmKVS) onAbort(rank, code int, msg string) {
	if rank == 0 {
		return
	}
	k.logf("comm: rank %d aborted the job (exit code %d): %s", rank, code, msg)
	k.exit(code)
}

// onClose counts the ranks whose connection has ended.
func (k *slurmKVS) onClose(rank int, finalized bool) {
	if !finalized {
		k.logf("comm: Slurm bootstrap: rank %d left without finalizing", rank)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.ended++
	if k.ended == k.st.size {
		close(k.allEnded)
	}
}

// finish waits until every rank's connection has ended, or the timeout,
// and closes the server.
func (k *slurmKVS) finish() error {
	var err error
	t := time.NewTimer(k.st.timeout)
	defer t.Stop()
	select {
	case <-k.allEnded:
	case <-t.C:
		k.mu.Lock()
		ended := k.ended
		k.mu.Unlock()
		err = fmt.Errorf("comm: Slurm bootstrap: only %d of %d ranks had finalized after %v; closing the key-value server",
			ended, k.st.size, k.st.timeout)
	}
	k.close()
	return err
}

// close stops listening, closes the server and every connection, and waits
// for the serving goroutines. It is idempotent.
func (k *slurmKVS) close() {
	k.closeOnce.Do(func() {
		close(k.stop)
		k.ln.Close()
		k.mu.Lock()
		k.closed = true
		for c := range k.greeting {
			c.Close()
		}
		k.mu.Unlock()
		k.srv.Close()
		k.wg.Wait()
	})
}
