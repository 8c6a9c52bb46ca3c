package pbsemu

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Exit statuses of qsub.
const (
	exitOK     = 0
	exitFail   = 1 // the server refused the job, or an internal failure
	exitUsage  = 2 // a bad option or directive
	exitCRLF   = 5 // "script contains cr, lf"
	exitDelete = 3 // -W block=true and the job was deleted
)

// Qsub is the qsub command: it reads the script (args' operand, or
// standard input), applies its directives under the command line's
// options, asks the server to queue the job, prints the job id on stdout
// and returns qsub's exit status (with -W block=true, the job's).
func Qsub(home string, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "qsub: "+format+"\n", a...)
		return code
	}
	srv, err := Open(home)
	if err != nil {
		return fail(exitFail, "%v", err)
	}
	d := srv.Cfg.Dialect
	cmd, err := ParseOptions(d, args)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	var script []byte
	scriptName := "STDIN"
	switch len(cmd.Args) {
	case 0:
		script, err = io.ReadAll(stdin)
	case 1:
		scriptName = filepath.Base(cmd.Args[0])
		script, err = os.ReadFile(cmd.Args[0])
	default:
		return fail(exitUsage, "too many arguments: %q (the emulation takes one script)", cmd.Args[1:])
	}
	if err != nil {
		return fail(exitFail, "script file cannot be loaded - %v", err)
	}
	o, req, err := ParseJob(d, cmd, script, env("PBS_DPREFIX"), srv.Cfg.NodesCompat)
	if err != nil {
		return fail(ExitCode(err), "%v", err)
	}
	if Place(req, srv.idleHosts()) == nil {
		if d == Torque {
			return fail(exitFail, "%s", msgTorqueNoFit)
		}
		return fail(exitFail, "%s", msgOpenPBSNoFit)
	}
	queue := srv.Cfg.Queues[0]
	if o.Queue != "" {
		queue = o.Queue
		known := false
		for _, q := range srv.Cfg.Queues {
			known = known || q == queue
		}
		if !known {
			if d == Torque {
				return fail(exitFail, "submit error (Unknown queue MSG=requested queue not found)")
			}
			return fail(exitFail, "Unknown queue")
		}
	}
	var arr *Array
	if o.Array != "" {
		arr, _ = ParseArray(d, o.Array) // checked by ParseOptions
	}
	wd, err := os.Getwd()
	if err != nil {
		return fail(exitFail, "%v", err)
	}
	name := o.Name
	if name == "" {
		name = scriptName
		if !validJobName(d, name) {
			name = "STDIN"
		}
	}
	owner := "root"
	if u, err := user.Current(); err == nil {
		owner = u.Username
	}
	host, _ := os.Hostname()
	submitted := map[string]string{}
	if o.ExportAll {
		for _, kv := range os.Environ() {
			if k, v, ok := strings.Cut(kv, "="); ok {
				submitted[k] = v
			}
		}
	}
	for _, kv := range o.Vars {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			v = env(k)
		}
		submitted[k] = v
	}
	for _, k := range []string{"HOME", "LANG", "LOGNAME", "PATH", "MAIL", "SHELL", "TZ"} {
		if v := env(k); v != "" {
			submitted["PBS_O_"+k] = v
		}
	}
	submitted["PBS_O_HOST"] = host
	submitted["PBS_O_QUEUE"] = queue
	submitted["PBS_O_WORKDIR"] = wd
	if d == OpenPBS {
		submitted["PBS_O_SYSTEM"] = "Linux"
	} else {
		submitted["PBS_O_SERVER"] = srv.Cfg.Server
		if o.WorkDir != "" {
			submitted["PBS_O_INITDIR"] = o.WorkDir
		}
	}
	userHome := env("HOME")
	if userHome == "" {
		userHome = "/"
	}

	var ids []string
	var printed string
	err = srv.update(func(st *state) error {
		seq := st.NextSeq
		st.NextSeq++
		scriptCopy := srv.path("jobs", fmt.Sprintf("%d.SC", seq))
		if err := os.WriteFile(scriptCopy, script, 0o700); err != nil {
			return err
		}
		now := time.Now()
		mk := func(id string, index int) *Job {
			j := &Job{ID: id, Seq: seq, Index: index, Name: name, Owner: owner + "@" + host, Queue: queue,
				Account: o.Account, State: "Q", Script: scriptCopy, Shell: o.Shell, SubmitDir: wd,
				Submitted: submitted, Request: req, Join: o.Join, Block: o.Block, QTime: now, MTime: now}
			j.OutPath, j.ErrPath = outputPaths(d, o, j, userHome, host)
			return j
		}
		if arr == nil {
			j := mk(JobID(seq, srv.Cfg.Server), -1)
			st.Jobs[j.ID] = j
			ids = append(ids, j.ID)
			printed = j.ID
			return nil
		}
		parent := mk(ArrayJobID(seq, srv.Cfg.Server), -1)
		parent.ArrayMax = arr.Max
		for _, i := range arr.Indices {
			sj := mk(SubjobID(seq, i, srv.Cfg.Server), i)
			sj.Parent = parent.ID
			st.Jobs[sj.ID] = sj
			parent.Subjobs = append(parent.Subjobs, sj.ID)
			ids = append(ids, sj.ID)
		}
		st.Jobs[parent.ID] = parent
		printed = parent.ID
		return nil
	})
	if err != nil {
		return fail(exitFail, "%v", err)
	}
	for _, id := range ids {
		if err := srv.startRunner(id); err != nil {
			return fail(exitFail, "starting job %s: %v", id, err)
		}
	}
	if !o.NoJobID {
		fmt.Fprintln(stdout, printed)
	}
	if !o.Block {
		return exitOK
	}
	return srv.block(printed)
}

// ParseJob applies qsub's rules to a job: the directives of script (with
// the prefix from cmd's -C, else dprefix, the caller's PBS_DPREFIX, else
// #PBS), each parsed like a command line, under the options of the
// command line cmd, which win; then the dialect's resource rules. It
// returns the job's options and request, or the error qsub reports
// ("qsub: " + the error; ExitCode gives its exit status). It submits
// nothing, so it checks a generated script as the dialect's qsub would.
func ParseJob(d Dialect, cmd *Options, script []byte, dprefix string, nodesCompat bool) (*Options, *Request, error) {
	prefix := DefaultPrefix
	if dprefix != "" {
		prefix = dprefix
	}
	if cmd.Given['C'] {
		prefix = cmd.Prefix
	}
	dirs, err := ScanDirectives(script, prefix)
	if err != nil {
		return nil, nil, err
	}
	fromScript := &Options{Given: map[byte]bool{}}
	for _, words := range dirs {
		o, err := ParseOptions(d, words)
		if err == nil && len(o.Args) > 0 {
			err = fmt.Errorf("operand %q in a directive", o.Args[0])
		}
		if err != nil {
			return nil, nil, &DirectiveError{Line: strings.Join(words, " "), Why: err.Error()}
		}
		fromScript = Merge(o, fromScript)
	}
	o := Merge(cmd, fromScript)
	req, err := ResolveRequest(d, o.Resources, nodesCompat)
	if err != nil {
		return nil, nil, err
	}
	return o, req, nil
}

// ExitCode is the exit status qsub ends with for err: 5 for a CR-LF
// script, 2 for a bad option or directive, 1 for a job the server
// refuses.
func ExitCode(err error) int {
	var ue *UsageError
	var de *DirectiveError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, ErrCRLF):
		return exitCRLF
	case errors.As(err, &ue), errors.As(err, &de):
		return exitUsage
	}
	return exitFail
}

// outputPaths are where job j's .o and .e files go: -o and -e (a
// "host:" prefix dropped; relative to the submit directory; a directory
// gets the default name inside), else the default names in the submit
// directory; -k keeps a stream in the owner's home on the execution host
// instead; -j joins one into the other (its path is then "").
func outputPaths(d Dialect, o *Options, j *Job, home, host string) (out, errp string) {
	path := func(given string, stream byte) string {
		def := OutputName(d, j.Name, stream, j.Seq, j.Index)
		if strings.ContainsRune(o.Keep, rune(stream)) {
			return filepath.Join(home, def)
		}
		if given == "" {
			return filepath.Join(j.SubmitDir, def)
		}
		if _, p, ok := strings.Cut(given, ":"); ok {
			given = p
		}
		if !filepath.IsAbs(given) {
			given = filepath.Join(j.SubmitDir, given)
		}
		if strings.HasSuffix(given, "/") {
			return filepath.Join(given, def)
		}
		if fi, err := os.Stat(given); err == nil && fi.IsDir() {
			return filepath.Join(given, def)
		}
		return given
	}
	out, errp = path(o.Out, 'o'), path(o.Err, 'e')
	switch o.Join {
	case "oe":
		errp = ""
	case "eo":
		out = ""
	}
	return out, errp
}

// idleHosts is every host, free: what a request must fit to ever run.
func (s *Server) idleHosts() []HostUse {
	hs := make([]HostUse, len(s.Cfg.Hosts))
	for i, h := range s.Cfg.Hosts {
		hs[i] = HostUse{Name: h.Name, NCPUs: h.NCPUs}
	}
	return hs
}

// startRunner starts the process that runs job id (pbsemu _run): detached
// from qsub (a session of its own), its output appended to the server's
// log.
func (s *Server) startRunner(id string) error {
	logf, err := os.OpenFile(s.path("server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(s.Cfg.Binary, "_run", s.Home, id)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	if err := cmd.Start(); err != nil {
		return err
	}
	return cmd.Process.Release()
}

// block waits for job id (all its subjobs) to end and returns its exit
// value as qsub -W block=true does: the job's exit status, 3 if it was
// deleted; for an array, the first non-zero of its subjobs'.
func (s *Server) block(id string) int {
	for {
		j, err := s.job(id)
		if err != nil {
			return exitFail
		}
		ids := []string{id}
		if len(j.Subjobs) > 0 {
			ids = j.Subjobs
		}
		code, done := 0, true
		for _, sid := range ids {
			sj, err := s.job(sid)
			if err != nil {
				return exitFail
			}
			if sj.State != s.Cfg.Dialect.finishedState() {
				done = false
				break
			}
			switch {
			case sj.Deleted:
				if code == 0 {
					code = exitDelete
				}
			case sj.ExitStatus != nil && *sj.ExitStatus != 0 && code == 0:
				code = *sj.ExitStatus & 0xff
				if code == 0 {
					code = exitFail
				}
			}
		}
		if done {
			return code
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// newCookie is a job's PBS_JOBCOOKIE.
func newCookie() string {
	b := make([]byte, 16)
	rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}
