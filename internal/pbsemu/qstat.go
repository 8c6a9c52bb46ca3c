package pbsemu

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Exit statuses of qstat and qdel: OpenPBS's PBSE_UNKJOBID (15001) and
// PBSE_HISTJOBID (15139) modulo 256, as its commands exit.
const (
	exitUnknownJob = 153
	exitHistoryJob = 35
)

// Qstat is the qstat command: "qstat [-f] [-x] [job…]". Without -f it
// prints the one-line-per-job table; -f prints the full attributes of
// each job. In OpenPBS a finished job is shown only with -x ("Job has
// finished, use -x or -H…" otherwise); Torque shows completed jobs (C)
// always and has no -x.
func Qstat(home string, args []string, stdout, stderr io.Writer) int {
	srv, err := Open(home)
	if err != nil {
		fmt.Fprintf(stderr, "qstat: %v\n", err)
		return exitFail
	}
	d := srv.Cfg.Dialect
	full, history := false, false
	var refs []string
	for _, a := range args {
		switch {
		case a == "-f":
			full = true
		case a == "-x" && d == OpenPBS:
			history = true
		case a == "-fx" || a == "-xf":
			if d != OpenPBS {
				fmt.Fprintf(stderr, "qstat: invalid option -- 'x'\n")
				return exitUsage
			}
			full, history = true, true
		case strings.HasPrefix(a, "-"):
			fmt.Fprintf(stderr, "qstat: option %s is not emulated by pbsemu\n", a)
			return exitUsage
		default:
			refs = append(refs, a)
		}
	}
	var st *state
	if err := srv.view(func(s *state) { st = s }); err != nil {
		fmt.Fprintf(stderr, "qstat: %v\n", err)
		return exitFail
	}
	finished := d.finishedState()
	var jobs []*Job
	code := 0
	if len(refs) == 0 {
		for _, j := range st.Jobs {
			if j.Parent != "" {
				continue // subjobs show with -t, which is not emulated
			}
			if srv.displayState(st, j) == finished && d == OpenPBS && !history {
				continue
			}
			jobs = append(jobs, j)
		}
		sort.Slice(jobs, func(a, b int) bool { return jobs[a].Seq < jobs[b].Seq })
	}
	for _, r := range refs {
		j := srv.lookup(st, r)
		if j == nil {
			fmt.Fprintf(stderr, "qstat: Unknown Job Id %s\n", r)
			code = exitUnknownJob
			continue
		}
		if d == OpenPBS && !history && srv.displayState(st, j) == finished {
			fmt.Fprintf(stderr, "qstat: %s Job has finished, use -x or -H to obtain historical job information\n", j.ID)
			code = exitHistoryJob
			continue
		}
		jobs = append(jobs, j)
	}
	if full {
		for _, j := range jobs {
			srv.printFull(stdout, st, j)
		}
		return code
	}
	if len(jobs) > 0 {
		fmt.Fprintf(stdout, "%-24s %-16s %-16s %8s %s %s\n", "Job id", "Name", "User", "Time Use", "S", "Queue")
		fmt.Fprintf(stdout, "%s %s %s %s %s %s\n", strings.Repeat("-", 24), strings.Repeat("-", 16), strings.Repeat("-", 16), strings.Repeat("-", 8), "-", "-----")
		for _, j := range jobs {
			user, _, _ := strings.Cut(j.Owner, "@")
			fmt.Fprintf(stdout, "%-24s %-16.16s %-16.16s %8s %s %s\n", j.ID, j.Name, user, "0", srv.displayState(st, j), j.Queue)
		}
	}
	return code
}

// lookup finds the job a user's id names, or nil.
func (s *Server) lookup(st *state, ref string) *Job {
	r, err := ParseJobRef(ref, s.Cfg.Server)
	if err != nil {
		return nil
	}
	id := JobID(r.Seq, s.Cfg.Server)
	switch {
	case r.Array && r.Index >= 0:
		id = SubjobID(r.Seq, r.Index, s.Cfg.Server)
	case r.Array:
		id = ArrayJobID(r.Seq, s.Cfg.Server)
	}
	if j := st.Jobs[id]; j != nil {
		return j
	}
	if !r.Array {
		// "123" also names array job 123[].
		return st.Jobs[ArrayJobID(r.Seq, s.Cfg.Server)]
	}
	return nil
}

// displayState is the state qstat shows: a job's own, or for an array
// job Q until a subjob starts, then B (begun), and finished once all are.
func (s *Server) displayState(st *state, j *Job) string {
	if len(j.Subjobs) == 0 {
		return j.State
	}
	fin := s.Cfg.Dialect.finishedState()
	all, begun := true, false
	for _, id := range j.Subjobs {
		switch st.Jobs[id].State {
		case fin:
			begun = true
		case "Q":
			all = false
		default:
			all, begun = false, true
		}
	}
	switch {
	case all:
		return fin
	case begun && s.Cfg.Dialect == OpenPBS:
		return "B"
	case begun:
		return "R"
	}
	return "Q"
}

func (s *Server) printFull(w io.Writer, st *state, j *Job) {
	d := s.Cfg.Dialect
	fmt.Fprintf(w, "Job Id: %s\n", j.ID)
	attr := func(k, v string) { fmt.Fprintf(w, "    %s = %s\n", k, v) }
	attr("Job_Name", j.Name)
	attr("Job_Owner", j.Owner)
	attr("job_state", s.displayState(st, j))
	attr("queue", j.Queue)
	attr("server", s.Cfg.Server)
	if j.Account != "" {
		attr("Account_Name", j.Account)
	}
	attr("ctime", j.QTime.Format(time.ANSIC))
	attr("mtime", j.MTime.Format(time.ANSIC))
	if !j.STime.IsZero() {
		attr("stime", j.STime.Format(time.ANSIC))
	}
	if len(j.Placements) > 0 {
		attr("exec_host", ExecHost(d, j.Placements))
	}
	host := ""
	if _, h, ok := strings.Cut(j.Owner, "@"); ok {
		host = h + ":"
	}
	if j.OutPath != "" {
		attr("Output_Path", host+j.OutPath)
	}
	if j.ErrPath != "" {
		attr("Error_Path", host+j.ErrPath)
	}
	if j.Join != "" {
		attr("Join_Path", j.Join)
	}
	for _, r := range j.Request.List {
		attr("Resource_List."+r.Name, r.Value)
	}
	if d == Torque {
		attr("Resource_List.nodect", fmt.Sprint(j.Request.Nodes()))
	}
	if j.Comment != "" {
		attr("comment", j.Comment)
	}
	if j.ExitStatus != nil {
		attr(d.exitStatusAttr(), fmt.Sprint(*j.ExitStatus))
	}
	if len(j.Subjobs) > 0 {
		attr("array", "True")
		if d == OpenPBS {
			attr("array_indices_submitted", s.arrayRange(st, j))
		} else {
			attr("job_array_request", s.arrayRange(st, j))
		}
	}
	if j.Parent != "" {
		if d == OpenPBS {
			attr("array_id", j.Parent)
			attr("array_index", fmt.Sprint(j.Index))
		} else {
			attr("job_array_id", fmt.Sprint(j.Index))
		}
	}
	var vars []string
	for k, v := range j.Submitted {
		vars = append(vars, k+"="+v)
	}
	sort.Strings(vars)
	attr("Variable_List", strings.Join(vars, ","))
	fmt.Fprintln(w)
}

func (s *Server) arrayRange(st *state, j *Job) string {
	var idx []string
	for _, id := range j.Subjobs {
		idx = append(idx, fmt.Sprint(st.Jobs[id].Index))
	}
	return strings.Join(idx, ",")
}

// Qdel is the qdel command: "qdel job…". A queued job is removed at once;
// a running one is marked deleted and its runner kills its processes on
// every host (SIGTERM, then SIGKILL after the kill delay). An array job's
// id deletes all its subjobs.
func Qdel(home string, args []string, stderr io.Writer) int {
	srv, err := Open(home)
	if err != nil {
		fmt.Fprintf(stderr, "qdel: %v\n", err)
		return exitFail
	}
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: qdel job_identifier...")
		return exitUsage
	}
	code := 0
	for _, ref := range args {
		if strings.HasPrefix(ref, "-") {
			fmt.Fprintf(stderr, "qdel: option %s is not emulated by pbsemu\n", ref)
			return exitUsage
		}
		err := srv.update(func(st *state) error {
			j := srv.lookup(st, ref)
			if j == nil {
				return errNoJob
			}
			ids := []string{j.ID}
			if len(j.Subjobs) > 0 {
				ids = j.Subjobs
			}
			for _, id := range ids {
				sj := st.Jobs[id]
				if sj.State == "Q" || sj.State == "R" {
					sj.Deleted = true
					sj.MTime = time.Now()
				}
			}
			return nil
		})
		if err == errNoJob {
			fmt.Fprintf(stderr, "qdel: Unknown Job Id %s\n", ref)
			code = exitUnknownJob
		} else if err != nil {
			fmt.Fprintf(stderr, "qdel: %v\n", err)
			code = exitFail
		}
	}
	return code
}
