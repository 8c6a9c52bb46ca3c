// Package sweep runs scaling studies: one program at several process
// counts, each point repeated, every run recorded as it ends.
//
// A Config names the program, its arguments (which may hold placeholders
// such as {p} or {round(1024*sqrt(p))}; see Template), the process counts,
// strong or weak mode, and the repeats. Plan turns it into an order of
// runs: warm-up rounds first, then rounds in which every point runs once,
// each round shuffled with a recorded seed, so that repeats of one point
// are spread over the whole study instead of taken back to back (a slow
// spell of the machine then widens every point's interval a little rather
// than shifting one point). With a CI target, further rounds of the points
// whose interval is still too wide follow, up to a maximum.
//
// Each run goes through spmdrun with --report, which gives the job's wall
// time and the program's own span: from the last rank's return from
// comm.Init to the last rank's call of Finalize, as the ranks report them
// to spmdrun (see launcher.Span), so launching, wiring up and tearing down
// the job are not counted. Programs that spmdrun cannot time (no PMI, or a foreign MPI run
// with a Launcher) are timed by their wall time, and the record says so.
//
// Inside a PBS/Torque or Slurm allocation (package launcher/sched) every
// point runs on a subset of the allocation's hosts: Fill "node" fills each
// host's slots before taking the next host, "spread" uses as many hosts as
// possible with ranks divided evenly. spmdrun sees the subset as its
// allocation (a PBS node file of the subset, or Slurm variables narrowed to
// it), so it starts remote ranks the batch system's way; nothing is ever
// submitted. In an HTCondor parallel job the study runs on node 0's slots.
//
// Every finished run is appended to runs.jsonl at once, so a study that
// is interrupted keeps what it did; package scalereport reads it back.
package sweep
