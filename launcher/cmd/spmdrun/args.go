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

// usage is the text of spmdrun --help.
const usage = `usage: spmdrun [flags] program [args...]

Runs N copies (ranks) of program on this host or the hosts given, wired up
through PMI-1 like MPICH's mpiexec, and exits with the code of the first
rank that fails. Ranks on other hosts are started by a proxy per host
(spmdrun --proxy, started through ssh, srun, pbs_tmrsh/pbsdsh or
--launcher), which connects back to this spmdrun.

flags:
  -n N, -np N      number of ranks (default: one per slot of the hosts, else 1;
                   more ranks than slots or CPUs is allowed: placement wraps around)
  --host LIST      hosts to run on: host[:slots],... (e.g. a:2,b:2); a host
                   named twice gets the slots of both
  --hostfile F     hosts to run on, one per line: "host slots=N [max_slots=M]"
                   (Open MPI) or "host:N" (MPICH); '#' starts a comment.
                   Also -f, --machinefile. Without --host or --hostfile, the
                   allocation of a PBS, Slurm or HTCondor job is used, else
                   this host alone
  --map-by P       slot: fill each host's slots in turn (default);
                   node: one rank per host in turn (round robin)
  -ppn N           N ranks per host, whatever its slots (also --npernode)
  --launcher CMD   how to start spmdrun's proxy on each other host: run as
                   CMD host command..., like ssh (default "ssh -o BatchMode=yes";
                   inside Slurm "srun" and inside PBS "pbs_tmrsh" or "pbsdsh -u"
                   are used instead). The job's cookie goes to the proxy on
                   its standard input (--launcher-cookie env: in SPMD_COOKIE;
                   file: in a 0600 file under ~/.spmd, for launchers that pass
                   neither)
  --root-addr A    address the proxies connect back to (default: listen on
                   every interface; the proxies try each address)
  --connect-timeout D  how long proxies may take to connect (default 30s)
  --print-allocation  print the hosts and slots found, and where the ranks
                   would run, then exit without starting anything
  -x VAR[=value]   export VAR to every rank (repeatable); without =value,
                   spmdrun's own value is exported (nothing if VAR is unset).
                   The ranks inherit spmdrun's environment in any case.
  --bind-to P      core: bind each rank to one CPU, a host's n-th rank to
                   the n-th CPU it may use, or when ranks outnumber CPUs,
                   consecutive ranks in equal blocks to each; none: leave
                   the ranks to the kernel; auto (default): core when the
                   host's ranks are a multiple (2 or more) of those CPUs,
                   else none. Proxies bind the ranks on their hosts alike
  --tag-output     prefix every line of output with "[rank] "
  --output-filename DIR
                   write each rank's output to DIR/rank.N/stdout and
                   DIR/rank.N/stderr instead of the terminal
  --timeout D      end the job after duration D (e.g. 90s, 5m) with exit code 124;
                   default $SPMD_TIMEOUT, else no limit. First the ranks that
                   use spmd's comm are asked what they are blocked in (see
                   below), and the answers are printed after the notice.
  --grace D        time between SIGTERM and SIGKILL when the job is ended
                   (default 3s; 0 kills at once)
  --status PID     ask the spmdrun with process id PID for a status report,
                   which that spmdrun prints on its own standard error (not
                   here), and exit; the job goes on. The same as kill -USR1 PID
  --report FILE    when the job ends, write FILE: JSON with the job's wall time,
                   its application span (from the last rank's return from
                   comm.Init to the last rank's call of Finalize, as the
                   ranks on this host report them; for other PMI programs,
                   from the last barrier to finalize), the ranks and hosts,
                   and the exit code (spmdbench scale reads it)
  --version        print the version and exit
  -h, --help       print this help and exit

Inside a batch job spmdrun finds the hosts with no flags: PBS/Torque
(PBS_NODEFILE), Slurm (SLURM_JOB_NODELIST, SLURM_TASKS_PER_NODE) or an
HTCondor parallel job (_CONDOR_PROCNO, _CONDOR_NPROCS; node 0 meets the
others through contact files in SPMD_CONTACT_DIR, else the job's initial
working directory). SPMD_SCHEDULER=pbs|slurm|condor|none overrides the
detection. Write submit scripts with spmdsubmit.

Flags take one or two dashes, and their value as the next argument or after
'=' (-n 4, --np=4). Flags end at the program name or at '--'; later
arguments are the program's. Standard input goes to rank 0; the others read
/dev/null. SIGINT, SIGTERM and SIGHUP end the job (SIGTERM to the ranks,
SIGKILL after the grace period); a second signal kills at once.

Hang diagnostics: when --timeout expires, spmdrun sends SIGUSR1 to every
rank that uses spmd's comm package (those ranks announce themselves through
PMI; other programs are never sent it) and waits up to 2s for each to
report the operations it has been blocked in for over 0.1s, then prints

  spmdrun: job timed out after 5s; blocked operations:
    rank  op    peer  tag  comm   bytes  blocked
    0     -     -     -    -      -      (not blocked in spmd)
    2     recv  1     7    world  8      4.90s
    3     ?     -     -    -      -      (no report)

with a row per blocked operation (op: recv, send, ssend, probe or wait;
comm: world, or "ctx N" for other communicators, "/coll" inside
collectives) and ranks that did not answer marked. SIGUSR1 sent to spmdrun
itself (or spmdrun --status PID) prints the same table on spmdrun's
standard error under "spmdrun: status at T (job running for D):" and the
job goes on.

exit status:
  0        every rank exited 0
  1-255    the first failure: the rank's exit code, 128+n for a rank killed by
           signal n, or the code a rank passed to PMI abort
  2        bad arguments
  124      the --timeout expired
  127      the program cannot be run (not found, not executable)
  255      a host was lost: its proxy went away, or never connected
  129/130/143  spmdrun was ended by SIGHUP/SIGINT/SIGTERM
`

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
	bindTo     string // launcher.BindAuto (also "", the default), BindNone or BindCore
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
	fs.BoolVar(&o.version, "version", false, "")
	fs.BoolVar(&o.help, "h", false, "")
	fs.BoolVar(&o.help, "help", false, "")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
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
	if !set["timeout"] {
		if v, ok := lookupEnv("SPMD_TIMEOUT"); ok && v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return nil, fmt.Errorf("invalid SPMD_TIMEOUT %q: want a duration such as 90s or 5m", v)
			}
			o.timeout = d
		}
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
			return &launcher.RemoteLauncher{Command: []string{"srun", "--ntasks-per-node=1",
				fmt.Sprintf("--nodes=%d", len(m.Hosts)), "--nodelist=" + strings.Join(m.Hosts, ","),
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
