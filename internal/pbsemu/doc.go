// Package pbsemu is an emulated PBS server, to the letter of OpenPBS and
// of Torque, for spmd's tests: there is no PBS in Debian or in any
// registry the tests can reach, yet `spmdsubmit pbs` and `spmdsubmit
// torque` scripts and spmdrun's launch inside a PBS job must be run by
// something that follows PBS's rules rather than by a stand-in that
// follows ours.
//
// One binary (cmd/pbsemu) is every command: qsub, qstat, qdel, pbsdsh,
// pbs_tmrsh, the per-host mom and the server's job runner. The server is a
// directory (its PBS_HOME, named by PBSEMU_HOME) holding config.json and a
// state file changed only under an exclusive lock; qsub queues a job and
// starts a detached runner for it, which holds hosts when they are free,
// writes PBS_NODEFILE to aux/<jobid> and has the mother superior's mom
// run the script. A mom runs in its host's namespaces (a network namespace
// of scripts/netns-cluster.sh, entered with nsenter) and listens on a Unix
// socket in the shared directory: pbsdsh and pbs_tmrsh start their tasks
// through it, as TM does, never through ssh, and it kills every process of
// a job on its host when the job ends, is deleted or runs out of walltime.
//
// Two dialects are chosen by configuration (Init, or pbsemu init -dialect):
//
//   - OpenPBS: -l select=[N:]ncpus=C:mpiprocs=M[+…], -l place=free|pack|
//     scatter|vscatter[:excl|shared], -J X-Y[:Z][%max] arrays with ids
//     "123[].server" and PBS_ARRAY_INDEX, pbsdsh [-c|-n] [-s] [-v] -- prog,
//     pbs_tmrsh, finished jobs F (qstat -x), Exit_status; -l nodes is
//     refused ("Cannot be used with select or place: nodes", as a site
//     whose jobs get a default select/place refuses it) unless the server
//     converts it to select as pbs_resources.7B describes (NodesCompat).
//   - Torque: -l nodes=N[:ppn=P][+…], -t list[%max] arrays with
//     PBS_ARRAYID, PBS_NUM_NODES/PBS_NUM_PPN/PBS_NP, pbsdsh -u and -h, no
//     pbs_tmrsh, completed jobs C, exit_status; select and place are
//     refused ("submit error (Unknown resource type …)", like the Torque
//     site of dask-jobqueue#99).
//
// Both follow the rules of the research notes (schedulers-real.md §4):
// directives are lines starting (after blanks) with the prefix (#PBS, or
// -C / PBS_DPREFIX; empty turns scanning off), a trailing backslash
// continues one, scanning stops at the first executable line (lines
// starting with ':' are not executable), options on the command line win
// over directives, a script with CR-LF is refused with exit status 5;
// PBS_NODEFILE holds one short host name per mpiprocs (ppn) slot, chunk by
// chunk; job ids are "<seq>.<server>" on stdout; the script starts in the
// owner's home with PBS_O_WORKDIR set; output goes to
// <name>.o<seq>/<name>.e<seq> in the submit directory (-o, -e, -j oe,
// -k); a job's exit status is its script's, 256 + the signal that killed
// it, or the dialect's walltime status; pbsdsh and pbs_tmrsh tasks write
// to the job's output, and pbs_tmrsh returns the task's exit status, or
// 255.
//
// The pure rules (ScanDirectives, ParseOptions and Merge, ResolveRequest,
// ParseSelect, ParseArray, Place, Nodefile, JobEnv, job ids) are separate
// from the process plumbing and tested with tables and fuzz targets. What
// the emulation does not implement (interactive jobs, holds, dependencies,
// qstat options other than -f and -x) is refused by name, never ignored;
// -m and -M are checked, but no mail is sent.
package pbsemu
