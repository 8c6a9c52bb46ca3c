package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

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
	} {
		var out, errb bytes.Buffer
		assert.Equal(t, 2, run(tt.args, &out, &errb), tt.args)
		assert.Contains(t, errb.String(), tt.want, tt.args)
	}
	var out, errb bytes.Buffer
	assert.Equal(t, 0, run([]string{"--help"}, &out, &errb))
	assert.Equal(t, usage, out.String())
}

func TestParseWalltime(t *testing.T) {
	for in, want := range map[string]time.Duration{"90m": 90 * time.Minute, "2:00:05": 2*time.Hour + 5*time.Second, "100:00:00": 100 * time.Hour} {
		got, err := parseWalltime(in)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	_, err := parseWalltime("1:60:00")
	assert.Error(t, err)
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
