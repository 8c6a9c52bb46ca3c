// Package launcher starts and supervises SPMD jobs: N copies of one program,
// the ranks, wired up through a PMI-1 server (package internal/pmi) the way
// MPICH's Hydra does it.
//
// A [Job] describes one run and [Job.Run] executes it on this host. Its
// Mapping (package launcher/sched reads hostfiles and batch allocations and
// places ranks on hosts) decides which ranks share a node: what the ranks
// read in PMI_process_mapping and their local-rank variables. Ranks on
// other hosts need per-node proxies, which do not exist yet. Run
//
//   - starts every rank in its own process group, with the PMI socket on
//     file descriptor 3 and PMI_FD, PMI_RANK, PMI_SIZE, SPMD_LOCAL_RANK,
//     SPMD_LOCAL_SIZE, MPI_LOCALRANKID, MPI_LOCALNRANKS and SPMD_JOBID in its
//     environment, and asks the kernel to kill it if the launcher dies;
//   - forwards the ranks' standard output and error, optionally as whole lines
//     tagged with the rank ("[2] ..."), or into one directory per rank
//     (Job.OutputDir), and the launcher's standard input to rank 0;
//   - ends the job at the first failure: a rank that exits non-zero, is killed
//     by a signal, calls PMI abort, or exits after closing its PMI connection
//     without finalize; a time limit; a signal to the launcher. The others get
//     SIGTERM, then SIGKILL after a grace period, and Run waits for all of
//     them before it returns.
//
// Run reports the first failure in one line on the job's standard error and
// returns the exit code an mpirun-like command should exit with: the failing
// rank's code, 128+n for a rank (or the launcher) ended by signal n, the abort
// code, [ExitTimeout] for a time limit and [ExitCannotRun] when the program
// cannot be started. The command launcher/cmd/spmdrun is a thin front end.
//
// Ranks that use package comm put a business card ("spmd-card-<rank>")
// into the PMI key-value space and answer SIGUSR1 by putting a report of the
// operations they are blocked in ("spmd-blocked-<rank>-<seq>"). When the
// time limit expires, Run asks them, waits up to 2 s for the answers, and
// writes a table of them, one row per blocked operation and at least one
// per rank, after its notice line; Job.Status asks for the same table
// without ending the job. Only ranks with a card are ever sent SIGUSR1.
//
// Output forwarding is available on its own: [Sink] serialises writes from
// many streams onto one writer and [LineWriter] turns a byte stream into whole,
// optionally prefixed, lines.
package launcher
