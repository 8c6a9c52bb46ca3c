// Package hostlist reads Slurm's compressed host lists, the form in which
// Slurm names the nodes of a job or step (SLURM_JOB_NODELIST,
// SLURM_STEP_NODELIST): "tux[0-3,12],gpu7" is tux0 tux1 tux2 tux3 tux12
// gpu7. [Expand] turns such a list into host names, and [CheckName] says
// why a string cannot be a host name.
//
// Two sides of spmd read these lists. The launcher (package
// launcher/sched) reads a Slurm allocation to place ranks on its nodes; the
// runtime (package comm) reads the step's node list when it bootstraps
// under srun without PMI, to find the node of rank 0, which serves the
// job's key-value space. The package sits below both so that neither
// imports the other and a rank binary carries this parser alone, not the
// launcher's hostfile and batch-system readers.
//
// Like every parser of text from outside, Expand is fuzzed (FuzzExpand) and
// bounds what it allocates: a list may expand to at most [MaxHosts] names.
package hostlist
