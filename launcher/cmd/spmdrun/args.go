package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	"github.com/spmd-go/spmd/launcher"
	"github.com/spmd-go/spmd/launcher/sched"
)

// options is the parsed command line.
type options struct {
	n          int // 0: from the allocation
	hosts      string
	hostfile   string
	mapBy      sched.Policy
	ppn        int
	printAlloc bool
	outputDir  string
	env        []string // KEY=VALUE, from -x
	tagOutput  bool
	bindTo     launcher.Binding // BindAuto (also "", the default), BindNone or BindCore
	timeout    time.Duration
	grace      time.Duration
	statusPID  int // --status: the spmdrun to ask for a report
	launcher   string
	cookieVia  string
	rootAddr   string
	connect    time.Duration
	scheduler  sched.Scheduler  // the batch system whose allocation is used
	condor     *sched.CondorJob // node 0 of an HTCondor parallel job
	report     string           // --report: where to write the run's timing report
	profiling                   // --profile, --trace, --trace-limit, --merge-profile
	help       bool
	version    bool
	program    string
	args       []string
}

// parseArgs parses spmdrun's arguments (without the command name). lookupEnv
// reads spmdrun's environment (os.LookupEnv) for -x VAR and SPMD_TIMEOUT.
// A returned error is one line, suitable after "spmdrun: ".
func parseArgs(args []string, lookupEnv func(string) (string, bool)) (*options, error) {
	o := &options{grace: launcher.DefaultGrace}
	fs := o.flagSet(lookupEnv)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return o.check(fs, lookupEnv)
}

// flagSet defines spmdrun's flags, each setting a field of o; the usage
// text documents every one (TestUsageListsEveryFlag).
func (o *options) flagSet(lookupEnv func(string) (string, bool)) *flag.FlagSet {
	fs := flag.NewFlagSet("spmdrun", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.IntVar(&o.n, "n", 0, "")
	fs.IntVar(&o.n, "np", 0, "")
	for _, name := range []string{"host", "hosts"} {
		fs.StringVar(&o.hosts, name, "", "")
	}
	for _, name := range []string{"hostfile", "f", "machinefile"} {
		fs.StringVar(&o.hostfile, name, "", "")
	}
	fs.Func("map-by", "", func(s string) (err error) {
		o.mapBy, err = sched.ParsePolicy(s)
		return err
	})
	fs.IntVar(&o.ppn, "ppn", 0, "")
	fs.IntVar(&o.ppn, "npernode", 0, "")
	fs.BoolVar(&o.printAlloc, "print-allocation", false, "")
	fs.Func("x", "", func(s string) error {
		kv, ok, err := exportVar(s, lookupEnv)
		if ok {
			o.env = append(o.env, kv)
		}
		return err
	})
	fs.Func("bind-to", "", func(s string) (err error) {
		o.bindTo, err = launcher.ParseBinding(s)
		return err
	})
	fs.BoolVar(&o.tagOutput, "tag-output", false, "")
	fs.StringVar(&o.outputDir, "output-filename", "", "")
	fs.DurationVar(&o.timeout, "timeout", 0, "")
	fs.DurationVar(&o.grace, "grace", launcher.DefaultGrace, "")
	fs.IntVar(&o.statusPID, "status", 0, "")
	fs.StringVar(&o.launcher, "launcher", "", "")
	fs.StringVar(&o.cookieVia, "launcher-cookie", "", "")
	fs.StringVar(&o.rootAddr, "root-addr", "", "")
	fs.DurationVar(&o.connect, "connect-timeout", 0, "")
	fs.StringVar(&o.report, "report", "", "")
	o.profiling.flags(fs)
	fs.BoolVar(&o.version, "version", false, "")
	fs.BoolVar(&o.help, "h", false, "")
	fs.BoolVar(&o.help, "help", false, "")
	return fs
}

// check completes and checks the options fs has parsed: SPMD_TIMEOUT,
// the program, and the values that flags alone cannot check.
func (o *options) check(fs *flag.FlagSet, lookupEnv func(string) (string, bool)) (*options, error) {
	if o.help || o.version {
		return o, nil
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["status"] {
		switch {
		case o.statusPID < 1:
			return nil, fmt.Errorf("invalid process id %d for --status", o.statusPID)
		case fs.NArg() > 0:
			return nil, errors.New("--status takes no program")
		}
		return o, nil
	}
	if o.mergeDir != "" {
		return o, o.profiling.checkMerge(fs)
	}
	if err := o.profiling.check(set); err != nil {
		return nil, err
	}
	if !set["timeout"] {
		if v, ok := lookupEnv("SPMD_TIMEOUT"); ok && v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return nil, fmt.Errorf("invalid SPMD_TIMEOUT %q: want a duration such as 90s or 5m", v)
			}
			o.timeout = d
		}
	}
	if !set["connect-timeout"] {
		d, err := envConnectTimeout(lookupEnv)
		if err != nil {
			return nil, err
		}
		o.connect = d
	}
	switch {
	case (set["n"] || set["np"]) && o.n < 1:
		return nil, fmt.Errorf("invalid number of ranks %d: need at least 1", o.n)
	case (set["ppn"] || set["npernode"]) && o.ppn < 1:
		return nil, fmt.Errorf("invalid ranks per node %d: need at least 1", o.ppn)
	case o.hosts != "" && o.hostfile != "":
		return nil, errors.New("give --host or --hostfile, not both")
	case o.timeout < 0:
		return nil, fmt.Errorf("invalid timeout %v: must not be negative", o.timeout)
	case o.cookieVia != "" && o.cookieVia != "stdin" && o.cookieVia != "env" && o.cookieVia != "file":
		return nil, fmt.Errorf("invalid --launcher-cookie %q: want stdin, env or file", o.cookieVia)
	case set["launcher"] && strings.TrimSpace(o.launcher) == "":
		return nil, errors.New("empty --launcher")
	case o.connect < 0:
		return nil, fmt.Errorf("invalid connect timeout %v: must not be negative", o.connect)
	case o.grace < 0:
		return nil, fmt.Errorf("invalid grace period %v: must not be negative", o.grace)
	case fs.NArg() == 0 && !o.printAlloc:
		return nil, errors.New("no program given")
	}
	if fs.NArg() > 0 {
		o.program, o.args = fs.Arg(0), fs.Args()[1:]
	}
	return o, nil
}

// exportVar turns an -x argument into KEY=VALUE. ok is false when VAR names
// a variable that is not set.
func exportVar(s string, lookupEnv func(string) (string, bool)) (kv string, ok bool, err error) {
	name, value, hasValue := strings.Cut(s, "=")
	if name == "" || strings.ContainsAny(name, " \t\n") {
		return "", false, fmt.Errorf("want VAR or VAR=value, not %q", s)
	}
	if hasValue {
		return name + "=" + value, true, nil
	}
	value, ok = lookupEnv(name)
	if !ok {
		return "", false, nil
	}
	return name + "=" + value, true, nil
}

// job builds the launcher job the options describe, placed by m (nil:
// every rank on this host).
func (o *options) job(m *sched.Mapping) *launcher.Job {
	grace := o.grace
	if grace == 0 {
		grace = -1 // Job's zero means the default; --grace 0 means no grace
	}
	return &launcher.Job{
		Program:        o.program,
		Args:           o.args,
		N:              o.n,
		Mapping:        m,
		Env:            o.env,
		BindTo:         o.bindTo,
		TagOutput:      o.tagOutput,
		OutputDir:      o.outputDir,
		Timeout:        o.timeout,
		Grace:          grace,
		Launcher:       o.remoteLauncher(m, exec.LookPath),
		RootAddr:       o.rootAddr,
		ConnectTimeout: o.connect,
	}
}

// remoteLauncher chooses how proxies start on other hosts: --launcher, else
// the batch system's own way (its processes are accounted to the job and
// killed with it), else ssh.
func (o *options) remoteLauncher(m *sched.Mapping, lookPath func(string) (string, error)) *launcher.RemoteLauncher {
	if o.launcher != "" {
		via := o.cookieVia
		if via == "" {
			via = "stdin"
		}
		return &launcher.RemoteLauncher{Command: strings.Fields(o.launcher), PerHost: true, Cookie: via}
	}
	switch o.scheduler {
	case sched.Slurm:
		if _, err := lookPath("srun"); err == nil && m != nil {
			// One proxy per node of the job's hosts, from one srun, as
			// Open MPI's and MPICH's launchers do inside an allocation.
			// srun takes the batch job's SLURM_NTASKS (and
			// SLURM_NTASKS_PER_NODE) from the environment as options, and
			// a task count from there that disagrees with one per node
			// makes it ignore --ntasks-per-node and start a proxy per
			// rank: --ntasks overrides it.
			return &launcher.RemoteLauncher{Command: []string{"srun", "--ntasks-per-node=1",
				fmt.Sprintf("--nodes=%d", len(m.Hosts)), fmt.Sprintf("--ntasks=%d", len(m.Hosts)),
				"--nodelist=" + strings.Join(m.Hosts, ","),
				"--kill-on-bad-exit", "--mpi=none", "--cpu-bind=none", "--input=none"}, Cookie: "env"}
		}
	case sched.PBS:
		// pbs_tmrsh and pbsdsh start processes under the job's TM session;
		// neither forwards standard input, so the cookie goes in a file.
		if _, err := lookPath("pbs_tmrsh"); err == nil {
			return &launcher.RemoteLauncher{Command: []string{"pbs_tmrsh"}, PerHost: true, Cookie: "file"}
		}
		if _, err := lookPath("pbsdsh"); err == nil {
			return &launcher.RemoteLauncher{Command: []string{"pbsdsh", "-u", "--"}, Cookie: "file"}
		}
	}
	return nil
}
