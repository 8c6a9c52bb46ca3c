package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/spmd-go/spmd/bench/scalereport"
	"github.com/spmd-go/spmd/bench/sweep"
	"github.com/spmd-go/spmd/launcher/sched"
)

// scaleArgs is the parsed command line of spmdbench scale.
type scaleArgs struct {
	cfg      sweep.Config
	compare  []string // --compare DIR1 DIR2
	report   string   // --report DIR: redo a study's reports
	progress bool
}

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// parseScaleArgs reads spmdbench scale's flags, then "--" (optional) and
// the program with its arguments. lookupEnv finds the allocation for the
// default process counts.
func parseScaleArgs(argv []string, out io.Writer, lookupEnv func(string) (string, bool), now time.Time) (scaleArgs, error) {
	var a scaleArgs
	c := &a.cfg
	fs := flag.NewFlagSet("spmdbench scale", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() { fmt.Fprint(out, scaleUsage) }
	np := fs.String("np", "", "process counts")
	weak := fs.Bool("weak", false, "weak scaling")
	strong := fs.Bool("strong", false, "strong scaling (the default)")
	fs.IntVar(&c.Repeat, "repeat", 5, "timed runs per point")
	fs.IntVar(&c.Warmup, "warmup", 0, "warm-up rounds")
	fs.Float64Var(&c.CITarget, "ci-target", 0, "relative CI half-width target")
	fs.IntVar(&c.MaxRepeat, "max-repeat", 0, "most runs per point with --ci-target")
	noRef := fs.Bool("no-serial-reference", false, "weak: skip the one-rank reference runs")
	var metrics, higher, spmdrunArgs listFlag
	fs.Var(&metrics, "metric", "NAME=REGEX")
	fs.Var(&higher, "metric-higher-is-better", "NAME")
	fs.Var(&spmdrunArgs, "spmdrun-arg", "argument for spmdrun")
	fs.StringVar(&c.Spmdrun, "spmdrun", "", "spmdrun executable")
	fs.StringVar(&c.Launcher, "launcher", "", "foreign launcher template")
	fs.DurationVar(&c.RunTimeout, "run-timeout", 0, "limit per run")
	fill := fs.String("fill", "node", "node or spread")
	fs.Uint64Var(&c.Seed, "seed", 0, "order seed")
	fs.StringVar(&c.Out, "out", "", "output directory")
	quiet := fs.Bool("quiet", false, "no progress line")
	compare := fs.Bool("compare", false, "compare two studies")
	fs.StringVar(&a.report, "report", "", "redo a study's reports")
	if err := fs.Parse(argv); err != nil {
		return a, err
	}
	rest := fs.Args()
	switch {
	case *compare:
		if len(rest) != 2 {
			return a, errors.New("--compare takes two study directories")
		}
		a.compare = rest
		return a, nil
	case a.report != "":
		if len(rest) != 0 {
			return a, errors.New("--report DIR takes no program")
		}
		return a, nil
	case len(rest) == 0:
		return a, errors.New("no program given (spmdbench scale [flags] -- PROGRAM [ARGS...])")
	case *weak && *strong:
		return a, errors.New("give --strong or --weak, not both")
	}
	c.Program, c.Args = rest[0], rest[1:]
	c.Mode = sweep.Strong
	if *weak {
		c.Mode = sweep.Weak
	}
	c.SerialReference = !*noRef
	c.Fill = sweep.Fill(*fill)
	c.SpmdrunArgs = spmdrunArgs
	if c.Spmdrun == "" {
		c.Spmdrun = defaultSpmdrun()
	}
	var err error
	if *np != "" {
		if c.NP, err = sweep.ParseNP(*np); err != nil {
			return a, err
		}
	} else {
		c.NP = sweep.DefaultNP(availableSlots(lookupEnv))
	}
	for _, m := range metrics {
		mt, err := sweep.ParseMetric(m)
		if err != nil {
			return a, err
		}
		c.Metrics = append(c.Metrics, mt)
	}
	for _, h := range higher {
		found := false
		for i := range c.Metrics {
			if c.Metrics[i].Name == h {
				c.Metrics[i].HigherIsBetter, found = true, true
			}
		}
		if !found {
			return a, fmt.Errorf("--metric-higher-is-better %s: no --metric of that name", h)
		}
	}
	if c.Out == "" {
		c.Out = fmt.Sprintf("scale-%s-%s", filepath.Base(c.Program), now.Format("20060102-150405"))
	}
	a.progress = !*quiet && isTerminal(os.Stderr)
	return a, sweep.Validate(*c)
}

// defaultSpmdrun is spmdrun from PATH, else the one next to this
// executable (both are built into the same bin directory).
func defaultSpmdrun() string {
	if _, err := exec.LookPath("spmdrun"); err == nil {
		return "spmdrun"
	}
	if self, err := os.Executable(); err == nil {
		sibling := filepath.Join(filepath.Dir(self), "spmdrun")
		if _, err := os.Stat(sibling); err == nil {
			return sibling
		}
	}
	return "spmdrun"
}

// availableSlots is the allocation's slots inside a PBS or Slurm job, else
// this host's CPUs.
func availableSlots(lookupEnv func(string) (string, bool)) int {
	if d, err := sched.Detect(lookupEnv); err == nil && d.Allocation != nil {
		return d.Allocation.Slots()
	}
	return runtime.NumCPU()
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// runScale is spmdbench scale; it returns the exit code: 0 for a finished
// study, 1 when a point has no good run or the results cannot be written,
// 2 for bad arguments, 130 when interrupted (finished runs are kept and
// reported).
func runScale(argv []string, stdout, stderr io.Writer) int {
	a, err := parseScaleArgs(argv, stderr, os.LookupEnv, time.Now())
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "spmdbench scale: %v\n", err)
		return 2
	}
	switch {
	case a.compare != nil:
		return compareStudies(a.compare[0], a.compare[1], stdout, stderr)
	case a.report != "":
		return report(a.report, stdout, stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o := sweep.Options{}
	if a.progress {
		o.Progress = stderr
	}
	_, runErr := sweep.Run(ctx, a.cfg, o)
	if runErr != nil && ctx.Err() == nil && (errors.Is(runErr, sweep.ErrConfig) || !fileExists(filepath.Join(a.cfg.Out, sweep.RunsJSONL))) {
		fmt.Fprintf(stderr, "spmdbench scale: %v\n", runErr)
		return 2
	}
	code := report(a.cfg.Out, stdout, stderr)
	switch {
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "spmdbench scale: interrupted; the finished runs are in %s\n", a.cfg.Out)
		return 130
	case runErr != nil:
		fmt.Fprintf(stderr, "spmdbench scale: %v\n", runErr)
		return 1
	}
	return code
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// report writes a study's reports and prints its table.
func report(dir string, stdout, stderr io.Writer) int {
	s, err := scalereport.Write(dir)
	if err != nil {
		fmt.Fprintf(stderr, "spmdbench scale: report: %v\n", err)
		return 1
	}
	md, err := os.ReadFile(filepath.Join(dir, scalereport.MarkdownFile))
	if err == nil {
		// The table and what follows it, up to the plots.
		text := string(md)
		if i := strings.Index(text, "\n| p "); i >= 0 {
			text = text[i+1:]
		}
		if i := strings.Index(text, "## Plots"); i >= 0 {
			text = text[:i]
		}
		fmt.Fprint(stdout, text)
	}
	fmt.Fprintf(stdout, "report: %s\n", filepath.Join(dir, scalereport.HTMLFile))
	for _, pt := range s.Points {
		if pt.N == 0 {
			return 1
		}
	}
	return 0
}

// compareStudies prints the comparison of two studies and writes their
// plot next to the second one.
func compareStudies(dirA, dirB string, stdout, stderr io.Writer) int {
	a, err := scalereport.Load(dirA)
	if err != nil {
		fmt.Fprintf(stderr, "spmdbench scale: --compare: %v\n", err)
		return 2
	}
	b, err := scalereport.Load(dirB)
	if err != nil {
		fmt.Fprintf(stderr, "spmdbench scale: --compare: %v\n", err)
		return 2
	}
	rows := scalereport.Compare(a, b)
	if err := scalereport.WriteComparison(stdout, dirA, dirB, rows); err != nil {
		fmt.Fprintf(stderr, "spmdbench scale: %v\n", err)
		return 1
	}
	p, err := scalereport.ComparePlot(a, b, dirA, dirB)
	if err == nil {
		base := filepath.Join(dirB, "compare-"+filepath.Base(filepath.Clean(dirA)))
		if err = os.WriteFile(base+".png", p.PNG, 0o644); err == nil {
			err = os.WriteFile(base+".svg", p.SVG, 0o644)
		}
		if err == nil {
			fmt.Fprintf(stdout, "plot: %s.png\n", base)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "spmdbench scale: compare plot: %v\n", err)
		return 1
	}
	return 0
}

const scaleUsage = `usage: spmdbench scale [flags] [--] PROGRAM [ARGS...]
       spmdbench scale --compare DIR1 DIR2
       spmdbench scale --report DIR

Runs PROGRAM through spmdrun at several process counts, each point
repeated, and writes to --out: runs.jsonl and runs.csv (one row per run),
study.json (configuration, placements, provenance), summary.json,
report.md, report.html, and plots (PNG and SVG): time, speedup,
efficiency, Karp-Flatt. Inside a PBS/Torque or Slurm allocation every
point runs on part of it; nothing is submitted.

Placeholders in ARGS are expanded per run: {p} (ranks), {nodes}, {ppn},
and arithmetic over them: + - * / ^, parentheses, sqrt, cbrt, floor, ceil,
round, e.g. -n {round(1024*sqrt(p))}. "{{" and "}}" are literal braces.

What is timed: the program's own span, from the last rank's return from
comm.Init to the last rank's Finalize (spmdrun --report), and the job's
wall time. Programs spmdrun cannot time (no PMI; --launcher) are analysed
by wall time.

Flags:
  --np LIST           process counts: 1,2,4,8 or 1-64 (doubling) or both
                      (default: 1 and the powers of two up to the slots: the
                      allocation's, else this host's CPUs)
  --strong, --weak    strong scaling (default: fixed problem) or weak (the
                      problem grows with p through placeholders)
  --no-serial-reference
                      weak: skip the one-rank runs of each point's grown
                      problem (Gustafson's scaled speedup needs them)
  --repeat N          timed runs per point (default 5; 6 or more for a
                      95% interval of the median)
  --warmup N          untimed rounds first (default 0)
  --ci-target X       add rounds until every point's 95% interval is within
                      ±X·median (X = 0.05: ±5%), up to --max-repeat runs
                      (default 4·repeat)
  --seed N            seed of the shuffled run order (default: the time;
                      recorded in study.json)
  --metric NAME=REGEX a figure of merit from the output: the number in the
                      regexp's first group, last matching line (repeatable)
  --metric-higher-is-better NAME
  --spmdrun-arg ARG   extra argument for spmdrun (repeatable), e.g.
                      --spmdrun-arg=--bind-to=core; --host/--hostfile here
                      leave placement to spmdrun
  --spmdrun PATH      spmdrun executable (default: from PATH, else the one
                      next to spmdbench)
  --launcher CMD      run with another launcher instead: CMD with
                      placeholders, e.g. 'mpirun.openmpi -np {p}'
  --run-timeout D     end a run after D (recorded as failed, code 124)
  --fill node|spread  inside an allocation: fill hosts one by one (node,
                      default) or spread ranks over as many hosts as possible
  --out DIR           results directory (default scale-PROGRAM-DATE)
  --quiet             no progress line (there is none unless stderr is a
                      terminal)
  --compare DIR1 DIR2 compare two studies: per p the ratio of medians with a
                      95% bootstrap interval, and a plot of both
  --report DIR        rewrite a study's summary and reports from its runs

Ctrl-C stops the study; every finished run is kept and reported.
Exit status: 0 done; 1 a point has no good run, or results cannot be
written; 2 bad arguments; 130 interrupted.
`
