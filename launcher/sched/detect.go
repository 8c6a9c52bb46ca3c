package sched

import (
	"fmt"
	"strings"
)

// Scheduler names a batch system.
type Scheduler string

// The batch systems Detect knows.
const (
	NoScheduler Scheduler = ""
	PBS         Scheduler = "pbs"
	Slurm       Scheduler = "slurm"
	Condor      Scheduler = "condor"
)

// Detected is what Detect found.
type Detected struct {
	// Scheduler is the batch system, or NoScheduler.
	Scheduler Scheduler
	// Allocation is the job's hosts, for PBS and Slurm.
	Allocation *Allocation
	// Condor is this node's view of an HTCondor parallel job, whose hosts
	// are known only after its Rendezvous.
	Condor *CondorJob
}

// markers are the variables whose presence shows a batch system.
var markers = []struct {
	s    Scheduler
	vars []string
}{
	{PBS, []string{"PBS_NODEFILE", "PBS_JOBID"}},
	{Slurm, []string{"SLURM_JOB_ID", "SLURM_JOBID"}},
	{Condor, []string{"_CONDOR_PROCNO", "_CONDOR_NPROCS"}},
}

// Detect finds the batch system this process runs in from its environment
// (lookup is os.LookupEnv or a fake; empty values count as unset) and reads
// its allocation. SPMD_SCHEDULER=pbs|slurm|condor|none overrides the
// detection. Variables of two batch systems at once, or a system's
// variables that are missing, malformed or disagree, are an error naming
// them; except that PBS_JOBID without PBS_NODEFILE inside a Slurm job is
// Slurm's PBS compatibility (spank_pbs), and the job is Slurm's.
func Detect(lookup func(string) (string, bool)) (*Detected, error) {
	env := func(k string) string {
		v, _ := lookup(k)
		return v
	}
	var found []Scheduler
	var why []string
	for _, m := range markers {
		for _, v := range m.vars {
			if env(v) != "" {
				found = append(found, m.s)
				why = append(why, v)
				break
			}
		}
	}
	if len(found) > 1 && found[0] == PBS && why[0] == "PBS_JOBID" && found[1] == Slurm {
		// Slurm's PBS compatibility (spank_pbs, the qsub wrapper) sets
		// PBS_JOBID but no PBS_NODEFILE: a Slurm job, not a PBS one.
		found, why = found[1:], why[1:]
	}
	s := NoScheduler
	switch force := env("SPMD_SCHEDULER"); force {
	case "":
		if len(found) > 1 {
			return nil, fmt.Errorf("variables of more than one batch system are set (%s); set SPMD_SCHEDULER=pbs|slurm|condor|none to choose", strings.Join(why, ", "))
		}
		if len(found) == 1 {
			s = found[0]
		}
	case "none":
	case string(PBS), string(Slurm), string(Condor):
		s = Scheduler(force)
	default:
		return nil, fmt.Errorf("SPMD_SCHEDULER=%q: want pbs, slurm, condor or none", force)
	}
	d := &Detected{Scheduler: s}
	var err error
	switch s {
	case PBS:
		d.Allocation, err = fromPBS(env)
	case Slurm:
		d.Allocation, err = fromSlurm(env)
	case Condor:
		d.Condor, err = fromCondor(env)
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}
