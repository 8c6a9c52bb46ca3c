package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// noScheduler clears the batch-system variables that the machine running
// the tests might have set.
var noScheduler = []string{"PBS_NODEFILE=", "PBS_JOBID=", "SLURM_JOB_ID=", "SLURM_JOBID=", "_CONDOR_PROCNO=", "_CONDOR_NPROCS=", "SPMD_SCHEDULER="}

func TestSpmdrunPBSAllocation(t *testing.T) {
	nf := writeFile(t, "nodefile", "localhost\nlocalhost\nlocalhost\n")
	env := append(noScheduler, "PBS_NODEFILE="+nf, "PBS_JOBID=9.pbs")
	r := runSpmdrun(t, nil, env, "--print-allocation")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "source: PBS job 9.pbs (PBS_NODEFILE="+nf+")\nhosts: 1\nslots: 3\n  localhost slots=3\nranks: 3\n  localhost: 0-2\n", r.stdout)

	r = runSpmdrun(t, nil, env, pmirank, "ok")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, 3, strings.Count(r.stdout, "of 3 saw 3 cards\n"), "one rank per line of the node file")
}

func TestSpmdrunSlurmAllocation(t *testing.T) {
	env := append(noScheduler, "SLURM_JOB_ID=5", "SLURM_JOB_NODELIST=n[01-02],gpu7", "SLURM_TASKS_PER_NODE=2(x2),1")
	r := runSpmdrun(t, nil, env, "--print-allocation", "-n", "4")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "source: Slurm job 5 (SLURM_JOB_NODELIST, SLURM_TASKS_PER_NODE)\nhosts: 3\nslots: 5\n"+
		"  n01 slots=2\n  n02 slots=2\n  gpu7 slots=1\nranks: 4\n  n01: 0-1\n  n02: 2-3\n", r.stdout)

	env = append(noScheduler, "SLURM_JOB_ID=5", "SLURM_JOB_NODELIST=n[1-2]", "SLURM_TASKS_PER_NODE=2")
	r = runSpmdrun(t, nil, env, pmirank, "ok")
	assert.Equal(t, 2, r.code)
	assert.Equal(t, `spmdrun: inconsistent Slurm variables: SLURM_JOB_NODELIST="n[1-2]" lists 2 nodes but SLURM_TASKS_PER_NODE="2" gives counts for 1`+"\n", r.stderr)
}

func TestSpmdrunCondorAllocation(t *testing.T) {
	dir := t.TempDir()
	ad := filepath.Join(t.TempDir(), "job.ad")
	require.NoError(t, os.WriteFile(ad, []byte("ClusterId = 3\nProcId = 0\nJobCurrentStartDate = 1700000000\nRequestCpus = 2\n"), 0o644))
	env := append(noScheduler, "_CONDOR_PROCNO=0", "_CONDOR_NPROCS=1", "_CONDOR_JOB_AD="+ad, "_CONDOR_JOB_IWD="+dir)
	r := runSpmdrun(t, nil, env, pmirank, "ok")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, 2, strings.Count(r.stdout, "of 2 saw 2 cards\n"), "RequestCpus ranks on the one node")

	env = append(noScheduler, "_CONDOR_PROCNO=1", "_CONDOR_NPROCS=2", "_CONDOR_JOB_AD="+ad, "_CONDOR_JOB_IWD="+dir)
	r = runSpmdrun(t, nil, env, pmirank, "ok")
	assert.Equal(t, 2, r.code)
	assert.Equal(t, "spmdrun: HTCondor node 1 of 2: only node 0 runs the job; the other nodes run spmdrun --join\n", r.stderr)
}

func TestSpmdrunCondorJoin(t *testing.T) {
	dir := t.TempDir()
	ad := filepath.Join(t.TempDir(), "job.ad")
	require.NoError(t, os.WriteFile(ad, []byte("ClusterId = 4\nProcId = 0\nJobCurrentStartDate = 1700000001\nRequestCpus = 2\n"), 0o644))
	// A contact that an earlier run left behind must be ignored.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "spmd-contact.1"),
		[]byte("spmd-contact run=4.0.1600000000 procno=1 host=stale slots=2 addr=-\n"), 0o644))
	base := append(noScheduler, "_CONDOR_NPROCS=2", "_CONDOR_JOB_AD="+ad, "_CONDOR_JOB_IWD="+dir)
	// Node 1, started by HTCondor at about the same time as node 0; its
	// host name is made up so that its ranks count as another host's.
	joiner := exec.Command(spmdrun, "--join", "--name", "nodeB")
	joiner.Env = append(append(os.Environ(), base...), "_CONDOR_PROCNO=1")
	var jerr bytes.Buffer
	joiner.Stderr = &jerr
	require.NoError(t, joiner.Start())
	t.Cleanup(func() { _ = joiner.Process.Kill() })

	r := runSpmdrun(t, nil, append(base, "_CONDOR_PROCNO=0"), "--tag-output", pmirank, "where")
	require.Equal(t, 0, r.code, r.stderr)
	for _, want := range []string{"[0] rank 0 local 0/2", "[1] rank 1 local 1/2", "[2] rank 2 local 0/2", "[3] rank 3 local 1/2"} {
		assert.Contains(t, r.stdout, want+" mapping (vector,(0,2,2))")
	}
	done := make(chan error, 1)
	go func() { done <- joiner.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, jerr.String())
	case <-time.After(testLimit):
		t.Fatal("the joining node did not exit")
	}
	cookies, _ := filepath.Glob(filepath.Join(dir, ".spmd-cookie.*"))
	assert.Empty(t, cookies, "node 0 removes the cookie file")
}

// TestSpmdrunCondorNodeMissing: node 0 of a 2-node HTCondor job whose node
// 1 never publishes gives up after SPMD_CONNECT_TIMEOUT, naming node 1,
// rather than waiting the 5-minute default.
func TestSpmdrunCondorNodeMissing(t *testing.T) {
	dir := t.TempDir()
	ad := filepath.Join(t.TempDir(), "job.ad")
	require.NoError(t, os.WriteFile(ad, []byte("ClusterId = 5\nProcId = 0\nJobCurrentStartDate = 1700000002\n"), 0o644))
	env := append(noScheduler, "_CONDOR_PROCNO=0", "_CONDOR_NPROCS=2", "_CONDOR_JOB_AD="+ad, "_CONDOR_JOB_IWD="+dir,
		"SPMD_CONNECT_TIMEOUT=1s")
	start := time.Now()
	r := runSpmdrun(t, nil, env, pmirank, "ok")
	assert.NotEqual(t, 0, r.code)
	assert.Less(t, time.Since(start), 20*time.Second)
	assert.Contains(t, r.stderr, "the nodes did not all meet within 1s")
	assert.Contains(t, r.stderr, "1 of 2 nodes of run 5.0.1700000002 seen, none from node(s) 1")

	// A malformed bound is refused at once.
	env[len(env)-1] = "SPMD_CONNECT_TIMEOUT=soon"
	r = runSpmdrun(t, nil, env, pmirank, "ok")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, `invalid SPMD_CONNECT_TIMEOUT "soon"`)
}

// TestSpmdrunCondorJoinBounded: a node that joins a job whose node 0 never
// publishes an address gives up after twice SPMD_CONNECT_TIMEOUT.
func TestSpmdrunCondorJoinBounded(t *testing.T) {
	dir := t.TempDir()
	ad := filepath.Join(t.TempDir(), "job.ad")
	require.NoError(t, os.WriteFile(ad, []byte("ClusterId = 6\nProcId = 0\nJobCurrentStartDate = 1700000003\n"), 0o644))
	cmd := exec.Command(spmdrun, "--join", "--name", "nodeB")
	cmd.Env = append(append(os.Environ(), noScheduler...), "_CONDOR_PROCNO=1", "_CONDOR_NPROCS=2",
		"_CONDOR_JOB_AD="+ad, "_CONDOR_JOB_IWD="+dir, "SPMD_CONNECT_TIMEOUT=500ms")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	assert.Less(t, time.Since(start), 20*time.Second)
	assert.Contains(t, string(out), "waited 1s, twice node 0's wait")
	assert.Contains(t, string(out), "node 0 of run 6.0.1700000003 published no address")
}
