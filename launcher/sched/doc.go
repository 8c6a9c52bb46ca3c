// Package sched knows where a job may run and how to ask a batch system for
// such a place.
//
// Reading: a job's hosts come from the command line (--host a:2,b:2, parsed
// by [ParseHosts]), from a hostfile in Open MPI ("host slots=N
// [max_slots=M]") or MPICH ("host:N") form ([ParseHostfile]), or from the
// allocation of the batch system the launcher runs inside, found with no
// flags by [Detect]: PBS/Torque/OpenPBS (PBS_NODEFILE), Slurm
// (SLURM_JOB_NODELIST, SLURM_TASKS_PER_NODE) and the HTCondor parallel
// universe (_CONDOR_PROCNO, _CONDOR_NPROCS, with a contact-file rendezvous
// on a shared directory, see [Rendezvous]). [Map] then places ranks on
// hosts, by slot (block) or by node (round robin).
//
// Writing: a [Script] describes a job once, and [Script.Files] renders it as
// a PBS (OpenPBS select or Torque nodes syntax), Slurm or HTCondor
// parallel-universe submission. Its options (account, QoS, queue, memory,
// job arrays, mail, output paths, set-up lines, exported variables) map to
// each system's own directive, and one a system has no directive for is an
// error naming the system and the option, never dropped. The user's words
// for them are read strictly by [ParseWalltime], [ParseMemory],
// [ParseArray], [ParseMailType] and [ParseEnvFile]; [ParseJob] reads a
// whole description from YAML. The ranks of an array job find their task's
// index in SPMD_ARRAY_INDEX ([ArrayIndexVar]) whatever the system. What the
// systems' tools print back is read by [ParseJobID], [ParsePBSStatus] and
// [ParseCondorLog].
//
// Every parser here reads text that a user or a batch system wrote; each is
// fuzzed, bounds what it allocates, and reports the file, line or variable
// and the reason for what it refuses.
package sched
