package main

// usage is the text of spmdsubmit --help: the full reference of the
// command. doc.go carries the same text for go doc; TestDocIsHelp keeps
// the two the same (go test -run TestDocIsHelp -update rewrites doc.go).
const usage = `usage: spmdsubmit [flags] pbs|torque|slurm|condor program [args...]

Writes a batch job that runs program on N nodes with M ranks each through
spmdrun, which reads the allocation inside the job: no host list is written
into the job. Flags come before the format; what follows the program is
the program's arguments.

Flags:
  -N N           nodes (default 1)
  -ppn M         ranks per node (default 1)
  -t T           walltime: a duration (90m, 2h) or H:MM:SS; default: the
                 queue's (HTCondor has none: a periodic_remove stands in)
  -q Q           PBS queue or Slurm partition
  -J NAME        job name (default: the program's base name, with characters
                 other than letters, digits, '-', '_' and '.' made '_')
  -x VAR=value   export VAR to every rank (repeatable; spmdrun -x)
  --spmdrun P    the spmdrun command in the job (default: spmdrun from PATH)
  --scale ARGS   make the job a scaling study: spmdbench scale ARGS -- program
                 args..., the whole sweep inside the job's one allocation of
                 N nodes (the largest point), results and report in the job's
                 working directory. ARGS are split like a shell's words, e.g.
                 --scale "--np 1-64 --repeat 5 --metric 'GF=([0-9.]+) GFlops'".
                 HTCondor studies run on node 0's slots: use -N 1
  --spmdbench P  the spmdbench command in a --scale job (default: from PATH)
  -o DIR         write the files into DIR (created when missing) and print
                 their paths; without it a single-file submission goes to
                 standard output (condor, two files, needs -o)
  -h, --help     print this help and exit

Formats:
  pbs      OpenPBS / PBS Pro (-l select=N:ncpus=M:mpiprocs=M), NAME.pbs;
           submit with qsub NAME.pbs
  torque   Torque (-l nodes=N:ppn=M), NAME.pbs
  slurm    sbatch (--nodes=N --ntasks-per-node=M), NAME.sbatch; submit
           with sbatch NAME.sbatch
  condor   HTCondor parallel universe: NAME.sub, the submit description
           (machine_count = N, request_cpus = M), and NAME.sh, which every
           node runs: node 0 runs spmdrun with the program, the others
           spmdrun --join. The nodes meet through contact files in the
           job's initial working directory, which they must share (or
           set SPMD_CONTACT_DIR in the job); submit with condor_submit
           NAME.sub

Example:
  spmdsubmit -N 2 -ppn 8 -t 1h -q batch slurm ./prog -n 100 > prog.sbatch

Exit status:
  0        the submission was written (or --help)
  2        bad arguments, or the files could not be written
`
