package realsched

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// submitCases are option combinations of spmdsubmit slurm whose scripts
// the real sbatch must accept (sbatch --test-only): every option and
// every form each one is written in. The cluster has partition spmd, no
// accounting and nodes of 1 MB (RealMemory is left out), so memory
// requests stay small.
var submitCases = []struct {
	name string
	args []string
}{
	{"plain", nil},
	{"walltime seconds", []string{"-t", "45s"}},
	{"walltime minutes", []string{"-t", "90"}},
	{"walltime days", []string{"-t", "2-12:30"}},
	{"partition", []string{"-q", "spmd"}},
	{"account", []string{"-A", "proj42"}},
	{"qos", []string{"--qos", "normal"}},
	{"memory per node", []string{"--mem", "512K"}},
	{"memory per cpu", []string{"--mem-per-cpu", "1K"}},
	{"array range and limit", []string{"--array", "1-3%2"}},
	{"array step", []string{"--array", "0-9:3"}},
	{"array list", []string{"--array", "1,3,5-6"}},
	{"mail", []string{"--mail-user", "alice@example.org", "--mail-type", "end,fail"}},
	{"mail all", []string{"--mail-type", "all"}},
	{"mail none", []string{"--mail-type", "none"}},
	{"output paths", []string{"--array", "1-2", "--stdout", "o-%x-%j-%a.out", "--stderr", "e-%x-100%%.err"}},
	{"setup and env", []string{"--setup", "echo set up", "--setup", "cd . || exit 1", "-x", "A=1"}},
	{"everything", []string{"-N", "1", "-ppn", "2", "-t", "1h30m", "-q", "spmd", "-A", "proj42", "--mem", "1K",
		"--array", "0-3%2", "--mail-user", "a@b", "--mail-type", "begin,end", "--stdout", "%x-%a.out", "--setup", "true"}},
}

// TestSlurmSubmitTestOnly: the real sbatch accepts the script of every
// option combination (sbatch --test-only checks the directives against
// the cluster without submitting).
func TestSlurmSubmitTestOnly(t *testing.T) {
	t.Parallel()
	c := cluster(t, 1)
	submit := program(t, "spmdsubmit")
	// The check can fail: sbatch --test-only refuses a bad directive.
	bad := filepath.Join(tmpDir(t), "bad.sbatch")
	require.NoError(t, os.WriteFile(bad, []byte("#!/bin/sh\n#SBATCH --time=soon\ntrue\n"), 0o755))
	r := c.run(t, tmpDir(t), nil, "sbatch", "--test-only", bad)
	require.NotEqual(t, 0, r.code, "sbatch --test-only took --time=soon: %s", r.stderr)
	for _, tc := range submitCases {
		t.Run(tc.name, func(t *testing.T) {
			dir, err := os.MkdirTemp(tmpDir(t), "submit-")
			require.NoError(t, err)
			args := append(append([]string{"-o", dir, "-J", "opts"}, tc.args...), "slurm", "/bin/true")
			r := c.run(t, dir, nil, submit, args...)
			require.Equal(t, 0, r.code, "spmdsubmit %v: %s", args, r.stderr)
			script := filepath.Join(dir, "opts.sbatch")
			r = c.run(t, dir, nil, "sbatch", "--test-only", script)
			body, _ := os.ReadFile(script)
			require.Equal(t, 0, r.code, "sbatch --test-only refused:\n%s\n%s%s", body, r.stdout, r.stderr)
			assert.Regexp(t, `sbatch: Job \d+ to start at `, r.stderr, "script:\n%s", body)
		})
	}
}

// TestSlurmSubmitWait submits through spmdsubmit --wait on the real
// Slurm: a job array of two tasks, each running two ranks that print the
// task's index, an exported variable of an --env-file, and what a --setup
// line set; spmdsubmit prints the job id and exits with the job's status.
func TestSlurmSubmitWait(t *testing.T) {
	t.Parallel()
	c := cluster(t, 1)
	dir, err := os.MkdirTemp(tmpDir(t), "submit-wait-")
	require.NoError(t, err)
	env := filepath.Join(dir, "job.env")
	require.NoError(t, os.WriteFile(env, []byte("# for every rank\nNOTE=it's here\n"), 0o644))
	args := []string{"-N", "1", "-ppn", "2", "--array", "0-1", "--env-file", env,
		"--setup", "export SET_UP=yes", "--stdout", "out-%a.txt", "--spmdrun", program(t, "spmdrun"),
		"--wait", "slurm", "/bin/sh", "-c", `echo "rank $PMI_RANK task $SPMD_ARRAY_INDEX note $NOTE setup $SET_UP"`}
	r := c.run(t, dir, nil, program(t, "spmdsubmit"), args...)
	require.Equal(t, 0, r.code, "spmdsubmit --wait: %s", r.stderr)
	assert.Regexp(t, regexp.MustCompile(`^\d+\n$`), r.stdout, "the job id alone")
	for _, task := range []string{"0", "1"} {
		out, err := os.ReadFile(filepath.Join(dir, "out-"+task+".txt"))
		require.NoError(t, err)
		for _, rank := range []string{"0", "1"} {
			assert.Contains(t, string(out), "rank "+rank+" task "+task+" note it's here setup yes\n", "task %s's output:\n%s", task, out)
		}
	}

	// A failing job: spmdsubmit --wait exits with the job's status.
	args = []string{"--spmdrun", program(t, "spmdrun"), "--stdout", "fail.txt", "--wait", "slurm", "/bin/sh", "-c", "exit 5"}
	r = c.run(t, dir, nil, program(t, "spmdsubmit"), args...)
	assert.Equal(t, 5, r.code, "spmdsubmit --wait of a job that exits 5: %s", r.stderr)

	// A refused submission: one line naming sbatch and its reason.
	args = []string{"-q", "nosuchpartition", "--submit", "slurm", "/bin/true"}
	r = c.run(t, dir, nil, program(t, "spmdsubmit"), args...)
	assert.Equal(t, 3, r.code)
	assert.Equal(t, 1, strings.Count(r.stderr, "\n"), r.stderr)
	assert.Contains(t, r.stderr, "spmdsubmit: sbatch: error: ")
	assert.Contains(t, r.stderr, "partition")
}
