package main

// usage is the text of spmdsubmit --help: the full reference of the
// command. doc.go carries the same text for go doc; TestDocIsHelp keeps
// the two the same (go test -run TestDocIsHelp -update rewrites doc.go).
const usage = `usage: spmdsubmit [flags] pbs|torque|slurm|condor [program [args...]]

Writes a batch job that runs program on N nodes with M ranks each through
spmdrun, which reads the allocation inside the job: no host list is written
into the job. Flags come before the format; what follows the program is
the program's arguments. With --submit it also submits the job and prints
its id; with --wait it waits for the job and exits with its exit status.

Every option maps to the batch system's own directive. An option that a
system has no directive for is refused with an error naming the option and
the system, never dropped (see "Options by system" below).

Job:
  -N, --nodes N    nodes (default 1)
  -ppn M           ranks per node (default 1)
  -t, --walltime T time limit: MM (minutes, as sbatch), MM:SS, HH:MM:SS,
                   D-HH, D-HH:MM, D-HH:MM:SS, or whole units in the order
                   d h m s (90m, 1h30m, 2d12h); fields after the first have
                   two digits. Default: the queue's
  -q, --queue Q    PBS/Torque queue or Slurm partition
  -A, --account A  account or project charged for the job
  --qos Q          Slurm quality of service
  --mem SIZE       memory per node: a whole number and a unit K, M, G or T
                   (KB/KiB, ... too, any case; all powers of 1024): 4G, 512M
  --mem-per-cpu SIZE  memory per CPU (rank), the same units
  --array SPEC     a job array: one job per index, sbatch's form: 1-10,
                   0-99:10 (step 10), 1,3,7-9, with %P the most running at
                   once (1-10%2). Each rank finds its task's index in
                   SPMD_ARRAY_INDEX
  --mail-user ADDR whom the batch system mails
  --mail-type T    when: begin, end, fail (comma-separated), all or none
  --stdout PATH    the job's standard output (and error, unless --stderr;
  --stderr PATH    HTCondor keeps its own error files); placeholders: %j job
                   id, %x job name, %a array index, %% a literal %. With
                   --submit, their directories are created
  -J, --name NAME  job name (default: the program's base name, with
                   characters other than letters, digits, '-', '_' and '.'
                   made '_')

Environment and set-up:
  -x VAR=value     export VAR to every rank (repeatable; spmdrun -x)
  --env-file FILE  KEY=VALUE lines (blank lines and # comments skipped,
                   values taken literally), exported in the job script
                   (HTCondor: the environment command) before --setup runs,
                   and passed to every rank (repeatable; later files win)
  --setup LINE     a shell line run in the job before the launch, e.g.
                   --setup 'module load go' (repeatable, kept in order)
  --spmdrun P      the spmdrun command in the job (default: spmdrun from
                   PATH)
  --scale ARGS     make the job a scaling study: spmdbench scale ARGS --
                   program args..., the whole sweep inside the job's one
                   allocation of N nodes (the largest point), results and
                   report in the job's working directory. ARGS are split
                   like a shell's words, e.g. --scale "--np 1-64 --repeat 5
                   --metric 'GF=([0-9.]+) GFlops'". HTCondor studies run on
                   node 0's slots: use -N 1
  --spmdbench P    the spmdbench command in a --scale job (default: from
                   PATH)

Description file:
  --job FILE       read the job from a YAML file whose keys are the long
                   flag names: name, nodes, ppn, walltime, queue, account,
                   qos, mem, mem-per-cpu, array, mail-user,
                   mail-type, stdout, stderr, setup (a list), env (a
                   mapping, exported as --env-file's lines), env-file
                   (relative to FILE), x (a list), spmdrun, program, args (a
                   list). Flags override the file; list flags add to its
                   lists; a program on the command line replaces its
                   program and args. An unknown key is an error naming it
                   and its line

Output and submission:
  -o DIR           write the files into DIR (created when missing) and print
                   their paths; without it a single-file submission goes to
                   standard output (condor, two files, needs -o)
  --submit         write the files (into -o DIR, default: the current
                   directory) and submit them: sbatch FILE or qsub FILE here,
                   condor_submit NAME.sub in DIR. Prints the job id only
  --wait           --submit, then wait for the job's end and exit with its
                   exit status: sbatch --wait (an array: its highest); PBS:
                   qstat -x -f (Torque: qstat -f) every --poll until the job
                   has ended, then its Exit_status; HTCondor: condor_wait on
                   NAME.log, then the return value the log records. Not for
                   PBS or HTCondor arrays
  --poll D         how often --wait asks qstat (default 10s)
  -h, --help       print this help and exit

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
           NAME.sub in its directory. Each node writes its own output and
           error files (.$(Node) is added to the paths)

Options by system (- means refused):
  option         slurm          pbs (OpenPBS)     torque        condor
  --walltime     --time         -l walltime       -l walltime   periodic_remove
  --queue        --partition    -q                -q            -
  --account      --account      -A                -A            accounting_group
  --qos          --qos          -                 -             -
  --mem          --mem          select ...:mem=   -l mem=N*SIZE request_memory
  --mem-per-cpu  --mem-per-cpu  -                 -l pmem=      -
  --array        --array        -J (one range)    -t            queue
  --mail-user    --mail-user    -M                -M            notify_user
  --mail-type    --mail-type    -m abe/n          -m abe/n      notification
  --stdout       --output       -o                -o            output
  --stderr       --error        -e                -e            error
  --setup, --env-file: lines in the script (HTCondor: in NAME.sh, and the
  environment command for --env-file). PBS and Torque merge error into
  output (-j oe) unless --stderr is given. Torque's mem is the whole
  job's, so --mem (per node) is multiplied by N. PBS takes fail as a
  (abort). HTCondor mails no start (begin is refused), has no limit on
  running array tasks (%P is refused), and numbers tasks by $(Process)
  when the indices are 0..K-1, else by a queue ... in (...) list. %j
  cannot name a PBS or Torque file, nor %a a Torque one (their default
  names NAME.oID, NAME.oID-INDEX have them); PBS paths may not hold ':'
  (qsub reads host:path).

A job file (heat.yaml), submitted with spmdsubmit --job heat.yaml --submit
slurm, or written for PBS with spmdsubmit --job heat.yaml pbs:
  name: heat
  nodes: 4
  ppn: 32
  walltime: 2-00:00:00
  account: proj42
  mem: 64G
  array: 1-10%2
  mail-type: end,fail
  stdout: heat-%x-%a.out
  setup: [module load go]
  env: {OMP_NUM_THREADS: "1"}
  program: ./heat
  args: [-n, "4096"]

Example:
  spmdsubmit -N 2 -ppn 8 -t 1h -q batch slurm ./prog -n 100 > prog.sbatch
  spmdsubmit -N 2 -ppn 8 -A proj42 --setup 'module load go' --wait torque \
      ./prog

Exit status:
  0        the submission was written (or --help), or submitted
  2        bad arguments, or the files could not be written
  3        the batch system's command failed, printed no job id, or (with
           --wait) the job's end could not be learned
  N        with --wait, once the job id is printed: the job's exit status
`
