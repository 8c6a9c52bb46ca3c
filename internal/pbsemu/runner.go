package pbsemu

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"syscall"
	"time"
)

// pollEvery is how often a waiting runner looks at the server's state.
const pollEvery = 100 * time.Millisecond

// RunJob is the server's side of one job (or subjob), run by the detached
// "pbsemu _run HOME ID" that qsub starts: it waits until the job's
// request fits the free hosts (state Q), holds them (R), writes the
// PBS_NODEFILE, has the mother superior's mom run the script, enforces the
// walltime and qdel, and when the script ends kills whatever of the job is
// left on every host (E), delivers the .o and .e files and records the
// exit status (F, or C in Torque).
func RunJob(home, id string) error {
	srv, err := Open(home)
	if err != nil {
		return err
	}
	lg := log.New(os.Stderr, "pbsemu "+id+": ", log.LstdFlags|log.Lmicroseconds)
	d := srv.Cfg.Dialect
	var j *Job
	for {
		deleted := false
		err := srv.update(func(st *state) error {
			j = st.Jobs[id]
			if j == nil {
				return errNoJob
			}
			if j.Deleted {
				deleted = true
				j.State = d.finishedState()
				j.MTime = time.Now()
				return nil
			}
			if j.Parent != "" {
				p := st.Jobs[j.Parent]
				running := 0
				for _, sid := range p.Subjobs {
					if s := st.Jobs[sid]; s.State == "R" || s.State == "E" {
						running++
					}
				}
				if p.ArrayMax > 0 && running >= p.ArrayMax {
					return errSkipSave
				}
			}
			ps := Place(j.Request, srv.hostUses(st))
			if ps == nil {
				return errSkipSave
			}
			j.Placements = ps
			j.State = "R"
			j.Cookie = newCookie()
			j.STime = time.Now()
			j.MTime = j.STime
			return nil
		})
		if errors.Is(err, errSkipSave) {
			time.Sleep(pollEvery)
			continue
		}
		if err != nil {
			return err
		}
		if deleted {
			lg.Printf("deleted while queued")
			return nil
		}
		break
	}
	lg.Printf("running on %s", ExecHost(d, j.Placements))
	status, killedFor := srv.execute(j, lg)
	hosts := UniqueHosts(j.Placements)
	srv.setState(id, "E")
	// The job has ended: nothing of it may outlive it on any host.
	if err := srv.killOnHosts(id, j.Cookie, hosts, syscall.SIGKILL, true); err != nil {
		lg.Printf("cleaning up: %v", err)
	}
	deliverErr := srv.deliver(j)
	if deliverErr != nil {
		lg.Printf("delivering output: %v", deliverErr)
	}
	os.Remove(srv.nodefilePath(id))
	os.RemoveAll(srv.path("tmp", id))
	err = srv.update(func(st *state) error {
		jj := st.Jobs[id]
		jj.ExitStatus = &status
		jj.State = d.finishedState()
		jj.MTime = time.Now()
		if killedFor != "" {
			jj.Comment = killedFor
		}
		return nil
	})
	lg.Printf("ended: exit status %d %s", status, killedFor)
	return err
}

func (s *Server) setState(id, st string) {
	s.update(func(sta *state) error {
		sta.Jobs[id].State = st
		sta.Jobs[id].MTime = time.Now()
		return nil
	})
}

// execute runs the script of running job j through its mother superior's
// mom and returns its exit status: the script's exit code, 256 + the
// signal that killed it, or the dialect's walltime status; killedFor says
// why the server killed it, if it did.
func (s *Server) execute(j *Job, lg *log.Logger) (status int, killedFor string) {
	d := s.Cfg.Dialect
	nodefile := s.nodefilePath(j.ID)
	if err := os.WriteFile(nodefile, []byte(Nodefile(j.Placements)), 0o644); err != nil {
		lg.Printf("writing PBS_NODEFILE: %v", err)
		return -1, "" // JOB_EXEC_FAIL1
	}
	tmp := s.path("tmp", j.ID)
	os.MkdirAll(tmp, 0o700)
	base, home := s.baseEnv()
	arrayID := j.Parent
	env := JobEnv(d, JobVars{ID: j.ID, Name: j.Name, Queue: j.Queue, Account: j.Account, Cookie: j.Cookie,
		Nodefile: nodefile, Home: home, TmpDir: tmp, Placements: j.Placements, Request: j.Request,
		ArrayID: arrayID, Index: j.Index}, base, j.Submitted)
	argv := scriptArgv(j)
	out, errp := s.spoolPath(j.ID, "OU"), s.spoolPath(j.ID, "ER")
	switch j.Join {
	case "oe":
		errp = out
	case "eo":
		out = errp
	}
	ms := j.Placements[0].Host
	mc, err := s.dialMom(ms, momRequest{Op: "spawn", Job: j.ID, Argv: argv, Env: env, Dir: home,
		Stdout: out, Stderr: errp, Via: "job", TaskNum: 1})
	if err == nil {
		_, err = mc.next()
	}
	if err != nil {
		lg.Printf("starting the script on %s: %v", ms, err)
		return -1, ""
	}
	defer mc.c.Close()
	ended := make(chan momReply, 1)
	go func() {
		r, err := mc.next()
		if err != nil {
			lg.Printf("lost the mom of %s: %v", ms, err)
			code := -1
			r = momReply{Exit: &code}
		}
		ended <- r
	}()
	var walltime <-chan time.Time
	if j.Request.Walltime > 0 {
		t := time.NewTimer(j.Request.Walltime)
		defer t.Stop()
		walltime = t.C
	}
	poll := time.NewTicker(pollEvery)
	defer poll.Stop()
	hosts := UniqueHosts(j.Placements)
	for {
		select {
		case r := <-ended:
			switch {
			case killedFor == "walltime":
				return d.walltimeExit(), "job killed: walltime exceeded limit"
			case r.Exit != nil:
				return *r.Exit, killedFor
			default:
				return 256 + r.Signal, killedFor
			}
		case <-walltime:
			walltime = nil
			if killedFor == "" {
				killedFor = "walltime"
				lg.Printf("walltime %v exceeded", j.Request.Walltime)
				go s.terminate(j.ID, j.Cookie, hosts, lg)
			}
		case <-poll.C:
			if killedFor != "" {
				continue
			}
			if cur, err := s.job(j.ID); err == nil && cur.Deleted {
				killedFor = "job deleted (qdel)"
				go s.terminate(j.ID, j.Cookie, hosts, lg)
			}
		}
	}
}

// terminate ends a job's processes on hosts: SIGTERM, then after the
// server's kill delay SIGKILL.
func (s *Server) terminate(id, cookie string, hosts []string, lg *log.Logger) {
	if err := s.killOnHosts(id, cookie, hosts, syscall.SIGTERM, false); err != nil {
		lg.Printf("SIGTERM: %v", err)
	}
	time.Sleep(s.Cfg.KillDelay)
	if err := s.killOnHosts(id, cookie, hosts, syscall.SIGKILL, true); err != nil {
		lg.Printf("SIGKILL: %v", err)
	}
}

// scriptArgv is how the mom runs the job script: with -S's shell if
// given, else directly when it starts with "#!", else with /bin/sh.
func scriptArgv(j *Job) []string {
	if j.Shell != "" {
		return []string{j.Shell, j.Script}
	}
	f, err := os.Open(j.Script)
	if err == nil {
		defer f.Close()
		head := make([]byte, 2)
		if n, _ := io.ReadFull(f, head); n == 2 && string(head) == "#!" {
			return []string{j.Script}
		}
	}
	return []string{"/bin/sh", j.Script}
}

// baseEnv is the environment every job starts from: the owner's HOME,
// LOGNAME, USER and SHELL, then the server's HOME/pbs_environment file
// (NAME=value lines, as a mom's $PBS_HOME/pbs_environment), whose PATH
// is the job's (default /bin:/usr/bin). It also returns the owner's home,
// where jobs and tasks start.
func (s *Server) baseEnv() (map[string]string, string) {
	home := os.Getenv("HOME")
	if home == "" {
		home = "/root"
	}
	env := map[string]string{"HOME": home, "LOGNAME": "root", "USER": "root", "SHELL": "/bin/sh", "PATH": "/bin:/usr/bin"}
	if f, err := os.Open(s.path("pbs_environment")); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if k, v, ok := strings.Cut(line, "="); ok && k != "" && !strings.HasPrefix(line, "#") {
				env[k] = v
			}
		}
	}
	return env, home
}

// deliver copies the job's spooled output and error to their paths (a
// joined stream has none) and removes the spool files.
func (s *Server) deliver(j *Job) error {
	var errs []error
	move := func(ext, dst string) {
		src := s.spoolPath(j.ID, ext)
		defer os.Remove(src)
		if dst == "" {
			return
		}
		b, err := os.ReadFile(src)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", dst, err))
		}
	}
	move("OU", j.OutPath)
	move("ER", j.ErrPath)
	return errors.Join(errs...)
}
