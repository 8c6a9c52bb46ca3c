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
// parallel-universe submission.
//
// Every parser here reads text that a user or a batch system wrote; each is
// fuzzed, bounds what it allocates, and reports the file, line or variable
// and the reason for what it refuses.
package sched
