package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spmd-go/spmd/launcher/sched"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is spmdsubmit; it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	c, err := parse(args)
	if errors.Is(err, flag.ErrHelp) {
		io.WriteString(stdout, usage)
		return 0
	}
	if err == nil && c.submit {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return submit(ctx, c, stdout, stderr)
	}
	if err == nil {
		_, err = write(c.script, c.format, c.dir, stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "spmdsubmit: %v\n", err)
		return exitUsage
	}
	return 0
}

// The exit codes besides the job's own (--wait).
const (
	exitUsage = 2 // bad arguments, or the files could not be written
	exitTool  = 3 // the batch system's tool failed or printed what we cannot read
)

// command is what the command line asks for.
type command struct {
	script *sched.Script
	format sched.Format
	dir    string // -o
	job    string // --job
	submit bool   // --submit, or --wait
	wait   bool
	poll   time.Duration
}

// newScript is a description with the defaults.
func newScript() *sched.Script { return &sched.Script{Nodes: 1, RanksPerNode: 1} }

// parse reads the command line. A --job file is read first and the flags
// applied over it: a first pass over the flags finds --job (and reports
// bad flags), a second parses them onto the file's description.
func parse(args []string) (*command, error) {
	c := &command{script: newScript(), poll: defaultPoll}
	fs := flagSet(newScript(), c)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if c.job != "" {
		if err := readJob(c.job, c.script); err != nil {
			return nil, err
		}
	}
	fs = flagSet(c.script, c)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	s := c.script
	switch {
	case fs.NArg() >= 2:
		s.Program, s.Args = fs.Arg(1), fs.Args()[2:]
	case fs.NArg() == 1 && s.Program != "":
	default:
		return nil, errors.New("want a format (pbs, torque, slurm, condor) and a program, or a --job file naming the program (see spmdsubmit --help)")
	}
	c.format = sched.Format(fs.Arg(0))
	if c.wait {
		c.submit = true
	}
	if c.poll <= 0 {
		return nil, fmt.Errorf("invalid --poll %v: want a positive duration", c.poll)
	}
	if s.Name == "" {
		s.Name = strings.Map(func(r rune) rune {
			if strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", r) {
				return r
			}
			return '_'
		}, filepath.Base(s.Program))
	}
	return c, nil
}

// readJob reads the --job file into s, with its env-file, whose path is
// relative to the job file's directory.
func readJob(path string, s *sched.Script) error {
	data, err := readLimited(path, sched.MaxJobFileSize)
	if err != nil {
		return fmt.Errorf("--job: %w", err)
	}
	envFile, err := sched.ParseJob(path, data, s)
	if err != nil {
		return err
	}
	if envFile == "" {
		return nil
	}
	if !filepath.IsAbs(envFile) {
		envFile = filepath.Join(filepath.Dir(path), envFile)
	}
	entries, err := readEnvFile(envFile)
	if err != nil {
		return err
	}
	// The file's env mapping wins over its env-file, as flags win over both.
	s.Export = mergeEnv(entries, s.Export)
	return nil
}

// readLimited reads a file of at most limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return data, nil
}

// readEnvFile reads an --env-file.
func readEnvFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("env file: %w", err)
	}
	defer f.Close()
	return sched.ParseEnvFile(path, f)
}

// mergeEnv is base with over's entries added, an entry of over replacing
// base's entry of the same name in place.
func mergeEnv(base, over []string) []string {
	out := slices.Clone(base)
	for _, kv := range over {
		k, _, _ := strings.Cut(kv, "=")
		i := slices.IndexFunc(out, func(e string) bool { return strings.HasPrefix(e, k+"=") })
		if i >= 0 {
			out[i] = kv
		} else {
			out = append(out, kv)
		}
	}
	return out
}

// defaultPoll is how often --wait asks qstat about a PBS job.
const defaultPoll = 10 * time.Second

// flagSet defines spmdsubmit's flags, setting s's fields (with s's
// current values as defaults, so that flags apply over a --job file) and
// c's; list flags (-x, --setup, --env-file) add to s's lists. The usage
// text documents every flag (TestUsageListsEveryFlag).
func flagSet(s *sched.Script, c *command) *flag.FlagSet {
	fs := flag.NewFlagSet("spmdsubmit", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, name := range []string{"N", "nodes"} {
		fs.IntVar(&s.Nodes, name, s.Nodes, "")
	}
	fs.IntVar(&s.RanksPerNode, "ppn", s.RanksPerNode, "")
	for _, name := range []string{"t", "walltime"} {
		fs.Func(name, "", func(v string) (err error) {
			s.Walltime, err = sched.ParseWalltime(v)
			return err
		})
	}
	for _, name := range []string{"q", "queue"} {
		fs.StringVar(&s.Queue, name, s.Queue, "")
	}
	for _, name := range []string{"J", "name"} {
		fs.StringVar(&s.Name, name, s.Name, "")
	}
	for _, name := range []string{"A", "account"} {
		fs.StringVar(&s.Account, name, s.Account, "")
	}
	fs.StringVar(&s.QoS, "qos", s.QoS, "")
	fs.Func("mem", "", func(v string) (err error) {
		s.Memory, err = sched.ParseMemory(v)
		return err
	})
	fs.Func("mem-per-cpu", "", func(v string) (err error) {
		s.MemoryPerCPU, err = sched.ParseMemory(v)
		return err
	})
	fs.Func("array", "", func(v string) (err error) {
		s.Array, err = sched.ParseArray(v)
		return err
	})
	fs.StringVar(&s.MailUser, "mail-user", s.MailUser, "")
	fs.Func("mail-type", "", func(v string) (err error) {
		s.MailType, err = sched.ParseMailType(v)
		return err
	})
	fs.StringVar(&s.Stdout, "stdout", s.Stdout, "")
	fs.StringVar(&s.Stderr, "stderr", s.Stderr, "")
	fs.Func("setup", "", func(v string) error {
		s.Setup = append(s.Setup, v)
		return nil
	})
	fs.Func("env-file", "", func(v string) error {
		entries, err := readEnvFile(v)
		s.Export = mergeEnv(s.Export, entries)
		return err
	})
	fs.Func("x", "", func(v string) error {
		s.Env = append(s.Env, v)
		return nil
	})
	fs.StringVar(&s.Spmdrun, "spmdrun", s.Spmdrun, "")
	fs.Func("scale", "", func(v string) (err error) {
		if s.Scale, err = sched.SplitWords(v); err == nil && s.Scale == nil {
			s.Scale = []string{} // --scale "": a study with the defaults
		}
		return err
	})
	fs.StringVar(&s.Spmdbench, "spmdbench", s.Spmdbench, "")
	fs.StringVar(&c.dir, "o", c.dir, "")
	fs.StringVar(&c.job, "job", c.job, "")
	fs.BoolVar(&c.submit, "submit", c.submit, "")
	fs.BoolVar(&c.wait, "wait", c.wait, "")
	fs.DurationVar(&c.poll, "poll", c.poll, "")
	return fs
}

// write renders the submission into dir, printing the paths on stdout
// (when stdout is not nil), or onto stdout when dir is empty. It returns
// the files' paths.
func write(s *sched.Script, format sched.Format, dir string, stdout io.Writer) ([]string, error) {
	files, err := s.Files(format)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		if len(files) > 1 {
			return nil, fmt.Errorf("the %s submission has %d files: give -o DIR", format, len(files))
		}
		_, err := io.WriteString(stdout, files[0].Content)
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	for _, f := range files {
		p := filepath.Join(dir, f.Name)
		if err := os.WriteFile(p, []byte(f.Content), f.Mode); err != nil {
			return nil, err
		}
		// WriteFile keeps the mode of a file that was there: a node
		// script must be executable all the same.
		if err := os.Chmod(p, f.Mode); err != nil {
			return nil, err
		}
		if stdout != nil {
			fmt.Fprintln(stdout, p)
		}
		paths = append(paths, p)
	}
	return paths, nil
}
