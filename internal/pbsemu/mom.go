package pbsemu

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// momRequest is what a client (the server's job runner, pbsdsh,
// pbs_tmrsh) asks of a host's mom, as one JSON line on the mom's Unix
// socket.
type momRequest struct {
	Op  string // "spawn", "kill" or "ping"
	Job string
	// spawn: the task.
	Argv           []string `json:",omitempty"`
	Env            []string `json:",omitempty"`
	Dir            string   `json:",omitempty"`
	Stdout, Stderr string   `json:",omitempty"` // files the task appends to
	Via            string   `json:",omitempty"` // who asks: job, pbsdsh, pbs_tmrsh
	TaskNum        int      `json:",omitempty"`
	// kill: the signal, and whether to make sure no process of the job
	// is left (SIGKILL until none is).
	Signal int  `json:",omitempty"`
	Final  bool `json:",omitempty"`
	// Cookie is the job's PBS_JOBCOOKIE, which tells its processes from
	// those of another server's job of the same id.
	Cookie string `json:",omitempty"`
}

// momReply is one JSON line back: Pid when a task started, then Exit (or
// Signal) when it ended; Count for a kill; Err when the request failed.
type momReply struct {
	Pid    int    `json:",omitempty"`
	Exit   *int   `json:",omitempty"`
	Signal int    `json:",omitempty"`
	Count  int    `json:",omitempty"`
	Err    string `json:",omitempty"`
}

// Mom is a host's execution daemon: it starts a job's tasks on its host
// and kills them. Its processes are the host's processes: the mom runs in
// the host's namespaces (started there with nsenter), listening on
// HOME/mom/<host>.sock, which every host and the server reach through the
// shared file system.
type Mom struct {
	srv  *Server
	host string
	log  *log.Logger
	mu   sync.Mutex
	// tasks are the task process ids of each job on this host.
	tasks map[string][]int
	netns string // this process's network namespace, to tell its processes
}

// RunMom serves host's mom until its listener fails, and returns why:
// it never returns nil.
func RunMom(home, host string) error {
	srv, err := Open(home)
	if err != nil {
		return err
	}
	known := false
	for _, h := range srv.Cfg.Hosts {
		known = known || h.Name == host
	}
	if !known {
		return fmt.Errorf("mom: host %q is not in %s/config.json", host, home)
	}
	lf, err := os.OpenFile(srv.momLog(host), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	m := &Mom{srv: srv, host: host, log: log.New(lf, "", log.LstdFlags|log.Lmicroseconds), tasks: map[string][]int{}}
	m.netns, _ = os.Readlink("/proc/self/ns/net")
	sock := srv.momSocket(host)
	os.Remove(sock)
	l, err := net.Listen("unix", sock)
	if err != nil {
		return err
	}
	m.log.Printf("mom %s up, pid %d, net %s", host, os.Getpid(), m.netns)
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go m.serve(c)
	}
}

func (m *Mom) serve(c net.Conn) {
	defer c.Close()
	var req momRequest
	line, err := bufio.NewReader(c).ReadBytes('\n')
	if err != nil {
		return
	}
	enc := json.NewEncoder(c)
	if err := json.Unmarshal(line, &req); err != nil {
		enc.Encode(momReply{Err: "bad request: " + err.Error()})
		return
	}
	switch req.Op {
	case "ping":
		enc.Encode(momReply{Count: os.Getpid()})
	case "spawn":
		m.spawn(req, enc)
	case "kill":
		n := m.kill(req.Job, req.Cookie, syscall.Signal(req.Signal), req.Final)
		enc.Encode(momReply{Count: n})
	default:
		enc.Encode(momReply{Err: "unknown op " + strconv.Quote(req.Op)})
	}
}

// spawn starts a task of a job, reports its pid, waits for it and
// reports how it ended. The task outlives its client: it belongs to the
// job, and ends with it.
func (m *Mom) spawn(req momRequest, enc *json.Encoder) {
	fail := func(err error) {
		m.log.Printf("spawn job=%s via=%s failed: %v", req.Job, req.Via, err)
		enc.Encode(momReply{Err: err.Error()})
	}
	if len(req.Argv) == 0 {
		fail(errors.New("no command"))
		return
	}
	open := func(p string) (*os.File, error) {
		return os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	}
	out, err := open(req.Stdout)
	if err != nil {
		fail(err)
		return
	}
	defer out.Close()
	errf := out
	if req.Stderr != req.Stdout {
		if errf, err = open(req.Stderr); err != nil {
			fail(err)
			return
		}
		defer errf.Close()
	}
	path := req.Argv[0]
	if !strings.Contains(path, "/") {
		if p, err := lookPathIn(path, req.Env); err == nil {
			path = p
		}
	}
	cmd := &exec.Cmd{Path: path, Args: req.Argv, Env: req.Env, Dir: req.Dir, Stdout: out, Stderr: errf}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	m.mu.Lock()
	err = cmd.Start()
	if err == nil {
		m.tasks[req.Job] = append(m.tasks[req.Job], cmd.Process.Pid)
	}
	m.mu.Unlock()
	if err != nil {
		fail(err)
		return
	}
	m.log.Printf("spawn job=%s task=%d via=%s pid=%d argv=%q", req.Job, req.TaskNum, req.Via, cmd.Process.Pid, req.Argv)
	enc.Encode(momReply{Pid: cmd.Process.Pid})
	werr := cmd.Wait()
	r := momReply{}
	code := 0
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		r.Signal = int(ws.Signal())
	} else if werr != nil && cmd.ProcessState == nil {
		code = 255
		r.Exit = &code
	} else {
		code = cmd.ProcessState.ExitCode()
		r.Exit = &code
	}
	m.log.Printf("end job=%s task=%d via=%s pid=%d exit=%d signal=%d", req.Job, req.TaskNum, req.Via, cmd.Process.Pid, code, r.Signal)
	enc.Encode(r)
}

// lookPathIn finds file in the PATH of env.
func lookPathIn(file string, env []string) (string, error) {
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range strings.Split(path, ":") {
		if dir == "" {
			dir = "."
		}
		p := dir + "/" + file
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// kill signals every process of job on this host: its tasks, their
// descendants, and any process of this host's network namespace whose
// environment holds the job's PBS_JOBCOOKIE (a process that left its
// task's session). With final it repeats SIGKILL until none is left (at most a
// few seconds) and returns how many were left after that, else how many
// it signalled.
func (m *Mom) kill(job, cookie string, sig syscall.Signal, final bool) int {
	pids := m.jobProcesses(job, cookie)
	for _, p := range pids {
		syscall.Kill(p, sig)
	}
	m.log.Printf("kill job=%s signal=%d processes=%v", job, sig, pids)
	if !final {
		return len(pids)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := m.jobProcesses(job, cookie)
		if len(left) == 0 {
			m.mu.Lock()
			delete(m.tasks, job)
			m.mu.Unlock()
			return 0
		}
		if time.Now().After(deadline) {
			m.log.Printf("kill job=%s: processes outlive SIGKILL: %v", job, left)
			return len(left)
		}
		for _, p := range left {
			syscall.Kill(p, syscall.SIGKILL)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// jobProcesses lists the live processes of job (whose PBS_JOBCOOKIE is
// cookie) on this host.
func (m *Mom) jobProcesses(job, cookie string) []int {
	m.mu.Lock()
	roots := map[int]bool{}
	for _, p := range m.tasks[job] {
		roots[p] = true
	}
	m.mu.Unlock()
	ents, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	var mine []int
	marker := []byte("PBS_JOBCOOKIE=" + cookie + "\x00")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(stat, ')')
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 2 || f[0] == "Z" {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		parent[pid] = ppid
		if ns, _ := os.Readlink("/proc/" + e.Name() + "/ns/net"); ns != m.netns {
			continue
		}
		env, _ := os.ReadFile("/proc/" + e.Name() + "/environ")
		if cookie != "" && bytes.HasPrefix(env, marker) || bytes.Contains(env, append([]byte{0}, marker...)) {
			mine = append(mine, pid)
		}
	}
	set := map[int]bool{}
	for _, p := range mine {
		set[p] = true
	}
	for pid := range parent {
		if set[pid] {
			continue
		}
		// A descendant of a task (bounded walk: ppid chains end at 1).
		for a, n := pid, 0; a > 1 && n < 64; a, n = parent[a], n+1 {
			if roots[a] {
				set[pid] = true
				break
			}
		}
	}
	out := make([]int, 0, len(set))
	for p := range set {
		if _, live := parent[p]; live {
			out = append(out, p)
		}
	}
	return out
}

// momConn is a request sent to a mom (dialMom), whose replies the caller
// reads with next before closing the connection.
type momConn struct {
	c   net.Conn
	dec *json.Decoder
}

// dialMom sends req to host's mom.
func (s *Server) dialMom(host string, req momRequest) (*momConn, error) {
	c, err := net.DialTimeout("unix", s.momSocket(host), 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("mom of %s: %w", host, err)
	}
	b, _ := json.Marshal(req)
	if _, err := c.Write(append(b, '\n')); err != nil {
		c.Close()
		return nil, fmt.Errorf("mom of %s: %w", host, err)
	}
	return &momConn{c: c, dec: json.NewDecoder(c)}, nil
}

func (mc *momConn) next() (momReply, error) {
	var r momReply
	err := mc.dec.Decode(&r)
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	if err == nil && r.Err != "" {
		err = errors.New(r.Err)
	}
	return r, err
}

// killOnHosts sends a kill of job (with PBS_JOBCOOKIE cookie) with sig to
// the moms of hosts, at once, and waits for their answers.
func (s *Server) killOnHosts(job, cookie string, hosts []string, sig syscall.Signal, final bool) error {
	var wg sync.WaitGroup
	errs := make([]error, len(hosts))
	for i, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mc, err := s.dialMom(h, momRequest{Op: "kill", Job: job, Cookie: cookie, Signal: int(sig), Final: final})
			if err != nil {
				errs[i] = err
				return
			}
			defer mc.c.Close()
			r, err := mc.next()
			if err == nil && final && r.Count > 0 {
				err = fmt.Errorf("%d processes of job %s outlive SIGKILL on %s", r.Count, job, h)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
