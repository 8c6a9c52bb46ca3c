package main

import (
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spmd-go/spmd/internal/profdata"
	"github.com/spmd-go/spmd/launcher"
	"github.com/spmd-go/spmd/launcher/profile"
)

// profiling holds the profile and trace options: --profile DIR, --trace
// DIR, --trace-limit N, and --merge-profile DIR (which runs nothing).
type profiling struct {
	profileDir string
	traceDir   string
	traceLimit int // events per rank; 0: profdata.DefaultTraceLimit
	mergeDir   string
}

func (p *profiling) flags(fs *flag.FlagSet) {
	fs.StringVar(&p.profileDir, "profile", "", "")
	fs.StringVar(&p.traceDir, "trace", "", "")
	fs.IntVar(&p.traceLimit, "trace-limit", 0, "")
	fs.StringVar(&p.mergeDir, "merge-profile", "", "")
}

func (p *profiling) on() bool { return p.profileDir != "" || p.traceDir != "" }

// check refuses values the flags alone accept; set names the flags given.
func (p *profiling) check(set map[string]bool) error {
	switch {
	case set["profile"] && strings.TrimSpace(p.profileDir) == "":
		return errors.New("empty --profile directory")
	case set["trace"] && strings.TrimSpace(p.traceDir) == "":
		return errors.New("empty --trace directory")
	case set["trace-limit"] && p.traceLimit < 1:
		return fmt.Errorf("invalid --trace-limit %d: need at least 1 event", p.traceLimit)
	case set["trace-limit"] && p.traceDir == "":
		return errors.New("--trace-limit needs --trace")
	}
	return nil
}

func (p *profiling) checkMerge(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return errors.New("--merge-profile takes no program")
	}
	return nil
}

// jobSize is the number of ranks job will start.
func jobSize(job *launcher.Job) int {
	n := job.N
	if n == 0 && job.Mapping != nil {
		n = job.Mapping.Size()
	}
	return max(n, 1)
}

// allLocal says whether every rank of job runs on this host.
func allLocal(job *launcher.Job) bool {
	if job.Mapping == nil {
		return true
	}
	for _, h := range job.Mapping.Hosts {
		if !launcher.IsLocalHost(h) {
			return false
		}
	}
	return true
}

// stopWait bounds how long a timed-out job waits for its ranks' data
// before the launcher ends them: time to encode and send a full trace.
const stopWait = 10 * time.Second

// run runs a profiled or traced job: it checks the output directories,
// starts the collector and tells the ranks where it is, runs the job
// (runIt), and then writes and summarises what the ranks sent, whatever
// the job's outcome; when the job's --timeout fires, the ranks first hand
// over what they have so far (marked partial). It returns the job's exit code, or 1 when the job
// succeeded but its outputs could not be written.
func (p *profiling) run(job *launcher.Job, runIt func() int, stderr io.Writer) int {
	n := jobSize(job)
	limit := p.traceLimit
	if limit == 0 {
		limit = profdata.DefaultTraceLimit(n)
	}
	dirs := map[string]uint64{}
	if p.profileDir != "" {
		dirs[p.profileDir] += profile.MinFreeBytes
	}
	if p.traceDir != "" {
		dirs[p.traceDir] += uint64(n) * uint64(limit) * profile.TraceBytesPerEvent
	}
	for dir, need := range dirs {
		if err := profile.PrepareDir(dir, need); err != nil {
			fmt.Fprintf(stderr, "spmdrun: %s: %v\n", p.flagOf(dir), err)
			return launcher.ExitUsage
		}
	}
	if job.Cookie == "" {
		c, err := launcher.NewCookie()
		if err != nil {
			fmt.Fprintf(stderr, "spmdrun: %v\n", err)
			return launcher.ExitInternal
		}
		job.Cookie = c
	}
	cookie, err := hex.DecodeString(job.Cookie)
	if err != nil {
		fmt.Fprintf(stderr, "spmdrun: job cookie: %v\n", err)
		return launcher.ExitInternal
	}
	// Ranks on this host only: listen on loopback alone. Otherwise on every
	// interface, and give the ranks every address to try, as the proxies get.
	bind := "127.0.0.1:0"
	if !allLocal(job) {
		bind = ":0"
	}
	coll, err := profdata.Listen(bind, cookie, n, nil)
	if err != nil {
		fmt.Fprintf(stderr, "spmdrun: %v\n", err)
		return launcher.ExitInternal
	}
	addr := coll.Addr()
	if tcp, err := net.ResolveTCPAddr("tcp", addr); err == nil {
		addr = strings.Join(launcher.ReachableAddrs(tcp), ",")
	}
	job.Env = append(job.Env, p.env(addr, limit)...)
	if job.Timeout > 0 {
		// Ranks that the timeout stops hand over what they have first.
		reason := fmt.Sprintf("stopped by --timeout after %v", job.Timeout)
		job.OnTimeout = func() { coll.Stop(reason, stopWait) }
	}

	code := runIt()

	coll.Close()
	if err := p.write(coll.Data(), "", stderr); err != nil {
		fmt.Fprintf(stderr, "spmdrun: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// flagOf names the flag that gave dir, for error messages.
func (p *profiling) flagOf(dir string) string {
	switch {
	case dir == p.profileDir && dir == p.traceDir:
		return "--profile and --trace"
	case dir == p.profileDir:
		return "--profile"
	}
	return "--trace"
}

// env is what every rank is given: the collector's addresses, the
// directories (absolute: ranks may start elsewhere) and the trace limit.
func (p *profiling) env(collector string, limit int) []string {
	env := []string{profdata.EnvCollector + "=" + collector}
	if p.profileDir != "" {
		env = append(env, profdata.EnvProfile+"="+absDir(p.profileDir))
	}
	if p.traceDir != "" {
		env = append(env, profdata.EnvTrace+"="+absDir(p.traceDir),
			profdata.EnvTraceLimit+"="+strconv.Itoa(limit))
	}
	return env
}

func absDir(dir string) string {
	if a, err := filepath.Abs(dir); err == nil {
		return a
	}
	return dir
}

// write writes the outputs asked for and prints the summary.
func (p *profiling) write(data []*profdata.RankData, clockNote string, stderr io.Writer) error {
	var errs []error
	var prof *profile.Profile
	if p.profileDir != "" {
		var err error
		prof, err = profile.WriteProfile(p.profileDir, data)
		errs = append(errs, err)
	}
	var info *profile.TraceInfo
	if p.traceDir != "" {
		ti, err := profile.WriteTraceFile(p.traceDir, data)
		errs = append(errs, err)
		info = &ti
	}
	fmt.Fprintln(stderr)
	profile.Summary(stderr, prof, p.profileDir, info, p.traceDir, clockNote)
	return errors.Join(errs...)
}

// mergeProfile is spmdrun --merge-profile DIR: it assembles the rank files
// (rank-N.spmdprof) that ranks started by another launcher wrote into DIR
// into the profile, and into the trace if they traced.
func mergeProfile(dir string, stderr io.Writer) int {
	data, err := profdata.ReadDir(dir)
	if err != nil {
		fmt.Fprintf(stderr, "spmdrun: --merge-profile: %v\n", err)
		return 1
	}
	p := &profiling{profileDir: dir}
	for _, d := range data {
		if d != nil && (len(d.Trace) > 0 || d.TraceLimit > 0) {
			p.traceDir = dir
		}
	}
	note := "ranks wrote their own files: no clock was measured, so ranks on different hosts keep their hosts' clock differences"
	if err := p.write(data, note, stderr); err != nil {
		fmt.Fprintf(stderr, "spmdrun: --merge-profile: %v\n", err)
		return 1
	}
	return 0
}
