package sched

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeEnv is a fake environment for Detect.
func fakeEnv(kv ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestDetectNothing(t *testing.T) {
	d, err := Detect(fakeEnv("HOME", "/h", "PBS_NODEFILE", ""))
	require.NoError(t, err)
	assert.Equal(t, NoScheduler, d.Scheduler)
	assert.Nil(t, d.Allocation)
}

func TestDetectPBS(t *testing.T) {
	nf := filepath.Join(t.TempDir(), "nodefile")
	require.NoError(t, os.WriteFile(nf, []byte("n1\nn1\nn1\nn2\nn2\nn2\n"), 0o644))
	d, err := Detect(fakeEnv("PBS_NODEFILE", nf, "PBS_JOBID", "42.server", "PBS_NP", "6"))
	require.NoError(t, err)
	assert.Equal(t, PBS, d.Scheduler)
	assert.Equal(t, []Host{{Name: "n1", Slots: 3}, {Name: "n2", Slots: 3}}, d.Allocation.Hosts)
	assert.Equal(t, "PBS job 42.server (PBS_NODEFILE="+nf+")", d.Allocation.Source)

	_, err = Detect(fakeEnv("PBS_NODEFILE", nf, "PBS_NP", "8"))
	assert.EqualError(t, err, "inconsistent PBS variables: PBS_NP=8 but PBS_NODEFILE "+nf+" has 6 lines")
	_, err = Detect(fakeEnv("PBS_JOBID", "42"))
	assert.EqualError(t, err, "PBS job (PBS_JOBID is set) but PBS_NODEFILE is not")
	_, err = Detect(fakeEnv("PBS_NODEFILE", nf+".missing"))
	assert.ErrorIs(t, err, os.ErrNotExist)

	bad := filepath.Join(t.TempDir(), "bad")
	require.NoError(t, os.WriteFile(bad, []byte("n1\nn 2\n"), 0o644))
	_, err = Detect(fakeEnv("PBS_NODEFILE", bad))
	assert.EqualError(t, err, "PBS_NODEFILE "+bad+`:2: syntax error: invalid character ' ' in host name "n 2"`)
}

func TestDetectSlurm(t *testing.T) {
	d, err := Detect(fakeEnv("SLURM_JOB_ID", "7", "SLURM_JOB_NODELIST", "tux[1-3],gpu1",
		"SLURM_TASKS_PER_NODE", "2(x3),1", "SLURM_NTASKS", "7", "SLURM_JOB_NUM_NODES", "4"))
	require.NoError(t, err)
	assert.Equal(t, Slurm, d.Scheduler)
	assert.Equal(t, []Host{{Name: "tux1", Slots: 2}, {Name: "tux2", Slots: 2}, {Name: "tux3", Slots: 2}, {Name: "gpu1", Slots: 1}}, d.Allocation.Hosts)
	assert.Equal(t, "Slurm job 7 (SLURM_JOB_NODELIST, SLURM_TASKS_PER_NODE)", d.Allocation.Source)

	d, err = Detect(fakeEnv("SLURM_JOBID", "7", "SLURM_NODELIST", "a,b"))
	require.NoError(t, err)
	assert.Equal(t, []Host{{Name: "a", Slots: 1}, {Name: "b", Slots: 1}}, d.Allocation.Hosts)

	for _, tt := range []struct {
		env  []string
		want string
	}{
		{[]string{"SLURM_JOB_ID", "7"}, "inside a Slurm job (SLURM_JOB_ID is set) but SLURM_JOB_NODELIST and SLURM_NODELIST are not set"},
		{[]string{"SLURM_JOB_ID", "7", "SLURM_JOB_NODELIST", "a[1-2]", "SLURM_TASKS_PER_NODE", "2(x3)"},
			`inconsistent Slurm variables: SLURM_JOB_NODELIST="a[1-2]" lists 2 nodes but SLURM_TASKS_PER_NODE="2(x3)" gives counts for 3`},
		{[]string{"SLURM_JOB_ID", "7", "SLURM_JOB_NODELIST", "a[1-2]", "SLURM_TASKS_PER_NODE", "2(x2)", "SLURM_NTASKS", "5"},
			`inconsistent Slurm variables: SLURM_NTASKS=5 but SLURM_TASKS_PER_NODE="2(x2)" adds up to 4`},
		{[]string{"SLURM_JOB_ID", "7", "SLURM_JOB_NODELIST", "a[1-2]", "SLURM_JOB_NUM_NODES", "3"},
			`inconsistent Slurm variables: SLURM_JOB_NUM_NODES=3 but SLURM_JOB_NODELIST="a[1-2]" lists 2 nodes`},
		{[]string{"SLURM_JOB_ID", "7", "SLURM_JOB_NODELIST", "a[2-1]"}, `SLURM_JOB_NODELIST: host list "a[2-1]": range "2-1" runs backwards: syntax error`},
		{[]string{"SLURM_JOB_ID", "7", "SLURM_JOB_NODELIST", "a", "SLURM_TASKS_PER_NODE", "x"}, `SLURM_TASKS_PER_NODE: count list "x": syntax error: invalid count "x": want 1..65536`},
		{[]string{"SLURM_JOB_ID", "7", "PBS_NODEFILE", "/nf"}, "variables of more than one batch system are set (PBS_NODEFILE, SLURM_JOB_ID); set SPMD_SCHEDULER=pbs|slurm|condor|none to choose"},
		{[]string{"_CONDOR_PROCNO", "0", "PBS_JOBID", "1"}, "variables of more than one batch system are set (PBS_JOBID, _CONDOR_PROCNO); set SPMD_SCHEDULER=pbs|slurm|condor|none to choose"},
		{[]string{"SPMD_SCHEDULER", "lsf"}, `SPMD_SCHEDULER="lsf": want pbs, slurm, condor or none`},
	} {
		_, err := Detect(fakeEnv(tt.env...))
		assert.EqualError(t, err, tt.want, "%v", tt.env)
	}

	// Slurm's PBS compatibility sets PBS_JOBID without PBS_NODEFILE: the
	// job is Slurm's.
	d, err = Detect(fakeEnv("SLURM_JOB_ID", "7", "SLURM_JOB_NODELIST", "a", "PBS_JOBID", "7", "PBS_JOBNAME", "x"))
	require.NoError(t, err)
	assert.Equal(t, Slurm, d.Scheduler)

	d, err = Detect(fakeEnv("SLURM_JOB_ID", "7", "PBS_JOBID", "1", "SPMD_SCHEDULER", "none"))
	require.NoError(t, err)
	assert.Equal(t, NoScheduler, d.Scheduler)
}
