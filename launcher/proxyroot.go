package launcher

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ExitHostLost is the exit code of a job that lost a host: its proxy's
// connection ended before its ranks did (the code ssh exits with when it
// loses its connection).
const ExitHostLost = 255

// remoteHost is one host whose ranks a proxy runs.
type remoteHost struct {
	index int    // in the job's mapping
	name  string // as the mapping has it
	ranks []int

	wmu  sync.Mutex
	conn net.Conn // set once, when the proxy has connected; guarded by wmu
	lost bool     // the job has given the host up; guarded by wmu

	// The reader goroutine's own state.
	out   map[int]*[2]io.Writer // each rank's stdout and stderr writers
	ended map[int]*[2]bool      // which of them the proxy has ended
}

// send writes one frame to the host's proxy; false when it is not
// connected or the write failed (the reader then reports the loss).
func (h *remoteHost) send(typ byte, body []byte) bool {
	h.wmu.Lock()
	defer h.wmu.Unlock()
	if h.conn == nil {
		return false
	}
	_ = h.conn.SetWriteDeadline(time.Now().Add(killWait))
	if err := writeFrame(h.conn, typ, body); err != nil {
		h.conn.Close()
		return false
	}
	return true
}

// remoteRank is a rank that a proxy runs.
type remoteRank struct {
	rank int
	pidv atomic.Int64
	host *remoteHost
}

func (r *remoteRank) pid() int { return int(r.pidv.Load()) }

// proxyRoot is the root's side of a job's proxies: it starts them, admits
// their connections and serves their frames (each Proxy is the other end).
type proxyRoot struct {
	s         *supervisor
	ln        net.Listener
	addrs     []string        // where proxies may reach the root
	hosts     []*remoteHost   // by mapping index; nil for this host's
	launch    []*exec.Cmd     // the launcher processes
	launchEnd []chan struct{} // closed as each launcher process ends
	stdinW    []*os.File      // their standard input, held open while the job runs
	cookieF   string          // the cookie file, for Cookie "file"
	mu        sync.Mutex      // guards claimed and stopping
	claimed   []bool
	// stopping is set when the job is over: a proxy that connects from
	// then on is told so and exits, rather than being refused and
	// retrying until its connect timeout.
	stopping  bool
	connected int // hosts connected, counted by the loop
}

// newProxyRoot listens for the proxies of the hosts in m that are not this one.
func (s *supervisor) newProxyRoot() (*proxyRoot, error) {
	m := s.job.placement()
	pr := &proxyRoot{s: s, hosts: make([]*remoteHost, len(m.Hosts)), claimed: make([]bool, len(m.Hosts))}
	any := false
	for i, name := range m.Hosts {
		if IsLocalHost(name) {
			continue
		}
		h := &remoteHost{index: i, name: name, ranks: m.Local(i), out: map[int]*[2]io.Writer{}, ended: map[int]*[2]bool{}}
		pr.hosts[i] = h
		any = true
	}
	if !any {
		if s.job.Listening != nil {
			s.job.Listening(nil)
		}
		return nil, nil
	}
	ln, err := net.Listen("tcp", s.job.RootAddr)
	if err != nil {
		return nil, fmt.Errorf("listening for proxies: %w", err)
	}
	pr.ln = ln
	pr.addrs = rootAddrs(ln.Addr().(*net.TCPAddr))
	if s.job.Listening != nil {
		s.job.Listening(pr.addrs)
	}
	return pr, nil
}

// rootAddrs lists the addresses at which proxies may reach a listener on
// all interfaces: every address of every interface that is up, loopback
// last.
func rootAddrs(a *net.TCPAddr) []string {
	port := strconv.Itoa(a.Port)
	if !a.IP.IsUnspecified() {
		return []string{net.JoinHostPort(a.IP.String(), port)}
	}
	var out, loop []string
	ifs, _ := net.Interfaces()
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, ad := range addrs {
			n, ok := ad.(*net.IPNet)
			if !ok || n.IP.IsLinkLocalUnicast() {
				continue
			}
			hp := net.JoinHostPort(n.IP.String(), port)
			if n.IP.IsLoopback() {
				loop = append(loop, hp)
			} else {
				out = append(out, hp)
			}
		}
	}
	return append(out, loop...)
}

// accept takes proxy connections until the listener closes.
func (pr *proxyRoot) accept() {
	for {
		conn, err := pr.ln.Accept()
		if err != nil {
			return
		}
		go pr.admit(conn)
	}
}

// admit authenticates a connection, finds the host it serves, and sends it
// the host's part of the job.
func (pr *proxyRoot) admit(conn net.Conn) {
	claim, err := acceptProof(conn, []byte(pr.s.cookie))
	if err != nil {
		pr.s.logf("proxy connection from %s refused: %v", conn.RemoteAddr(), err)
		conn.Close()
		return
	}
	h := pr.claim(claim)
	if h == nil {
		// A proxy on a host with no ranks for it (srun and pbsdsh start one
		// on every host, this one included): nothing to do.
		_ = writeFrame(conn, frShutdown, nil)
		conn.Close()
		return
	}
	spec := pr.s.proxySpec(h)
	h.wmu.Lock()
	lost := h.lost
	if !lost {
		h.conn = conn
	}
	h.wmu.Unlock()
	if lost { // too late: the job has given the host up
		_ = writeFrame(conn, frShutdown, nil)
		conn.Close()
		return
	}
	if !h.send(frSpec, spec.encode()) {
		pr.s.post(event{kind: evHostLost, rank: h.index, msg: "could not send the job to its proxy", at: time.Now()})
		return
	}
	pr.s.post(event{kind: evHostConnected, rank: h.index})
	pr.serveHost(h, conn)
}

// claim returns the host a proxy serves, marking it taken; nil if none.
func (pr *proxyRoot) claim(c proxyClaim) *remoteHost {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if pr.stopping {
		return nil
	}
	if c.Index >= 0 {
		if c.Index < len(pr.hosts) && pr.hosts[c.Index] != nil && !pr.claimed[c.Index] {
			pr.claimed[c.Index] = true
			return pr.hosts[c.Index]
		}
		return nil
	}
	// An exact name first, then the same short name (one side may have
	// the domain, the other not), in mapping order.
	short := func(n string) string { h, _, _ := strings.Cut(n, "."); return h }
	for _, same := range []func(string) bool{
		func(n string) bool { return strings.EqualFold(n, c.Name) },
		func(n string) bool { return strings.EqualFold(short(n), short(c.Name)) },
	} {
		for _, h := range pr.hosts {
			if h != nil && !pr.claimed[h.index] && same(h.name) {
				pr.claimed[h.index] = true
				return h
			}
		}
	}
	return nil
}

// proxySpec is the part of the job that host h runs.
func (s *supervisor) proxySpec(h *remoteHost) *proxySpec {
	j := s.job
	mapping, omit := j.processMapping()
	dir := j.Dir
	if dir == "" {
		dir, _ = os.Getwd()
	}
	return &proxySpec{
		Host: h.name, JobID: s.jobID, KVSName: s.srv.KVSName(), Size: s.n,
		Program: j.Program, Args: j.Args, Env: append(forwardedEnv(), j.Env...), Dir: dir,
		Ranks: h.ranks, Mapping: mapping, OmitMapping: omit, Grace: s.grace,
		Stdin: j.Stdin != nil && slices.Contains(h.ranks, 0), BindTo: j.BindTo,
	}
}

// forwardedEnv is the launcher's environment as the remote ranks get it,
// as MPICH's mpiexec does by default, less what describes this host or
// session rather than the job.
func forwardedEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "HOSTNAME", k == "PWD", k == "OLDPWD", k == "SHLVL", k == "_", k == "DISPLAY",
			k == "SPMD_COOKIE", k == "SPMD_HOST", k == "TMPDIR",
			strings.HasPrefix(k, "SSH_"), strings.HasPrefix(k, "PMI_"), strings.HasPrefix(k, "XDG_"):
			continue
		}
		out = append(out, kv)
	}
	return out
}

// serveHost reads a connected proxy's frames until the connection ends,
// which, before the host's ranks have all been reported, is the host's loss.
func (pr *proxyRoot) serveHost(h *remoteHost, conn net.Conn) {
	s := pr.s
	var err error
	for err == nil {
		var typ byte
		var body []byte
		if typ, body, err = readFrame(conn); err != nil {
			break
		}
		err = pr.handleFrame(h, typ, body)
	}
	for rank, ended := range h.ended {
		for stream := range 2 {
			if !ended[stream] {
				pr.endOutput(h, rank, stream)
			}
		}
	}
	s.post(event{kind: evHostLost, rank: h.index, msg: describeLoss(err), at: time.Now()})
}

func describeLoss(err error) string {
	if err == io.EOF {
		return "its proxy closed the connection"
	}
	return fmt.Sprintf("connection to its proxy: %v", err)
}

// handleFrame acts on one frame from h's proxy; an error ends the
// connection (and so counts as the host's loss).
func (pr *proxyRoot) handleFrame(h *remoteHost, typ byte, body []byte) error {
	switch typ {
	case frOutput:
		return pr.onOutputFrame(h, body)
	case frFence:
		return pr.onFenceFrame(h, body)
	case frStarted:
		return pr.onStartedFrame(h, body)
	case frNotice:
		return pr.onNoticeFrame(h, body)
	case frAbort:
		return pr.onAbortFrame(h, body)
	case frClosed:
		return pr.onClosedFrame(h, body)
	case frExit:
		return pr.onExitFrame(h, body)
	}
	return fmt.Errorf("%w: unexpected type %d from a proxy", errFrame, typ)
}

// onOutputFrame writes a chunk of a rank's output; an empty chunk ends
// the stream.
func (pr *proxyRoot) onOutputFrame(h *remoteHost, body []byte) error {
	o, err := decodeOutput(body)
	if err != nil {
		return err
	}
	if !slices.Contains(h.ranks, o.Rank) {
		return fmt.Errorf("%w: output of rank %d, which is not on this host", errFrame, o.Rank)
	}
	if len(o.Data) == 0 {
		if !h.ended[o.Rank][o.Stream] {
			pr.endOutput(h, o.Rank, o.Stream)
		}
		return nil
	}
	_, _ = h.out[o.Rank][o.Stream].Write(o.Data)
	return nil
}

// onFenceFrame joins the host's ranks to the job's barrier with their
// puts, and answers the proxy when the barrier completes. The wait runs
// on a goroutine of its own: the reader must go on serving the host's
// output and exits meanwhile.
func (pr *proxyRoot) onFenceFrame(h *remoteHost, body []byte) error {
	s := pr.s
	f, err := decodeFence(body)
	if err != nil {
		return err
	}
	for _, kv := range f.Puts {
		if !slices.Contains(h.ranks, kv.Rank) {
			return fmt.Errorf("%w: a put of rank %d, which is not on this host", errFrame, kv.Rank)
		}
		s.onPut(kv.Rank, kv.Key, kv.Value)
	}
	go func() {
		puts, err := s.srv.FenceFor(s.ctx, h.ranks, f.Puts)
		reply := &fenceMsg{Puts: puts}
		if err != nil {
			reply = &fenceMsg{Err: err.Error()}
		}
		h.send(frFenceDone, reply.encode())
	}()
	return nil
}

// rankNews decodes the news of one of h's ranks, and when it happened by
// this host's clock (the proxy sends its age, not its time).
func rankNews(h *remoteHost, body []byte) (*rankMsg, time.Time, error) {
	m, err := decodeRank(body)
	if err != nil {
		return nil, time.Time{}, err
	}
	if !slices.Contains(h.ranks, m.Rank) {
		return nil, time.Time{}, fmt.Errorf("%w: news of rank %d, which is not on this host", errFrame, m.Rank)
	}
	return m, time.Now().Add(-m.Age), nil
}

// onStartedFrame: the proxy started a rank.
func (pr *proxyRoot) onStartedFrame(h *remoteHost, body []byte) error {
	m, _, err := rankNews(h, body)
	if err != nil {
		return err
	}
	pr.s.post(event{kind: evStarted, rank: m.Rank, pid: m.Pid})
	return nil
}

// onNoticeFrame: a rank put a key the root watches between barriers.
func (pr *proxyRoot) onNoticeFrame(h *remoteHost, body []byte) error {
	m, _, err := rankNews(h, body)
	if err != nil {
		return err
	}
	pr.s.onPut(m.Rank, m.Key, m.Value)
	return nil
}

// onAbortFrame: a rank sent PMI abort.
func (pr *proxyRoot) onAbortFrame(h *remoteHost, body []byte) error {
	m, at, err := rankNews(h, body)
	if err != nil {
		return err
	}
	pr.s.post(event{kind: evAbort, rank: m.Rank, code: m.Code, msg: m.Value, at: at})
	return nil
}

// onClosedFrame: a rank's PMI connection ended, as its PMI state says.
func (pr *proxyRoot) onClosedFrame(h *remoteHost, body []byte) error {
	s := pr.s
	m, at, err := rankNews(h, body)
	if err != nil {
		return err
	}
	st := &s.pmi[m.Rank]
	if m.Finalized {
		st.finalized.Store(true)
	}
	st.active.Store(m.Active)
	st.markClosed(at)
	_ = s.srv.Leave(m.Rank)
	s.post(event{kind: evClosed, rank: m.Rank})
	return nil
}

// onExitFrame: a rank ended, or could never be started.
func (pr *proxyRoot) onExitFrame(h *remoteHost, body []byte) error {
	s := pr.s
	m, at, err := rankNews(h, body)
	if err != nil {
		return err
	}
	e := event{kind: evExit, rank: m.Rank, pid: m.Pid, at: at, unfinalized: m.Unfinalized}
	switch {
	case m.Never:
		e.never, e.msg = true, m.Value
	case m.Code >= 0:
		e.status = exitStatus{known: true, code: m.Code, signal: syscall.Signal(m.Signal)}
	}
	_ = s.srv.Leave(m.Rank)
	s.post(e)
	return nil
}

// endOutput ends one of a remote rank's output streams.
func (pr *proxyRoot) endOutput(h *remoteHost, rank, stream int) {
	h.ended[rank][stream] = true
	if c, ok := h.out[rank][stream].(io.Closer); ok {
		_ = c.Close()
	}
	pr.s.output.Done()
}

// forwardStdin copies the launcher's standard input to rank 0's proxy.
func (pr *proxyRoot) forwardStdin(h *remoteHost, in io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := in.Read(buf)
		if n > 0 {
			var e encoder
			e.bytes(buf[:n])
			if !h.send(frStdin, e.b) {
				return
			}
		}
		if err != nil {
			var e encoder
			e.bytes(nil)
			h.send(frStdin, e.b)
			return
		}
	}
}

// stop tells every proxy the job is over and ends the launchers: their
// standard input closes, and what still runs after a moment is
// terminated, then killed.
func (pr *proxyRoot) stop() {
	// The listener stays open while the launchers end: srun and pbsdsh
	// start a proxy on every host, and one on a host without ranks may
	// connect only now (a short job can end first). Told that the job is
	// over, it exits, and so does its launcher; refused, it would retry,
	// and keep srun's step, with the allocation's CPUs, for its whole
	// connect timeout.
	pr.mu.Lock()
	pr.stopping = true
	pr.mu.Unlock()
	for _, h := range pr.hosts {
		if h != nil {
			h.send(frShutdown, nil)
		}
	}
	for _, w := range pr.stdinW {
		w.Close()
	}
	deadline := time.NewTimer(drainWait)
	defer deadline.Stop()
	for i := range pr.launch {
		select {
		case <-pr.launchEnd[i]:
		case <-deadline.C:
			deadline.Reset(0)
		}
	}
	pr.ln.Close()
	// A launcher still running has a proxy that has not connected yet.
	// SIGTERM first: srun ends its step on it, so that the allocation's
	// next step can have the step's CPUs at once; killed outright, srun
	// would leave the step running until that proxy's connect timeout.
	for i, cmd := range pr.launch {
		select {
		case <-pr.launchEnd[i]:
		default:
			_ = signalGroup(cmd.Process.Pid, syscall.SIGTERM)
		}
	}
	deadline.Reset(killWait)
	for i, cmd := range pr.launch {
		select {
		case <-pr.launchEnd[i]:
		case <-deadline.C:
			deadline.Reset(0)
		}
		_ = signalGroup(cmd.Process.Pid, syscall.SIGKILL) // what the launcher left behind
	}
	for _, h := range pr.hosts {
		if h != nil {
			h.wmu.Lock()
			if h.conn != nil {
				h.conn.Close()
			}
			h.wmu.Unlock()
		}
	}
	if pr.cookieF != "" {
		os.Remove(pr.cookieF)
	}
}
