package pbsemu

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
)

// A job's tasks (pbsdsh, pbs_tmrsh) are started by the mom of the host
// they run on, like TM's tm_spawn, never through ssh: they are the job's,
// start in the owner's home with the job's environment plus PBS_TASKNUM,
// PBS_NODENUM and PBS_VNODENUM, write to the job's .o and .e files, and
// end with the job.

// task is one task to start.
type task struct {
	host    string
	node    int // PBS_NODENUM: the host's index among the job's hosts
	vnode   int // PBS_VNODENUM: the PBS_NODEFILE line
	argv    []string
	tasknum int
	// stdout, if set, is the file the task's standard output goes to
	// instead of the job's output (pbsdsh -o).
	stdout string
}

// runningJob returns the running job named by the caller's PBS_JOBID.
func (s *Server) runningJob(env func(string) string) (*Job, error) {
	id := env("PBS_JOBID")
	if id == "" {
		return nil, errors.New("PBS_JOBID is not set: not inside a PBS job")
	}
	j, err := s.job(id)
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", id, err)
	}
	if j.State != "R" {
		return nil, fmt.Errorf("job %s is not running (state %s)", id, j.State)
	}
	return j, nil
}

// taskNums reserves n task numbers of job id: tasks are numbered from 2
// (the script is task 1), uniquely within the job.
func (s *Server) taskNums(id string, n int) (int, error) {
	first := 0
	err := s.update(func(st *state) error {
		j := st.Jobs[id]
		if j == nil {
			return errNoJob
		}
		if j.TaskSeq < 1 {
			j.TaskSeq = 1
		}
		first = j.TaskSeq + 1
		j.TaskSeq += n
		return nil
	})
	return first, err
}

// runTask starts t through its host's mom and waits for it; via names the
// command asking (for the mom's log). It returns the task's exit code
// (256 + signal for a signalled task).
func (s *Server) runTask(j *Job, t task, via string) (int, error) {
	base, home := s.baseEnv()
	env := JobEnv(s.Cfg.Dialect, JobVars{ID: j.ID, Name: j.Name, Queue: j.Queue, Account: j.Account,
		Cookie: j.Cookie, Nodefile: s.nodefilePath(j.ID), Home: home, TmpDir: s.path("tmp", j.ID),
		Placements: j.Placements, Request: j.Request, ArrayID: j.Parent, Index: j.Index}, base, j.Submitted)
	for i, kv := range env {
		switch {
		case strings.HasPrefix(kv, "PBS_TASKNUM="):
			env[i] = "PBS_TASKNUM=" + strconv.Itoa(t.tasknum)
		case strings.HasPrefix(kv, "PBS_NODENUM="):
			env[i] = "PBS_NODENUM=" + strconv.Itoa(t.node)
		case strings.HasPrefix(kv, "PBS_VNODENUM="):
			env[i] = "PBS_VNODENUM=" + strconv.Itoa(t.vnode)
		}
	}
	if s.Cfg.Dialect == OpenPBS {
		env = append(env, "PBS_VNODENUM="+strconv.Itoa(t.vnode))
	}
	out, errp := s.spoolPath(j.ID, "OU"), s.spoolPath(j.ID, "ER")
	switch j.Join {
	case "oe":
		errp = out
	case "eo":
		out = errp
	}
	if t.stdout != "" {
		out = t.stdout
	}
	mc, err := s.dialMom(t.host, momRequest{Op: "spawn", Job: j.ID, Argv: t.argv, Env: env, Dir: home,
		Stdout: out, Stderr: errp, Via: via, TaskNum: t.tasknum})
	if err != nil {
		return 0, err
	}
	defer mc.c.Close()
	if _, err := mc.next(); err != nil {
		return 0, err
	}
	r, err := mc.next()
	if err != nil {
		return 0, err
	}
	if r.Exit != nil {
		return *r.Exit, nil
	}
	return 256 + r.Signal, nil
}

// Pbsdsh is the pbsdsh command. OpenPBS: "pbsdsh [-c copies | -n vnode]
// [-s] [-v] -- prog [args]"; Torque adds -h host and -u (one task per
// unique host, "This ignores the number of allocated processors").
// Without -c, -n, -h or -u it runs one task per PBS_NODEFILE line.
// OpenPBS's options are parsed as GNU getopt does (options after the
// program are still options), so "--" must end them before a program with
// options, as pbsdsh.1B says; Torque's end at the program. Tasks
// run at once (in order with -s); it waits for all and returns the first
// non-zero exit code among them, or 0. Tasks write to the job's output,
// or with -o to pbsdsh's standard output (each task's output whole, when
// it ends).
func Pbsdsh(home string, args []string, env func(string) string, stdout, stderr io.Writer) int {
	usage := func(msg string) int {
		if msg != "" {
			fmt.Fprintf(stderr, "pbsdsh: %s\n", msg)
		}
		fmt.Fprintln(stderr, "Usage: pbsdsh [-c copies][-s][-v][-o] -- program [args]")
		fmt.Fprintln(stderr, "       pbsdsh [-n nodenumber][-s][-v][-o] -- program [args]")
		return 1
	}
	srv, err := Open(home)
	if err != nil {
		fmt.Fprintf(stderr, "pbsdsh: %v\n", err)
		return 1
	}
	d := srv.Cfg.Dialect
	letters := map[byte]bool{'c': true, 'n': true, 's': false, 'v': false, 'o': false}
	if d == Torque {
		letters['h'], letters['u'] = true, false
	}
	opts := map[byte]string{}
	var operands []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			operands = append(operands, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			if d == Torque {
				// Torque's synopsis has no "--": the program ends the
				// options.
				operands = append(operands, args[i:]...)
				break
			}
			operands = append(operands, a)
			continue
		}
		for k := 1; k < len(a); k++ {
			takes, ok := letters[a[k]]
			if !ok {
				return usage(fmt.Sprintf("invalid option -- '%c'", a[k]))
			}
			if !takes {
				opts[a[k]] = ""
				continue
			}
			v := a[k+1:]
			if v == "" {
				if i+1 >= len(args) {
					return usage(fmt.Sprintf("option requires an argument -- '%c'", a[k]))
				}
				i++
				v = args[i]
			}
			opts[a[k]] = v
			break
		}
	}
	if len(operands) == 0 {
		return usage("")
	}
	j, err := srv.runningJob(env)
	if err != nil {
		fmt.Fprintf(stderr, "pbsdsh: %v\n", err)
		return 1
	}
	var vnodes []string // one per PBS_NODEFILE line
	for _, p := range j.Placements {
		for range p.MPIProcs {
			vnodes = append(vnodes, p.Host)
		}
	}
	hosts := UniqueHosts(j.Placements)
	nodeNum := func(h string) int {
		for i, x := range hosts {
			if x == h {
				return i
			}
		}
		return 0
	}
	var tasks []task
	_, unique := opts['u']
	switch {
	case opts['c'] != "":
		n, err := strconv.Atoi(opts['c'])
		if err != nil || n < 1 {
			return usage("bad -c copies")
		}
		for i := range n {
			v := i % len(vnodes)
			tasks = append(tasks, task{host: vnodes[v], node: nodeNum(vnodes[v]), vnode: v})
		}
	case opts['n'] != "":
		v, err := strconv.Atoi(opts['n'])
		if err != nil || v < 0 || v >= len(vnodes) {
			fmt.Fprintf(stderr, "pbsdsh: node number %s out of range (0-%d)\n", opts['n'], len(vnodes)-1)
			return 1
		}
		tasks = append(tasks, task{host: vnodes[v], node: nodeNum(vnodes[v]), vnode: v})
	case opts['h'] != "":
		h := matchHost(hosts, opts['h'])
		if h == "" {
			fmt.Fprintf(stderr, "pbsdsh: host %s is not a node of job %s\n", opts['h'], j.ID)
			return 1
		}
		tasks = append(tasks, task{host: h, node: nodeNum(h), vnode: firstVnode(vnodes, h)})
	case unique:
		for _, h := range hosts {
			tasks = append(tasks, task{host: h, node: nodeNum(h), vnode: firstVnode(vnodes, h)})
		}
	default:
		for v, h := range vnodes {
			tasks = append(tasks, task{host: h, node: nodeNum(h), vnode: v})
		}
	}
	first, err := srv.taskNums(j.ID, len(tasks))
	if err != nil {
		fmt.Fprintf(stderr, "pbsdsh: %v\n", err)
		return 1
	}
	_, verbose := opts['v']
	_, sequential := opts['s']
	_, capture := opts['o']
	codes := make([]int, len(tasks))
	var wg sync.WaitGroup
	var outMu sync.Mutex
	for i := range tasks {
		tasks[i].argv, tasks[i].tasknum = operands, first+i
		if capture {
			// -o: the task's output comes back to pbsdsh's standard
			// output (whole, when the task ends) instead of the job's.
			tasks[i].stdout = srv.spoolPath(j.ID, fmt.Sprintf("task%d.OU", tasks[i].tasknum))
		}
		run := func() {
			code, err := srv.runTask(j, tasks[i], "pbsdsh")
			if err != nil {
				fmt.Fprintf(stderr, "pbsdsh: task %d on %s: %v\n", tasks[i].tasknum, tasks[i].host, err)
				code = 1
			} else if verbose {
				fmt.Fprintf(stderr, "pbsdsh: task %d exit status %d\n", tasks[i].tasknum, code)
			}
			codes[i] = code
			if capture {
				b, _ := os.ReadFile(tasks[i].stdout)
				os.Remove(tasks[i].stdout)
				outMu.Lock()
				stdout.Write(b)
				outMu.Unlock()
			}
		}
		if sequential {
			run()
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); run() }()
	}
	wg.Wait()
	for _, c := range codes {
		if c != 0 {
			return c & 0xff
		}
	}
	return 0
}

func firstVnode(vnodes []string, h string) int {
	for i, v := range vnodes {
		if v == h {
			return i
		}
	}
	return 0
}

// matchHost finds name among hosts: exactly, or by its short name.
func matchHost(hosts []string, name string) string {
	short, _, _ := strings.Cut(name, ".")
	for _, h := range hosts {
		hs, _, _ := strings.Cut(h, ".")
		if h == name || hs == short {
			return h
		}
	}
	return ""
}

// PbsTmrsh is OpenPBS's pbs_tmrsh: "pbs_tmrsh host [-l user] [-n] command
// [args]", a TM replacement for rsh/ssh. It starts command as a task of
// the caller's job on host (a node of the job) through host's mom; the
// task's output and errors go to the job's .o and .e files, not to
// pbs_tmrsh's. It returns the task's exit status, or 255 on an error or
// a task ended by a signal (as ssh does).
func PbsTmrsh(home string, args []string, env func(string) string, stderr io.Writer) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "pbs_tmrsh: "+format+"\n", a...)
		return 255
	}
	srv, err := Open(home)
	if err != nil {
		return fail("%v", err)
	}
	if len(args) < 2 {
		fmt.Fprintln(stderr, "usage: pbs_tmrsh [-n][-l username] host [-n][-l username] command")
		return 255
	}
	var host string
	var cmd []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-n":
		case a == "-l":
			i++ // the user: tasks run as the job's owner anyway
			if i >= len(args) {
				return fail("-l needs a user name")
			}
		case host == "":
			host = a
		default:
			cmd = args[i:]
			i = len(args)
		}
	}
	if len(cmd) == 0 {
		return fail("no command")
	}
	j, err := srv.runningJob(env)
	if err != nil {
		return fail("%v", err)
	}
	h := matchHost(UniqueHosts(j.Placements), host)
	if h == "" {
		return fail("host %s is not a node of job %s", host, j.ID)
	}
	first, err := srv.taskNums(j.ID, 1)
	if err != nil {
		return fail("%v", err)
	}
	vnodes := 0
	for _, p := range j.Placements {
		if p.Host == h {
			break
		}
		vnodes += p.MPIProcs
	}
	node := 0
	for i, x := range UniqueHosts(j.Placements) {
		if x == h {
			node = i
		}
	}
	// A remote shell runs its command through a shell, as ssh does.
	argv := []string{"/bin/sh", "-c", strings.Join(cmd, " ")}
	code, err := srv.runTask(j, task{host: h, node: node, vnode: vnodes, argv: argv, tasknum: first}, "pbs_tmrsh")
	if err != nil {
		return fail("%v", err)
	}
	if code > 255 {
		return 255
	}
	return code
}
