package sched

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The batch systems' submission commands (sbatch, qsub, condor_submit) and
// status commands (qstat, the HTCondor user log) print what the functions
// below read. Each returns an error naming the tool and quoting what it
// printed when the text is not what the tool prints.

var (
	sbatchLine = regexp.MustCompile(`(?m)^Submitted batch job (\d+)`)
	qsubID     = regexp.MustCompile(`^\d+(\[\])?(\.[A-Za-z0-9_.-]+)?$`)
	condorLine = regexp.MustCompile(`(?m)^(\d+) job\(s\) submitted to cluster (\d+)\.`)
)

// SubmitCommand is the tool that submits format f's files.
func SubmitCommand(f Format) string {
	switch f {
	case FormatSlurm:
		return "sbatch"
	case FormatCondor:
		return "condor_submit"
	}
	return "qsub"
}

// ParseJobID reads the job id from what format f's submission command
// printed on its standard output: sbatch's "Submitted batch job N" (N);
// qsub's last non-empty line, SEQ.SERVER or SEQ[].SERVER for an array (as
// printed); condor_submit's "K job(s) submitted to cluster C." (C.0 for
// one job, C for several: the cluster).
func ParseJobID(f Format, stdout string) (string, error) {
	tool := SubmitCommand(f)
	switch f {
	case FormatSlurm:
		if m := sbatchLine.FindStringSubmatch(stdout); m != nil {
			return m[1], nil
		}
	case FormatCondor:
		if m := condorLine.FindStringSubmatch(stdout); m != nil {
			if m[1] == "1" {
				return m[2] + ".0", nil
			}
			return m[2], nil
		}
	default:
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		if last := strings.TrimSpace(lines[len(lines)-1]); qsubID.MatchString(last) {
			return last, nil
		}
	}
	return "", fmt.Errorf("%s printed no job id: %q", tool, OneLine(stdout))
}

// PBSJobStatus is what qstat -f says of a job.
type PBSJobStatus struct {
	// State is job_state: Q, R, E, H, ... and F (OpenPBS finished, with
	// qstat -x) or C (Torque completed).
	State string
	// ExitStatus is Exit_status (OpenPBS) or exit_status (Torque), valid
	// when HasExit.
	ExitStatus int
	HasExit    bool
}

// Done says whether the job has ended.
func (st PBSJobStatus) Done() bool {
	return st.State == "F" || st.State == "C"
}

// ParsePBSStatus reads qstat -f's "name = value" lines for one job
// (OpenPBS's qstat -x -f, or Torque's qstat -f): job_state and the exit
// status. Output without a job_state is an error.
func ParsePBSStatus(out string) (PBSJobStatus, error) {
	var st PBSJobStatus
	for line := range strings.SplitSeq(out, "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch strings.ToLower(k) {
		case "job_state":
			st.State = v
		case "exit_status":
			n, err := strconv.Atoi(v)
			if err != nil {
				return st, fmt.Errorf("qstat: Exit_status %q is not a number", v)
			}
			st.ExitStatus, st.HasExit = n, true
		}
	}
	if st.State == "" {
		return st, fmt.Errorf("qstat printed no job_state: %q", OneLine(out))
	}
	return st, nil
}

// PBSExitCode turns a PBS exit status into a process exit code: the
// script's own code (0..255); 256+N (OpenPBS's and Torque's mark of a job
// killed by signal N) as a shell would, 128+N; a negative status (the
// job never ran: PBS's JOB_EXEC_* codes) as 1.
func PBSExitCode(status int) int {
	switch {
	case status < 0:
		return 1
	case status > 256:
		return min(128+status-256, 255)
	case status == 256:
		return 1
	}
	return status
}

// condorEvent matches the first line of an HTCondor user-log event:
// "005 (123.000.000) 2026-12-06 10:00:00 Job terminated.".
var condorEvent = regexp.MustCompile(`^(\d{3}) \((\d+)\.(\d+)\.(\d+)\) `)

var (
	condorNormal   = regexp.MustCompile(`Normal termination \(return value (-?\d+)\)`)
	condorAbnormal = regexp.MustCompile(`Abnormal termination \(signal (\d+)\)`)
)

// ParseCondorLog reads an HTCondor user log (the job's log file, as
// condor_wait waits on it) for the end of job id (C.P) or of every
// job of cluster C: done is true once each of them has terminated or was
// aborted, and code is the highest exit code among them (a job killed by
// signal N counts as 128+N, an aborted job as 1).
func ParseCondorLog(log, id string) (code int, done bool) {
	cluster, proc, one := strings.Cut(id, ".")
	// open: the jobs seen submitted and not yet ended.
	open := map[string]bool{}
	ended := 0
	var event, eventProc string
	for line := range strings.SplitSeq(log, "\n") {
		if m := condorEvent.FindStringSubmatch(line); m != nil {
			event, eventProc = "", ""
			if m[2] == clusterNumber(cluster) && (!one || m[3] == procNumber(proc)) {
				event, eventProc = m[1], m[3]
			}
			switch event {
			case "000": // submitted
				open[eventProc] = true
			case "009": // aborted
				delete(open, eventProc)
				ended++
				code = max(code, 1)
			}
			continue
		}
		if event != "005" { // terminated
			continue
		}
		if m := condorNormal.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			code = max(code, min(max(n, 0), 255))
		} else if m := condorAbnormal.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			code = max(code, min(128+n, 255))
		} else {
			continue
		}
		delete(open, eventProc)
		ended++
		event = ""
	}
	if ended == 0 {
		return 0, false
	}
	return code, len(open) == 0
}

// clusterNumber and procNumber pad ids as the user log writes them
// (123 -> 123, 0 -> 000).
func clusterNumber(c string) string {
	n, err := strconv.Atoi(c)
	if err != nil {
		return c
	}
	return fmt.Sprintf("%03d", n)
}

func procNumber(p string) string { return clusterNumber(p) }

// OneLine joins the non-empty lines of a tool's output with "; ", at most
// 400 bytes, for a one-line error.
func OneLine(s string) string {
	var parts []string
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	out := strings.Join(parts, "; ")
	if len(out) > 400 {
		out = out[:400] + "..."
	}
	return out
}
