package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSpmdsubmitSlurmToStdout(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"-N", "2", "-ppn", "4", "-t", "1:30:00", "-q", "debug", "-x", "A=1", "slurm", "./bin/pi", "-n", "10"}, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	assert.Equal(t, "#!/bin/bash\n#SBATCH --job-name=pi\n#SBATCH --nodes=2\n#SBATCH --ntasks-per-node=4\n#SBATCH --time=0-01:30:00\n#SBATCH --partition=debug\n\n"+
		"# spmdrun reads the nodes from SLURM_JOB_NODELIST and SLURM_TASKS_PER_NODE.\nexec spmdrun -x A=1 ./bin/pi -n 10\n", out.String())
}

func TestSpmdsubmitCondorFiles(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	dir = filepath.Join(dir, "new", "job") // created when missing
	code := run([]string{"-N", "3", "-J", "ring", "-o", dir, "condor", "./ring"}, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	assert.Equal(t, filepath.Join(dir, "ring.sub")+"\n"+filepath.Join(dir, "ring.sh")+"\n", out.String())
	st, err := os.Stat(filepath.Join(dir, "ring.sh"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), st.Mode().Perm())
	sub, err := os.ReadFile(filepath.Join(dir, "ring.sub"))
	require.NoError(t, err)
	assert.Contains(t, string(sub), "universe = parallel\n")
	assert.Contains(t, string(sub), "machine_count = 3\n")
}

func TestSpmdsubmitErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"slurm"}, "want a format"},
		{[]string{"condor", "./p"}, "the condor submission has 2 files: give -o DIR"},
		{[]string{"lsf", "./p"}, `unknown script format "lsf"`},
		{[]string{"-t", "soon", "pbs", "./p"}, `invalid walltime "soon"`},
		{[]string{"-N", "0", "pbs", "./p"}, "invalid number of nodes 0"},
		{[]string{"-t", "1:5:00", "slurm", "./p"}, `invalid walltime "1:5:00": field "5": want two digits`},
		{[]string{"--qos", "high", "pbs", "./p"}, "pbs: --qos: no quality of service there; leave it out"},
		{[]string{"--qos", "high", "condor", "./p"}, "condor: --qos: no quality of service there"},
		{[]string{"-q", "batch", "-o", "d", "condor", "./p"}, "condor: -q: HTCondor has no queues or partitions"},
		{[]string{"--mem-per-cpu", "2G", "pbs", "./p"}, "pbs: --mem-per-cpu: OpenPBS has no per-CPU memory; use --mem (per node)"},
		{[]string{"--mem", "4", "slurm", "./p"}, `invalid memory size "4": no unit`},
		{[]string{"--mem", "4G", "--mem-per-cpu", "1G", "slurm", "./p"}, "slurm: --mem and --mem-per-cpu: give one of them"},
		{[]string{"--array", "1,3", "pbs", "./p"}, "pbs: --array 1,3: an OpenPBS array (-J) is one range"},
		{[]string{"--array", "1-4%2", "-o", "d", "condor", "./p"}, "condor: --array 1-4%2: HTCondor has no limit on running tasks"},
		{[]string{"--mail-type", "begin", "-o", "d", "condor", "./p"}, "condor: --mail-type begin: HTCondor mails no job start"},
		{[]string{"--stdout", "o-%j", "torque", "./p"}, "torque: --stdout \"o-%j\": PBS cannot name a file by the job id"},
		{[]string{"--stdout", "o-%a", "slurm", "./p"}, "%a is the array index, but the job is no array"},
		{[]string{"--stdout", "o-%q", "slurm", "./p"}, "unknown placeholder %q"},
		{[]string{"--setup", "", "slurm", "./p"}, `setup line "": want one non-empty line`},
		{[]string{"--env-file", "/nonexistent/env", "slurm", "./p"}, "env file: open /nonexistent/env"},
		{[]string{"--job", "/nonexistent/job.yaml", "slurm"}, "--job: open /nonexistent/job.yaml"},
		{[]string{"--poll", "0s", "--submit", "pbs", "./p"}, "invalid --poll 0s"},
		{[]string{"--wait", "--array", "1-2", "pbs", "./p"}, "pbs: --wait with --array"},
	} {
		var out, errb bytes.Buffer
		assert.Equal(t, 2, run(tt.args, &out, &errb), tt.args)
		assert.Contains(t, errb.String(), tt.want, tt.args)
		assert.Equal(t, 1, strings.Count(errb.String(), "\n"), "one line: %q", errb.String())
	}
	var out, errb bytes.Buffer
	assert.Equal(t, 0, run([]string{"--help"}, &out, &errb))
	assert.Equal(t, usage, out.String())
}

func TestSpmdsubmitScale(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"-N", "2", "-ppn", "8", "--scale", "--np 1-16 --repeat 5 --metric 'GF=([0-9.]+) GF'", "pbs", "./pi", "-n", "{1000*p}"}, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	assert.Contains(t, out.String(), "#PBS -l select=2:ncpus=8:mpiprocs=8\n")
	assert.Contains(t, out.String(), "exec spmdbench scale --np 1-16 --repeat 5 --metric 'GF=([0-9.]+) GF' -- ./pi -n '{1000*p}'\n")

	out.Reset()
	errb.Reset()
	code = run([]string{"--scale", "--np 'unclosed", "slurm", "./pi"}, &out, &errb)
	assert.Equal(t, 2, code)
	assert.Contains(t, errb.String(), "unclosed")
}

func TestSpmdsubmitJobFile(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "site.env"), []byte("# site\nOMP_PLACES=cores\nNOTE=from env-file\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "extra.env"), []byte("NOTE=from the flag\nLATE=1\n"), 0o644))
	job := filepath.Join(dir, "heat.yaml")
	require.NoError(t, os.WriteFile(job, []byte(`name: heat
nodes: 4
ppn: 8
walltime: 90m
queue: batch
account: proj42
setup: [module load go]
env-file: site.env
env: {NOTE: from env}
program: ./heat
args: [-n, "100"]
`), 0o644))

	var out, errb bytes.Buffer
	code := run([]string{"--job", job, "slurm"}, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	assert.Equal(t, `#!/bin/bash
#SBATCH --job-name=heat
#SBATCH --nodes=4
#SBATCH --ntasks-per-node=8
#SBATCH --time=0-01:30:00
#SBATCH --partition=batch
#SBATCH --account=proj42

# spmdrun reads the nodes from SLURM_JOB_NODELIST and SLURM_TASKS_PER_NODE.
export OMP_PLACES=cores
export NOTE='from env'
module load go
exec spmdrun -x OMP_PLACES -x NOTE ./heat -n 100
`, out.String())

	// Flags override the file wherever they come on the command line; list
	// flags add to the file's lists; a program replaces program and args.
	out.Reset()
	code = run([]string{"-N", "2", "--setup", "ulimit -s unlimited", "--job", job, "--env-file", filepath.Join(dir, "extra.env"), "-A", "other", "torque", "./ring", "-v"}, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	assert.Contains(t, out.String(), "#PBS -l nodes=2:ppn=8\n")
	assert.Contains(t, out.String(), "#PBS -A other\n")
	assert.Contains(t, out.String(), "#PBS -N heat\n", "the file's name stays")
	assert.Contains(t, out.String(), "export OMP_PLACES=cores\nexport NOTE='from the flag'\nexport LATE=1\nmodule load go\nulimit -s unlimited\nexec spmdrun -x OMP_PLACES -x NOTE -x LATE ./ring -v\n")

	// The same description for HTCondor is refused by name: it has no queue.
	code = run([]string{"--job", job, "-o", dir, "condor"}, &out, &errb)
	assert.Equal(t, 2, code)
	assert.Contains(t, errb.String(), "condor: -q: HTCondor has no queues or partitions")

	// Errors in the file name the file, the line and the key.
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("nodes: 2\nwalltim: 1h\n"), 0o644))
	errb.Reset()
	assert.Equal(t, 2, run([]string{"--job", bad, "slurm", "./p"}, &out, &errb))
	assert.Contains(t, errb.String(), bad+`:2: unknown key "walltim"`)
	require.NoError(t, os.WriteFile(bad, []byte("env-file: missing.env\n"), 0o644))
	errb.Reset()
	assert.Equal(t, 2, run([]string{"--job", bad, "slurm", "./p"}, &out, &errb))
	assert.Contains(t, errb.String(), "env file: open "+filepath.Join(dir, "missing.env"))
	errb.Reset()
	require.NoError(t, os.WriteFile(bad, []byte("nodes: 2\n"), 0o644))
	assert.Equal(t, 2, run([]string{"--job", bad, "slurm"}, &out, &errb), "no program in the file or on the command line")
	assert.Contains(t, errb.String(), "want a format (pbs, torque, slurm, condor) and a program, or a --job file naming the program")
}
