package main

// usage is the text of spmdrun --help: the full reference of the command.
// doc.go carries the same text for go doc; TestDocIsHelp keeps the two the
// same (go test -run TestDocIsHelp -update rewrites doc.go).
const usage = `usage: spmdrun [flags] program [args...]
       spmdrun --print-allocation [flags]
       spmdrun --status PID
       spmdrun --merge-profile DIR

Runs N copies (ranks) of program on this host or the hosts given, wired up
through PMI-1 like MPICH's mpiexec, and exits with the code of the first
rank that fails, after one line that names it. Ranks on other hosts are
started by a proxy per host (spmdrun --proxy, started through ssh, srun,
pbs_tmrsh/pbsdsh or --launcher), which connects back to this spmdrun.

Flags take one or two dashes, and their value as the next argument or after
'=' (-n 4, --np=4). Flags end at the program name or at '--'; later
arguments are the program's.

Ranks and hosts:
  -n N, -np N      number of ranks (default: one per slot of the hosts, else 1;
                   more ranks than slots or CPUs is allowed: placement wraps
                   around)
  --host LIST      hosts to run on: host[:slots],... (e.g. a:2,b:2); a host
                   named twice gets the slots of both. Also --hosts
  --hostfile F     hosts to run on, one per line: "host slots=N [max_slots=M]"
                   (Open MPI) or "host:N" (MPICH); '#' starts a comment.
                   Also -f, --machinefile. Without --host or --hostfile, the
                   allocation of a PBS, Slurm or HTCondor job is used, else
                   this host alone
  --map-by P       slot: fill each host's slots in turn (default);
                   node: one rank per host in turn (round robin)
  -ppn N           N ranks per host, whatever its slots (also --npernode)
  --print-allocation
                   print the hosts and slots found, and where the ranks
                   would run, then exit without starting anything
  --bind-to P      core: bind each rank to one CPU, a host's n-th rank to
                   the n-th CPU spmdrun may use, or when ranks outnumber
                   CPUs, consecutive ranks in equal blocks to each (ranks 0-1
                   on the first of 2 CPUs, 2-3 on the second); none: leave
                   the ranks to the kernel; auto (default): core when the
                   host's ranks are a multiple (2 or more) of those CPUs,
                   else none. Proxies bind the ranks on their hosts alike

The ranks' environment and output:
  -x VAR[=value]   export VAR to every rank (repeatable); without =value,
                   spmdrun's own value is exported (nothing if VAR is unset).
                   The ranks inherit spmdrun's environment in any case
  --tag-output     prefix every line of output with "[rank] " (whole lines;
                   a last unterminated line gets a newline)
  --output-filename DIR
                   write each rank's output to DIR/rank.N/stdout and
                   DIR/rank.N/stderr instead of the terminal

Ending the job:
  --timeout D      end the job after duration D (e.g. 90s, 5m) with exit
                   code 124; default $SPMD_TIMEOUT, else no limit. First the
                   ranks that use spmd's comm are asked what they are blocked
                   in (see Hang diagnostics), and the answers are printed
                   after the notice
  --grace D        time between SIGTERM and SIGKILL when the job is ended
                   (default 3s; 0 kills at once)
  --status PID     ask the spmdrun with process id PID for a status report,
                   which that spmdrun prints on its own standard error (not
                   here), and exit; the job goes on. The same as kill -USR1 PID
  --report FILE    when the job ends, write FILE: JSON with the job's wall
                   time, its application span (from the last rank's return
                   from comm.Init to the last rank's call of Finalize, as the
                   ranks on this host report them; for other PMI programs,
                   from the last barrier to finalize), the ranks and hosts,
                   and the exit code (spmdbench scale reads it)

Profiling and tracing (programs that use spmd's comm; no rebuild):
  --profile DIR    every rank counts and times its spmd calls and, at
                   Finalize, sends the counters to spmdrun, which writes
                   DIR/profile.json, DIR/profile.txt (printed at the end:
                   time in spmd per rank, top operations with their
                   imbalance across ranks, message sizes, regions, the
                   rank-by-rank matrix) and DIR/matrix.png. DIR is created;
                   one that cannot be written stops the job before it starts
  --trace DIR      also record every call, and write DIR/trace.json.gz
                   (Chrome trace-event JSON: open it in ui.perfetto.dev or
                   chrome://tracing): a process per rank, a slice per call,
                   an arrow per point-to-point message, clocks aligned
  --trace-limit N  events each rank keeps (default 1000000 / ranks, at least
                   1000); a rank whose buffer fills keeps its first N and the
                   trace and the summary say how many it dropped
  --merge-profile DIR
                   assemble the files rank-N.spmdprof that ranks started by
                   another launcher (srun, mpiexec) with SPMD_PROFILE=DIR (or
                   SPMD_TRACE=DIR) wrote, into the same outputs in DIR, and
                   exit; no clocks are measured then
  The outputs are written when the job ends, also when it fails; ranks that
  sent nothing (died) are named as missing. When --timeout fires, the ranks
  still running first hand over what they have so far (up to 10 s), and
  the outputs say that it is partial.

Other hosts:
  --launcher CMD   how to start spmdrun's proxy on each other host: run as
                   CMD host command..., like ssh (default "ssh -o BatchMode=yes
                   -x"; inside Slurm one "srun --ntasks-per-node=1" for all
                   hosts, inside PBS "pbs_tmrsh" or "pbsdsh -u" are used
                   instead when found)
  --launcher-cookie HOW
                   how --launcher passes the job's cookie to the proxy, which
                   never puts it on a command line: stdin (default: the first
                   line of the proxy's standard input, as ssh forwards it),
                   env (SPMD_COOKIE in the launcher's environment, for
                   launchers that pass it on) or file (a 0600 file under
                   ~/.spmd, which the hosts must share, removed at the end)
  --root-addr A    address the proxies connect back to (default: listen on
                   every interface; the proxies try each address)
  --connect-timeout D
                   how long proxies may take to connect (default 30s,
                   or SPMD_CONNECT_TIMEOUT), and how long the nodes of an
                   HTCondor parallel job may take to meet (default 5m)

  The spmdrun binary and the program must be at the same paths on every
  host. The ranks there get spmdrun's environment, less what describes
  this host or session (HOSTNAME, PWD, SSH_*, PMI_*, XDG_*, TMPDIR,
  DISPLAY...), and its working directory.

Information:
  --version        print the version and exit
  -h, --help       print this help and exit

Started by spmdrun, not by hand:
  --proxy --root ADDR[,ADDR...] [--index I | --name HOST]
          [--cookie-file F] [--connect-timeout D]
                   the proxy on another host. It reads the job's cookie from
                   SPMD_COOKIE, else the cookie file, else the first line of
                   its standard input
  --join [--name HOST]
                   the proxy on a node other than node 0 of an HTCondor
                   parallel job (spmdsubmit's wrapper runs it): it waits for
                   node 0's spmdrun in the contact directory

Batch systems: inside a batch job spmdrun finds the hosts with no flags:
PBS/Torque (PBS_NODEFILE), Slurm (SLURM_JOB_NODELIST, SLURM_TASKS_PER_NODE)
or an HTCondor parallel job (_CONDOR_PROCNO, _CONDOR_NPROCS: node 0 runs
spmdrun with the program, the other nodes spmdrun --join; they meet through
contact files in a shared directory). Write submit scripts with spmdsubmit.

Signals and input: standard input goes to rank 0; the others read
/dev/null. SIGINT, SIGTERM and SIGHUP end the job (SIGTERM to the ranks,
SIGKILL after the grace period); a second signal kills at once. SIGUSR1
prints a status report (see --status). Every rank runs in its own process
group and dies with spmdrun; spmdrun removes the shared-memory segments the
job left in /dev/shm (a janitor process does, if spmdrun or a proxy is
killed).

Failures: the first failure ends the job. When one rank dies its peers
often fail within milliseconds; spmd ranks tell spmdrun which peer they saw
die, so the rank named is the one that failed first:

  spmdrun: rank 2 (pid 4121) exited with code 3; ending the job
  spmdrun: rank 3 (pid 4121 on node2) killed by signal SIGKILL; ending the job
  spmdrun: lost host node2: its proxy closed the connection; ranks 4-5

Hang diagnostics: when --timeout expires, spmdrun sends SIGUSR1 to every
rank that uses spmd's comm package (those ranks announce themselves through
PMI; other programs are never sent it) and waits up to 2s for each to
report the operations it has been blocked in for over 0.1s, then prints

  spmdrun: job timed out after 3s; blocked operations:
    rank  call     at          op    peer  tag  comm        bytes  blocked
    0     Barrier  main.go:41  recv  4     16   world/coll  0      3.51s
    1     Barrier  main.go:41  recv  3     16   world/coll  0      3.51s
    3     -        -           -     (not blocked in spmd)
    5     -        -           ?     (no report)
    diagnosis:
      ranks 0-1 wait in Barrier (main.go:41)
      rank 3 is not in spmd: main.dawdle (main.go:49)
      rank 5 did not answer
      odd ones out: ranks 3,5
    rank 3, goroutines outside spmd:
      goroutine 1 [sleep]:
      ...
    pending messages of the waiting ranks:
      rank 0: 1 posted receives, 1 unexpected messages (0 B)

with a row per blocked operation: call is the spmd call the program made
("Recv from 1 tag 7 8 B", "Barrier", "Allreduce (ring)" when the
collective's algorithm is known) and at the file:line of the program that
made it (the first caller outside spmd); op is the wait inside it (recv,
send, ssend, probe or wait), comm the communicator (world, or "ctx N" for
others, "/coll" inside collectives). The diagnosis groups the ranks by
where they are and names the ranks outside the largest group as the odd
ones out (none when groups tie), with the stacks of their goroutines that
are not in spmd (cut at 2500 bytes; the rank takes them itself, no
debugger needed), then the matching queues of the waiting ranks. Ranks
built with an older spmd report no call: their table has no call and at
columns and no diagnosis. SIGUSR1 sent to spmdrun itself (or spmdrun
--status PID) prints the same report on spmdrun's standard error under
"spmdrun: status at T (job running for D):" and the job goes on.

Environment read by spmdrun:
  SPMD_TIMEOUT     default of --timeout (a duration)
  SPMD_CONNECT_TIMEOUT
                   default of --connect-timeout (a duration; --join reads
                   it too and waits twice as long for node 0)
  SPMD_SCHEDULER   pbs, slurm, condor or none: the batch system whose
                   allocation is used (default: detected from its variables)
  PBS_NODEFILE, PBS_JOBID
                   a PBS/Torque job's hosts (one line per slot)
  SLURM_JOB_ID, SLURM_JOB_NODELIST (or SLURM_NODELIST), SLURM_TASKS_PER_NODE
  (else SLURM_JOB_CPUS_PER_NODE), SLURM_NTASKS, SLURM_JOB_NUM_NODES
                   a Slurm job's hosts and slots
  _CONDOR_PROCNO, _CONDOR_NPROCS, _CONDOR_JOB_AD, _CONDOR_JOB_IWD
                   an HTCondor parallel job: this node's number, the nodes,
                   the job ad (run id, slots) and the initial directory
  SPMD_CONTACT_DIR HTCondor: the shared directory where the nodes meet
                   (default: _CONDOR_JOB_IWD)
  SPMD_RUN_ID      HTCondor: tells this run's contact files from an earlier
                   run's (default: from the job ad)
  SPMD_COOKIE      --proxy: the job's cookie (as srun passes it)

Environment set for every rank, after spmdrun's own and -x:
  PMI_FD, PMI_RANK, PMI_SIZE
                   the PMI-1 connection (descriptor 3), the rank, the ranks
  SPMD_LOCAL_RANK, SPMD_LOCAL_SIZE
                   the rank's index among the ranks on its host, and their
                   number; also as MPICH names them, MPI_LOCALRANKID and
                   MPI_LOCALNRANKS
  SPMD_JOBID       the job's id
  SPMD_COOKIE      the job's random secret, which every connection proves
  SPMD_HOST        on other hosts: the host's name as the job's host list
                   gives it
  SPMD_HOST_CPUS   for a rank bound to a CPU: how many CPUs spmdrun may use
                   on its host
  SPMD_COLLECTOR, SPMD_PROFILE, SPMD_TRACE, SPMD_TRACE_LIMIT
                   with --profile or --trace: where to send the rank's
                   data (spmdrun's addresses, tried in order), the
                   directories, and the events a rank keeps
  SPMD_NOTIFY_FD   descriptor 4, a pipe on which spmdrun writes the line
                   "lost RANK CAUSE" as soon as another rank ends without
                   finalize, so that spmd ranks fail what waits on it
  The variables the ranks themselves read (SPMD_TRANSPORT...) are described
  by go doc github.com/spmd-go/spmd/comm.

Exit status:
  0        every rank exited 0 (or --help, --version, --print-allocation,
           --status succeeded)
  1-255    the first failure: the rank's exit code, 128+n for a rank killed
           by signal n, or the code a rank passed to PMI abort (1 if it is
           outside 1-255); 1 for a rank that exited 0 without PMI finalize
  1        spmdrun itself failed, or --status could not reach PID
  2        bad arguments
  124      the --timeout expired
  127      the program cannot be run (not found, not executable)
  255      a host was lost: its proxy went away, or never connected
  129/130/143  spmdrun was ended by SIGHUP/SIGINT/SIGTERM
`
