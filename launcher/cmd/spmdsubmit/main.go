package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spmd-go/spmd/launcher/sched"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is spmdsubmit; it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	s, format, dir, err := parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if err == nil {
		err = write(s, format, dir, stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "spmdsubmit: %v\n", err)
		return 2
	}
	return 0
}

// parse reads the command line.
func parse(args []string) (s *sched.Script, format sched.Format, dir string, err error) {
	s = &sched.Script{Nodes: 1, RanksPerNode: 1}
	fs := flagSet(s, &dir)
	if err := fs.Parse(args); err != nil {
		return nil, "", "", err
	}
	if fs.NArg() < 2 {
		return nil, "", "", errors.New("want a format (pbs, torque, slurm, condor) and a program (see spmdsubmit --help)")
	}
	format = sched.Format(fs.Arg(0))
	s.Program, s.Args = fs.Arg(1), fs.Args()[2:]
	if s.Name == "" {
		s.Name = strings.Map(func(r rune) rune {
			if strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", r) {
				return r
			}
			return '_'
		}, filepath.Base(s.Program))
	}
	return s, format, dir, nil
}

// flagSet defines spmdsubmit's flags, setting s's fields and dir; the
// usage text documents every one (TestUsageListsEveryFlag).
func flagSet(s *sched.Script, dir *string) *flag.FlagSet {
	fs := flag.NewFlagSet("spmdsubmit", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.IntVar(&s.Nodes, "N", 1, "")
	fs.IntVar(&s.RanksPerNode, "ppn", 1, "")
	fs.Func("t", "", func(v string) (err error) {
		s.Walltime, err = parseWalltime(v)
		return err
	})
	fs.StringVar(&s.Queue, "q", "", "")
	fs.StringVar(&s.Name, "J", "", "")
	fs.Func("x", "", func(v string) error {
		s.Env = append(s.Env, v)
		return nil
	})
	fs.StringVar(&s.Spmdrun, "spmdrun", "", "")
	fs.Func("scale", "", func(v string) (err error) {
		if s.Scale, err = sched.SplitWords(v); err == nil && s.Scale == nil {
			s.Scale = []string{} // --scale "": a study with the defaults
		}
		return err
	})
	fs.StringVar(&s.Spmdbench, "spmdbench", "", "")
	fs.StringVar(dir, "o", "", "")
	return fs
}

// parseWalltime accepts a Go duration or H:MM:SS.
func parseWalltime(v string) (time.Duration, error) {
	if d, err := time.ParseDuration(v); err == nil {
		return d, nil
	}
	parts := strings.Split(v, ":")
	if len(parts) == 3 {
		var n [3]int
		ok := true
		for i, p := range parts {
			x, err := strconv.Atoi(p)
			ok = ok && err == nil && x >= 0
			n[i] = x
		}
		if ok && n[1] < 60 && n[2] < 60 {
			return time.Duration(n[0])*time.Hour + time.Duration(n[1])*time.Minute + time.Duration(n[2])*time.Second, nil
		}
	}
	return 0, fmt.Errorf("invalid walltime %q: want a duration (90m) or H:MM:SS", v)
}

// write renders the submission into dir, or onto stdout.
func write(s *sched.Script, format sched.Format, dir string, stdout io.Writer) error {
	files, err := s.Files(format)
	if err != nil {
		return err
	}
	if dir == "" {
		if len(files) > 1 {
			return fmt.Errorf("the %s submission has %d files: give -o DIR", format, len(files))
		}
		_, err := io.WriteString(stdout, files[0].Content)
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		p := filepath.Join(dir, f.Name)
		if err := os.WriteFile(p, []byte(f.Content), f.Mode); err != nil {
			return err
		}
		fmt.Fprintln(stdout, p)
	}
	return nil
}
