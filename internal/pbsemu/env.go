package pbsemu

import (
	"sort"
	"strconv"
)

// JobVars are the facts about a job its environment is made of.
type JobVars struct {
	ID, Name, Queue, Account string
	Cookie                   string
	Nodefile                 string
	Home                     string // the owner's home: the job's PBS_JOBDIR
	TmpDir                   string
	Placements               []Placement
	Request                  *Request
	// ArrayID and Index are the parent's id and this subjob's index, for
	// a subjob (Index ≥ 0).
	ArrayID string
	Index   int
}

// JobEnv is the environment the mother superior's mom gives the job
// script, as name=value pairs: base (the mom's pbs_environment file and
// the owner's HOME, LOGNAME, SHELL…) overridden by submitted (the PBS_O_*
// qsub recorded and the -v/-V variables), overridden by the PBS variables
// of dialect d:
//
//   - both: PBS_JOBID, PBS_JOBNAME, PBS_QUEUE, PBS_JOBCOOKIE,
//     PBS_NODEFILE, PBS_NODENUM=0, PBS_TASKNUM=1, PBS_MOMPORT,
//     PBS_ENVIRONMENT=PBS_BATCH, TMPDIR;
//   - OpenPBS: NCPUS and OMP_NUM_THREADS (the first chunk's ompthreads),
//     PBS_JOBDIR, PBS_ACCOUNT (with -A), PBS_ARRAY_INDEX and PBS_ARRAY_ID
//     (subjobs); no PBS_NUM_*;
//   - Torque: PBS_NUM_NODES, PBS_NUM_PPN (the first nodes part's ppn),
//     PBS_NP and PBS_NNODES (the PBS_NODEFILE lines), PBS_VNODENUM=0,
//     PBS_WALLTIME (seconds, with a walltime), PBS_VERSION, PBS_ARRAYID
//     (subjobs).
func JobEnv(d Dialect, j JobVars, base, submitted map[string]string) []string {
	env := map[string]string{}
	for k, v := range base {
		env[k] = v
	}
	for k, v := range submitted {
		env[k] = v
	}
	set := func(k, v string) { env[k] = v }
	set("PBS_JOBID", j.ID)
	set("PBS_JOBNAME", j.Name)
	set("PBS_QUEUE", j.Queue)
	set("PBS_JOBCOOKIE", j.Cookie)
	set("PBS_NODEFILE", j.Nodefile)
	set("PBS_NODENUM", "0")
	set("PBS_TASKNUM", "1")
	set("PBS_MOMPORT", "15003")
	set("PBS_ENVIRONMENT", "PBS_BATCH")
	if j.TmpDir != "" {
		set("TMPDIR", j.TmpDir)
	}
	lines := j.Request.Lines()
	if d == OpenPBS {
		threads := 1
		if len(j.Placements) > 0 && j.Placements[0].Threads > 0 {
			threads = j.Placements[0].Threads
		}
		set("NCPUS", strconv.Itoa(threads))
		set("OMP_NUM_THREADS", strconv.Itoa(threads))
		set("PBS_JOBDIR", j.Home)
		if j.Account != "" {
			set("PBS_ACCOUNT", j.Account)
		}
		if j.Index >= 0 {
			set("PBS_ARRAY_INDEX", strconv.Itoa(j.Index))
			set("PBS_ARRAY_ID", j.ArrayID)
		}
	} else {
		ppn := 1
		if len(j.Request.Chunks) > 0 {
			ppn = j.Request.Chunks[0].MPIProcs
		}
		set("PBS_NUM_NODES", strconv.Itoa(j.Request.Nodes()))
		set("PBS_NUM_PPN", strconv.Itoa(ppn))
		set("PBS_NP", strconv.Itoa(lines))
		set("PBS_NNODES", strconv.Itoa(lines))
		set("PBS_VNODENUM", "0")
		set("PBS_VERSION", "TORQUE-pbsemu")
		if j.Request.Walltime > 0 {
			set("PBS_WALLTIME", strconv.Itoa(int(j.Request.Walltime.Seconds())))
		}
		if j.Index >= 0 {
			set("PBS_ARRAYID", strconv.Itoa(j.Index))
		}
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k+"="+env[k])
	}
	return out
}
