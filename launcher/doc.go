// Package launcher starts and supervises SPMD jobs: N copies of one program,
// the ranks, wired up through a PMI-1 server (package internal/pmi) the way
// MPICH's Hydra does it. The command launcher/cmd/spmdrun is a thin front
// end to it.
//
// # Jobs
//
// A [Job] describes one run and [Job.Run] executes it. Its Mapping (package
// launcher/sched reads hostfiles and batch allocations and places ranks on
// hosts) decides which ranks share a node: what the ranks read in
// PMI_process_mapping and their local-rank variables. Run starts the ranks
// of this host itself and those of every other host through a per-node
// [Proxy] (see below). For every rank it
//
//   - starts the rank in its own process group, with the PMI socket on
//     file descriptor 3 and PMI_FD, PMI_RANK, PMI_SIZE, SPMD_LOCAL_RANK,
//     SPMD_LOCAL_SIZE, MPI_LOCALRANKID, MPI_LOCALNRANKS, SPMD_JOBID and
//     SPMD_COOKIE in its environment, the read end of its loss-notification
//     pipe on descriptor 4 (SPMD_NOTIFY_FD; see below), and asks the
//     kernel to kill it if its parent (the launcher, or the proxy) dies;
//   - binds it to a CPU or not, as Job.BindTo's [Binding] says;
//   - forwards its standard output and error, optionally as whole lines
//     tagged with the rank ("[2] ..."), or into one directory per rank
//     (Job.OutputDir), and the launcher's standard input to rank 0.
//
// # Failures and exit codes
//
// The first failure ends the job: a rank that exits non-zero, is killed by
// a signal, calls PMI abort, or exits after closing its PMI connection
// without finalize; a lost host; a time limit; a signal to the launcher.
// The others get SIGTERM, then SIGKILL after a grace period, and Run waits
// for all of them before it returns.
//
// When one rank dies its peers often fail within milliseconds, and their
// exits may be seen first. Run therefore holds the first rank failure back
// for a moment and then names the one that best explains the others: a
// rank's abort before its own exit, a rank that did not report a lost peer
// (spmd ranks report the peers they see die) before one that did, then the
// earliest observed.
//
// Ranks do not wait to be ended to learn of a death: as soon as a rank
// ends without PMI finalize (it exits, is killed, calls abort, cannot be
// started, or its host's proxy is lost), and before the settle window
// above, the launcher writes the line "lost <rank> <cause>\n" (format:
// package internal/lossnote) to every rank still running, through its
// notification pipe; the root sends it to each proxy, which writes it to
// its own ranks. spmd ranks then fail at once the operations that depend
// on the lost rank, even one they never talked to (an AnySource receive, a
// collective). A rank that fails after it was told of a loss counts as
// one that reported a lost peer. Nothing is told once the job is being
// ended. A program that does not read its pipe loses nothing: a line that
// does not fit is dropped, never waited for.
//
// Run reports that failure in one line on the job's standard error (a
// [Failure], whose [FailureKind] says what happened) and returns the exit
// code an mpirun-like command should exit with: the failing rank's code,
// 128+n for a rank (or the launcher) ended by signal n, the abort code,
// [ExitTimeout] for a time limit, [ExitHostLost] for a lost host and
// [ExitCannotRun] when the program cannot be started.
//
// # Many hosts: proxies
//
// For every host of the mapping that is not this one (see [IsLocalHost]),
// Run starts `spmdrun --proxy` there through a [RemoteLauncher]: ssh by
// default ([SSH]), one srun for all the hosts of a Slurm job, pbs_tmrsh or
// pbsdsh inside PBS, or none at all when the nodes start their proxies
// themselves (an HTCondor parallel job's `spmdrun --join`). Each proxy
// connects back over TCP, both ends prove the job's cookie, and the proxy
// receives its host's part of the job, forks those ranks, serves their PMI
// itself (relaying each barrier to the root once per host with its ranks'
// puts), streams their output back, and reports their exits; the root
// signals them through it. A proxy whose root goes away ends its ranks; a
// proxy that goes away loses its host, which fails the job.
//
// # Nothing left behind
//
// Ranks on one host share memory through segments in /dev/shm named after
// the job's cookie, and unlink each as soon as the peers that use it have
// mapped it; a rank killed before that leaves it. The rule that removes
// every one, however a job ends: on each host, the process that started
// the ranks (spmdrun, or its proxy) removes the job's segments there once
// its ranks have ended, on every path it survives (the job's success or
// failure, a time limit, a signal it catches, the loss of its root). For
// the one path it does not survive, its own SIGKILL, it starts a janitor
// before its first rank: a shell in a session of its own that reads a
// pipe whose write end the launcher and each of its ranks hold (ranks as
// descriptor 5, which they never use), and so sees end of file only when
// the launcher and every rank there are gone (the ranks die with the
// launcher, by the parent-death signal), then removes the job's segments
// on the host and exits. On the normal paths the launcher closes its end
// and waits for the janitor, so no process of the job outlives spmdrun. A
// process that a rank started outside its process group and that keeps
// descriptor 5 keeps the janitor waiting until it ends.
//
// # Hang diagnostics
//
// Ranks that use package comm put a business card ("spmd-card-<rank>")
// into the PMI key-value space and answer SIGUSR1 by putting a report of the
// operations they are blocked in ("spmd-blocked-<rank>-<seq>", in several
// fragments if it is long). When the time limit expires, Run asks them,
// waits up to 2 s for the answers, and writes a table of them, one row per
// blocked operation (the user's call and its file:line, and the wait
// inside it) and at least one per rank, after its notice line; then a
// diagnosis that groups the ranks by where they wait and names the odd
// ones out, with their stacks. Job.Status asks for the same report without
// ending the job. Only ranks with a card are ever sent SIGUSR1.
//
// # Output
//
// Output forwarding is available on its own: [Sink] serialises writes from
// many streams onto one writer and [LineWriter] turns a byte stream into whole,
// optionally prefixed, lines.
package launcher
