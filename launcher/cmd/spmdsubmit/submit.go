package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spmd-go/spmd/launcher/sched"
)

// submit writes the files (into -o DIR, else the current directory), runs
// the batch system's submission command on them and prints the job id;
// with --wait it then waits for the job's end and returns the job's exit
// code. sbatch and qsub run in the current directory (the job's working
// directory), condor_submit in DIR, since the submit description names
// its node script relative to itself.
func submit(ctx context.Context, c *command, stdout, stderr io.Writer) int {
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "spmdsubmit: "+format+"\n", a...)
		return code
	}
	if c.wait && c.script.Array != nil && c.format != sched.FormatSlurm {
		return fail(exitUsage, "%s: --wait with --array: only sbatch --wait waits for every task of an array; submit with --submit and watch the tasks", c.format)
	}
	dir := c.dir
	if dir == "" {
		dir = "."
	}
	paths, err := write(c.script, c.format, dir, nil)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	if err := makeOutputDirs(c, dir); err != nil {
		return fail(exitUsage, "%v", err)
	}
	tool := sched.SubmitCommand(c.format)
	if c.format == sched.FormatSlurm && c.wait {
		return sbatchWait(ctx, paths[0], stdout, stderr)
	}
	toolDir, file := "", paths[0]
	if c.format == sched.FormatCondor {
		toolDir, file = dir, filepath.Base(paths[0])
	}
	r, err := runTool(ctx, toolDir, tool, file)
	if err != nil {
		return fail(exitTool, "%v", err)
	}
	id, err := sched.ParseJobID(c.format, r.stdout)
	if err != nil {
		return fail(exitTool, "%v", err)
	}
	fmt.Fprintln(stdout, id)
	if !c.wait {
		return 0
	}
	var code int
	switch c.format {
	case sched.FormatCondor:
		code, err = condorWait(ctx, dir, c.script.Name+".log", id)
	default:
		code, err = pbsWait(ctx, c.format, id, c.poll)
	}
	if err != nil {
		return fail(exitTool, "job %s: %v", id, err)
	}
	return code
}

// makeOutputDirs creates the directories of the --stdout and --stderr
// paths, which the batch systems do not create (Slurm ends a job whose
// output directory is missing at once). They are relative to the job's
// working directory: here, or dir for HTCondor. A directory named by a
// placeholder is left to the user.
func makeOutputDirs(c *command, dir string) error {
	base := "."
	if c.format == sched.FormatCondor {
		base = dir
	}
	for _, p := range []string{c.script.Stdout, c.script.Stderr} {
		d := filepath.Dir(p)
		if p == "" || d == "." || strings.Contains(d, "%") {
			continue
		}
		if !filepath.IsAbs(d) {
			d = filepath.Join(base, d)
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("the directory of the job's output: %w", err)
		}
	}
	return nil
}

// toolResult is what a batch system's command printed.
type toolResult struct {
	stdout, stderr string
}

// runTool runs a batch system's command in dir (empty: the current one).
// A command that cannot start or that exits non-zero is an error naming
// it, with what it printed on one line.
func runTool(ctx context.Context, dir, name string, args ...string) (toolResult, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := toolResult{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return r, nil
	case errors.Is(err, exec.ErrNotFound):
		return r, fmt.Errorf("%s: not found on PATH (is this a submit host of the batch system?)", name)
	case errors.As(err, &ee) && ctx.Err() == nil:
		msg := sched.OneLine(r.stderr)
		if msg == "" {
			msg = sched.OneLine(r.stdout)
		}
		if msg == "" {
			msg = "no message"
		}
		// Tools start their messages with their own name; say it once.
		msg = strings.TrimPrefix(msg, name+": ")
		return r, fmt.Errorf("%s: %s (exit status %d)", name, msg, ee.ExitCode())
	case ctx.Err() != nil:
		return r, fmt.Errorf("%s: interrupted", name)
	}
	return r, fmt.Errorf("%s: %w", name, err)
}

// sbatchWait runs sbatch --wait, prints the job id as soon as sbatch
// does, and returns sbatch's exit status, which is the job's (for an
// array, the highest of its tasks'). An sbatch that printed no id failed
// to submit: that is an error naming it.
func sbatchWait(ctx context.Context, script string, stdout, stderr io.Writer) int {
	cmd := exec.CommandContext(ctx, "sbatch", "--wait", script)
	cmd.WaitDelay = 5 * time.Second
	var errb bytes.Buffer
	cmd.Stderr = &errb
	pipe, err := cmd.StdoutPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			err = errors.New("not found on PATH (is this a submit host of the batch system?)")
		}
		fmt.Fprintf(stderr, "spmdsubmit: sbatch: %v\n", err)
		return exitTool
	}
	var all strings.Builder
	id := ""
	sc := bufio.NewScanner(pipe)
	for sc.Scan() {
		all.WriteString(sc.Text() + "\n")
		if id == "" {
			if got, err := sched.ParseJobID(sched.FormatSlurm, sc.Text()); err == nil {
				id = got
				fmt.Fprintln(stdout, id)
			}
		}
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil && id != "":
		fmt.Fprintf(stderr, "spmdsubmit: stopped waiting for job %s, which goes on (scancel %s ends it)\n", id, id)
		return exitTool
	case id == "":
		msg := sched.OneLine(errb.String())
		if msg == "" {
			msg = sched.OneLine(all.String())
		}
		if msg == "" && err != nil {
			msg = err.Error()
		}
		fmt.Fprintf(stderr, "spmdsubmit: sbatch: %s\n", strings.TrimPrefix(msg, "sbatch: "))
		return exitTool
	case err == nil:
		return 0
	case errors.As(err, &ee) && ee.ExitCode() > 0:
		return ee.ExitCode()
	}
	fmt.Fprintf(stderr, "spmdsubmit: sbatch --wait: %v\n", err)
	return exitTool
}

// pbsWait polls qstat every poll until the job has ended, and returns its
// exit code. OpenPBS shows ended jobs with qstat -x (job_state F);
// Torque keeps them for keep_completed seconds (job_state C) and has no
// -x for this (its -x means XML).
func pbsWait(ctx context.Context, f sched.Format, id string, poll time.Duration) (int, error) {
	args := []string{"-x", "-f", id}
	if f == sched.FormatTorque {
		args = []string{"-f", id}
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		r, err := runTool(ctx, "", "qstat", args...)
		if err != nil {
			return 0, err
		}
		st, err := sched.ParsePBSStatus(r.stdout)
		if err != nil {
			return 0, err
		}
		if st.Done() {
			if !st.HasExit {
				return 0, fmt.Errorf("qstat shows the job ended (job_state %s) with no exit status", st.State)
			}
			return sched.PBSExitCode(st.ExitStatus), nil
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("stopped waiting; the job goes on (qdel %s ends it)", id)
		case <-t.C:
		}
	}
}

// condorWait runs condor_wait on the job's user log (in dir) until the job
// has ended, then reads its exit code from the log.
func condorWait(ctx context.Context, dir, log, id string) (int, error) {
	if _, err := runTool(ctx, dir, "condor_wait", log, id); err != nil {
		if ctx.Err() != nil {
			return 0, fmt.Errorf("stopped waiting; the job goes on (condor_rm %s ends it)", id)
		}
		return 0, err
	}
	data, err := os.ReadFile(filepath.Join(dir, log))
	if err != nil {
		return 0, fmt.Errorf("reading the job's log: %w", err)
	}
	code, done := sched.ParseCondorLog(string(data), id)
	if !done {
		return 0, fmt.Errorf("condor_wait returned, but %s shows no end of the job", filepath.Join(dir, log))
	}
	return code, nil
}
