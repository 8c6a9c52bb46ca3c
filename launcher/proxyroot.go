package launcher

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// RemoteLauncher says how spmdrun starts its proxies on the hosts that are
// not this one.
type RemoteLauncher struct {
	// Command starts proxies. With PerHost it is run once per host as
	// Command, the host, then the proxy's command line, as ssh is run;
	// otherwise it is run once, as Command then the proxy's command line,
	// and must start one proxy on every host of the job (srun, pbsdsh -u),
	// each of which finds its place by its host name. Nil means ssh.
	Command []string
	// PerHost: see Command.
	PerHost bool
	// External means the proxies are started by someone else (the nodes
	// of an HTCondor parallel job run `spmdrun --join`): nothing is run,
	// and each proxy finds its place by its host name. Job.Listening tells
	// where they are to connect.
	External bool
	// Cookie says how proxies learn the job's cookie, which must never be
	// on a command line: "stdin" (the first line of the proxy's standard
	// input; for launchers that forward it, like ssh), "env" (SPMD_COOKIE
	// in the launcher's environment; for launchers that pass it on, like
	// srun), or "file" (a file, readable by the user only, in the home
	// directory, which the hosts must share; for launchers that do
	// neither, like pbsdsh).
	Cookie string
	// ProxyPath is spmdrun's path on the other hosts; empty means this
	// executable's.
	ProxyPath string
}

// SSH is the default RemoteLauncher: ssh to each host in batch mode (no
// password prompts), the cookie on standard input.
var SSH = RemoteLauncher{Command: []string{"ssh", "-o", "BatchMode=yes", "-x"}, PerHost: true, Cookie: "stdin"}

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

// remote is the root's side of a job's proxies.
type remote struct {
	s         *supervisor
	ln        net.Listener
	addrs     []string        // where proxies may reach the root
	hosts     []*remoteHost   // by mapping index; nil for this host's
	launch    []*exec.Cmd     // the launcher processes
	launchEnd []chan struct{} // closed as each launcher process ends
	stdinW    []*os.File      // their standard input, held open while the job runs
	cookieF   string          // the cookie file, for Cookie "file"
	mu        sync.Mutex      // guards claimed
	claimed   []bool
	connected int // hosts connected, counted by the loop
}

// newRemote listens for the proxies of the hosts in m that are not this one.
func (s *supervisor) newRemote() (*remote, error) {
	m := s.job.placement()
	rm := &remote{s: s, hosts: make([]*remoteHost, len(m.Hosts)), claimed: make([]bool, len(m.Hosts))}
	any := false
	for i, name := range m.Hosts {
		if IsLocalHost(name) {
			continue
		}
		h := &remoteHost{index: i, name: name, ranks: m.Local(i), out: map[int]*[2]io.Writer{}, ended: map[int]*[2]bool{}}
		rm.hosts[i] = h
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
	rm.ln = ln
	rm.addrs = rootAddrs(ln.Addr().(*net.TCPAddr))
	if s.job.Listening != nil {
		s.job.Listening(rm.addrs)
	}
	return rm, nil
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

// proxyArgs is the proxy's command line for host index i (-1: by name).
func (rm *remote) proxyArgs(l RemoteLauncher, i int) ([]string, error) {
	path := l.ProxyPath
	if path == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("finding spmdrun's own path: %w", err)
		}
		path = exe
	}
	args := []string{path, "--proxy", "--root", strings.Join(rm.addrs, ","), "--index", strconv.Itoa(i)}
	if t := rm.s.job.ConnectTimeout; t > 0 {
		args = append(args, "--connect-timeout", t.String())
	}
	if l.Cookie == "file" {
		args = append(args, "--cookie-file", rm.cookieF)
	}
	return args, nil
}

// start runs the launcher for every remote host, and accepts the proxies
// on a goroutine of its own.
func (rm *remote) start() error {
	l := SSH
	if rm.s.job.Launcher != nil {
		l = *rm.s.job.Launcher
	}
	if l.External {
		go rm.accept()
		return nil
	}
	if len(l.Command) == 0 {
		l.Command = SSH.Command
	}
	switch l.Cookie {
	case "stdin", "env":
	case "file":
		f, err := writeCookieFile(rm.s.cookie)
		if err != nil {
			return err
		}
		rm.cookieF = f
	default:
		return fmt.Errorf("launcher cookie passing %q: want stdin, env or file", l.Cookie)
	}
	go rm.accept()
	if !l.PerHost {
		args, err := rm.proxyArgs(l, -1)
		if err != nil {
			return err
		}
		return rm.run(l, "", append(append([]string(nil), l.Command...), args...))
	}
	for _, h := range rm.hosts {
		if h == nil {
			continue
		}
		args, err := rm.proxyArgs(l, h.index)
		if err != nil {
			return err
		}
		// Like ssh, a per-host launcher hands the command to the remote
		// shell as one line: quote what the shell would change.
		argv := append(append([]string(nil), l.Command...), h.name)
		for _, a := range args {
			argv = append(argv, shellQuote(a))
		}
		if err := rm.run(l, h.name, argv); err != nil {
			return err
		}
	}
	return nil
}

// run starts one launcher process and watches it: if it ends before its
// proxies have connected, they never will.
func (rm *remote) run(l RemoteLauncher, host string, argv []string) error {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return fmt.Errorf("launcher %s: %w", argv[0], err)
	}
	cmd := &exec.Cmd{Path: path, Args: argv, Stdout: rm.s.stderr, Stderr: rm.s.stderr,
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}}
	if l.Cookie == "env" {
		cmd.Env = append(os.Environ(), "SPMD_COOKIE="+rm.s.cookie)
	}
	var w *os.File
	if l.Cookie == "stdin" {
		r, pw, err := os.Pipe()
		if err != nil {
			return fmt.Errorf("launcher stdin: %w", err)
		}
		defer r.Close()
		cmd.Stdin, w = r, pw
	}
	if err := cmd.Start(); err != nil {
		if w != nil {
			w.Close()
		}
		return fmt.Errorf("starting %s: %w", argv[0], err)
	}
	if w != nil {
		// The pipe holds far more than one line; the write cannot block.
		if _, err := w.WriteString(rm.s.cookie + "\n"); err != nil {
			rm.s.logf("writing the cookie to %s: %v", argv[0], err)
		}
		rm.stdinW = append(rm.stdinW, w)
	}
	rm.launch = append(rm.launch, cmd)
	end := make(chan struct{})
	rm.launchEnd = append(rm.launchEnd, end)
	rm.s.logf("started %s (pid %d)", strings.Join(argv, " "), cmd.Process.Pid)
	go func() {
		err := cmd.Wait()
		close(end)
		rm.s.post(event{kind: evLauncherExit, msg: host, code: exitCodeOf(cmd.ProcessState, err), at: time.Now()})
	}()
	return nil
}

// exitCodeOf is a finished command's exit code, 128+n for a signal.
func exitCodeOf(ps *os.ProcessState, err error) int {
	es := statusOf(ps)
	switch {
	case !es.known && err != nil:
		return ExitInternal
	case es.signal != 0:
		return signalExitCode(es.signal)
	}
	return es.code
}

// accept takes proxy connections until the listener closes.
func (rm *remote) accept() {
	for {
		conn, err := rm.ln.Accept()
		if err != nil {
			return
		}
		go rm.admit(conn)
	}
}

// admit authenticates a connection, finds the host it serves, and sends it
// the host's part of the job.
func (rm *remote) admit(conn net.Conn) {
	claim, err := acceptProof(conn, []byte(rm.s.cookie))
	if err != nil {
		rm.s.logf("proxy connection from %s refused: %v", conn.RemoteAddr(), err)
		conn.Close()
		return
	}
	h := rm.claim(claim)
	if h == nil {
		// A proxy on a host with no ranks for it (srun and pbsdsh start one
		// on every host, this one included): nothing to do.
		_ = writeFrame(conn, frShutdown, nil)
		conn.Close()
		return
	}
	spec := rm.s.proxySpec(h)
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
		rm.s.post(event{kind: evHostLost, rank: h.index, msg: "could not send the job to its proxy", at: time.Now()})
		return
	}
	rm.s.post(event{kind: evHostConnected, rank: h.index})
	rm.serveHost(h, conn)
}

// claim returns the host a proxy serves, marking it taken; nil if none.
func (rm *remote) claim(c proxyClaim) *remoteHost {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if c.Index >= 0 {
		if c.Index < len(rm.hosts) && rm.hosts[c.Index] != nil && !rm.claimed[c.Index] {
			rm.claimed[c.Index] = true
			return rm.hosts[c.Index]
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
		for _, h := range rm.hosts {
			if h != nil && !rm.claimed[h.index] && same(h.name) {
				rm.claimed[h.index] = true
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
func (rm *remote) serveHost(h *remoteHost, conn net.Conn) {
	s := rm.s
	var err error
	for err == nil {
		var typ byte
		var body []byte
		if typ, body, err = readFrame(conn); err != nil {
			break
		}
		err = rm.handleFrame(h, typ, body)
	}
	for rank, ended := range h.ended {
		for stream := range 2 {
			if !ended[stream] {
				rm.endOutput(h, rank, stream)
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

// handleFrame acts on one frame from h's proxy.
func (rm *remote) handleFrame(h *remoteHost, typ byte, body []byte) error {
	s := rm.s
	switch typ {
	case frOutput:
		o, err := decodeOutput(body)
		if err != nil {
			return err
		}
		if !slices.Contains(h.ranks, o.Rank) {
			return fmt.Errorf("%w: output of rank %d, which is not on this host", errFrame, o.Rank)
		}
		w := h.out[o.Rank]
		if len(o.Data) == 0 {
			if !h.ended[o.Rank][o.Stream] {
				rm.endOutput(h, o.Rank, o.Stream)
			}
			return nil
		}
		_, _ = w[o.Stream].Write(o.Data)
		return nil
	case frFence:
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
	m, err := decodeRank(body)
	if err != nil {
		return err
	}
	if !slices.Contains(h.ranks, m.Rank) {
		return fmt.Errorf("%w: news of rank %d, which is not on this host", errFrame, m.Rank)
	}
	at := time.Now().Add(-m.Age)
	switch typ {
	case frStarted:
		s.post(event{kind: evStarted, rank: m.Rank, pid: m.Pid})
	case frNotice:
		s.onPut(m.Rank, m.Key, m.Value)
	case frAbort:
		s.post(event{kind: evAbort, rank: m.Rank, code: m.Code, msg: m.Value, at: at})
	case frClosed:
		st := &s.pmi[m.Rank]
		if m.Finalized {
			st.finalized.Store(true)
		}
		st.active.Store(m.Active)
		st.markClosed(at)
		_ = s.srv.Leave(m.Rank)
		s.post(event{kind: evClosed, rank: m.Rank})
	case frExit:
		e := event{kind: evExit, rank: m.Rank, pid: m.Pid, at: at, unfinalized: m.Unfinalized}
		switch {
		case m.Never:
			e.never, e.msg = true, m.Value
		case m.Code >= 0:
			e.status = exitStatus{known: true, code: m.Code, signal: syscall.Signal(m.Signal)}
		}
		_ = s.srv.Leave(m.Rank)
		s.post(e)
	default:
		return fmt.Errorf("%w: unexpected type %d from a proxy", errFrame, typ)
	}
	return nil
}

// endOutput ends one of a remote rank's output streams.
func (rm *remote) endOutput(h *remoteHost, rank, stream int) {
	h.ended[rank][stream] = true
	if c, ok := h.out[rank][stream].(io.Closer); ok {
		_ = c.Close()
	}
	rm.s.output.Done()
}

// forwardStdin copies the launcher's standard input to rank 0's proxy.
func (rm *remote) forwardStdin(h *remoteHost, in io.Reader) {
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
// standard input closes, and what still runs after a moment is killed.
func (rm *remote) stop() {
	rm.ln.Close()
	for _, h := range rm.hosts {
		if h != nil {
			h.send(frShutdown, nil)
		}
	}
	for _, w := range rm.stdinW {
		w.Close()
	}
	deadline := time.NewTimer(drainWait)
	defer deadline.Stop()
	for i, cmd := range rm.launch {
		select {
		case <-rm.launchEnd[i]:
		case <-deadline.C:
			deadline.Reset(0)
		}
		_ = signalGroup(cmd.Process.Pid, syscall.SIGKILL) // what the launcher left behind
	}
	for _, h := range rm.hosts {
		if h != nil {
			h.wmu.Lock()
			if h.conn != nil {
				h.conn.Close()
			}
			h.wmu.Unlock()
		}
	}
	if rm.cookieF != "" {
		os.Remove(rm.cookieF)
	}
}

// writeCookieFile writes the cookie to a new file that only the user can
// read, in the home directory (which the hosts of a batch job share).
func writeCookieFile(cookie string) (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cookie file: %w", err)
	}
	dir := filepath.Join(home, ".spmd")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("cookie file: %w", err)
	}
	f, err := os.CreateTemp(dir, "cookie-")
	if err != nil {
		return "", fmt.Errorf("cookie file: %w", err)
	}
	defer f.Close()
	if err := f.Chmod(0o600); err != nil {
		return "", fmt.Errorf("cookie file: %w", err)
	}
	if _, err := f.WriteString(cookie + "\n"); err != nil {
		return "", fmt.Errorf("cookie file: %w", err)
	}
	return f.Name(), nil
}

// shellQuote quotes s for a POSIX shell, unless it needs none.
func shellQuote(s string) string {
	safe := s != ""
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./:,=@%+", c)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
