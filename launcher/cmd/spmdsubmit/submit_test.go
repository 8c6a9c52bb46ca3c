package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeTools puts shell scripts standing in for a batch system's commands
// first on PATH: name to script body. Each records its arguments and
// working directory in $dir/<name>.calls, one line per call. It returns
// the directory.
func fakeTools(t *testing.T, tools map[string]string) string {
	dir := t.TempDir()
	for name, body := range tools {
		script := "#!/bin/sh\necho \"$(pwd) $*\" >> '" + filepath.Join(dir, name+".calls") + "'\n" + body + "\n"
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755))
	}
	// Only these system commands besides the fakes, so that a real batch
	// system installed here stays out of the way.
	for _, c := range []string{"sh", "wc", "dirname", "printf", "true", "test"} {
		p, err := exec.LookPath(c)
		require.NoError(t, err)
		if _, err := os.Stat(filepath.Join(dir, c)); err != nil {
			require.NoError(t, os.Symlink(p, filepath.Join(dir, c)))
		}
	}
	t.Setenv("PATH", dir)
	return dir
}

// calls is what fake tool name was called with.
func calls(t *testing.T, dir, name string) []string {
	data, err := os.ReadFile(filepath.Join(dir, name+".calls"))
	require.NoError(t, err)
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// runIn runs spmdsubmit in dir.
func runIn(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Chdir(dir)
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestSubmitSlurm(t *testing.T) {
	tools := fakeTools(t, map[string]string{"sbatch": "echo 'Submitted batch job 42'"})
	work := t.TempDir()
	code, out, errs := runIn(t, work, "-N", "2", "-o", "jobs", "--stdout", "logs/a/%x.out", "--stderr", "logs/%x/e", "--submit", "slurm", "./pi")
	require.Equal(t, 0, code, errs)
	assert.DirExists(t, filepath.Join(work, "logs", "a"), "the output's directory, made for sbatch")
	assert.NoDirExists(t, filepath.Join(work, "logs", "%x"), "a directory named by a placeholder is not made")
	assert.Equal(t, "42\n", out, "the job id only")
	assert.Equal(t, []string{work + " jobs/pi.sbatch"}, calls(t, tools, "sbatch"), "sbatch runs here, on the written file")
	assert.FileExists(t, filepath.Join(work, "jobs", "pi.sbatch"))

	// Without -o the files go into the current directory.
	code, out, errs = runIn(t, work, "--submit", "slurm", "./ring")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, "42\n", out)
	assert.FileExists(t, filepath.Join(work, "ring.sbatch"))
}

func TestSubmitSlurmWait(t *testing.T) {
	tools := fakeTools(t, map[string]string{"sbatch": "echo 'Submitted batch job 43'\nexit 5"})
	code, out, errs := runIn(t, t.TempDir(), "--wait", "slurm", "./pi")
	assert.Equal(t, 5, code, "the job's exit status")
	assert.Equal(t, "43\n", out)
	assert.Empty(t, errs)
	assert.Equal(t, "--wait pi.sbatch", strings.SplitN(calls(t, tools, "sbatch")[0], " ", 2)[1])

	fakeTools(t, map[string]string{"sbatch": "echo 'Submitted batch job 44'"})
	code, out, _ = runIn(t, t.TempDir(), "--wait", "slurm", "./pi")
	assert.Equal(t, 0, code)
	assert.Equal(t, "44\n", out)
}

func TestSubmitToolFails(t *testing.T) {
	for _, tt := range []struct {
		tools map[string]string
		args  []string
		want  string
	}{
		{map[string]string{"sbatch": "echo 'sbatch: error: Batch job submission failed: Invalid account' >&2; exit 1"},
			[]string{"--submit", "-A", "nope", "slurm", "./p"}, "spmdsubmit: sbatch: error: Batch job submission failed: Invalid account (exit status 1)\n"},
		{map[string]string{"sbatch": "echo 'sbatch: error: Batch job submission failed: Invalid account' >&2; exit 1"},
			[]string{"--wait", "slurm", "./p"}, "spmdsubmit: sbatch: error: Batch job submission failed: Invalid account\n"},
		{map[string]string{"qsub": "echo 'qsub: Unknown queue' >&2; echo 'more' >&2; exit 2"},
			[]string{"--submit", "-q", "nope", "pbs", "./p"}, "spmdsubmit: qsub: Unknown queue; more (exit status 2)\n"},
		{map[string]string{"qsub": "echo hello"},
			[]string{"--submit", "torque", "./p"}, "spmdsubmit: qsub printed no job id: \"hello\"\n"},
		{map[string]string{},
			[]string{"--submit", "pbs", "./p"}, "spmdsubmit: qsub: not found on PATH (is this a submit host of the batch system?)\n"},
		{map[string]string{},
			[]string{"--wait", "slurm", "./p"}, "spmdsubmit: sbatch: not found on PATH (is this a submit host of the batch system?)\n"},
		{map[string]string{"qsub": "echo 12.srv", "qstat": "echo 'qstat: Unknown Job Id 12.srv' >&2; exit 153"},
			[]string{"--wait", "--poll", "10ms", "pbs", "./p"}, "spmdsubmit: job 12.srv: qstat: Unknown Job Id 12.srv (exit status 153)\n"},
		{map[string]string{"condor_submit": "echo 'ERROR: on Line 3 of submit file:' >&2; exit 1"},
			[]string{"-o", "d", "--submit", "condor", "./p"}, "spmdsubmit: condor_submit: ERROR: on Line 3 of submit file: (exit status 1)\n"},
	} {
		fakeTools(t, tt.tools)
		code, _, errs := runIn(t, t.TempDir(), tt.args...)
		assert.Equal(t, exitTool, code, tt.args)
		assert.Equal(t, tt.want, errs, tt.args)
	}
}

func TestSubmitPBSWait(t *testing.T) {
	// qstat says R twice, then F with the exit status.
	for _, tt := range []struct {
		format, qstatArgs, state, exitLine string
		code                               int
	}{
		{"pbs", "-x -f 12.srv", "F", "    Exit_status = 4", 4},
		{"torque", "-f 12.srv", "C", "    exit_status = 271", 143},
	} {
		tools := fakeTools(t, map[string]string{
			"qsub": "echo 12.srv",
			"qstat": `n=$(wc -l < "$(dirname "$0")/qstat.calls")
echo 'Job Id: 12.srv'
if [ "$n" -lt 3 ]; then echo '    job_state = R'; exit 0; fi
echo '    job_state = ` + tt.state + `'
echo '` + tt.exitLine + `'`,
		})
		code, out, errs := runIn(t, t.TempDir(), "--wait", "--poll", "10ms", tt.format, "./p")
		assert.Equal(t, tt.code, code, errs)
		assert.Equal(t, "12.srv\n", out)
		qs := calls(t, tools, "qstat")
		assert.Len(t, qs, 3)
		assert.True(t, strings.HasSuffix(qs[0], " "+tt.qstatArgs), qs[0])
	}
}

func TestSubmitCondorWait(t *testing.T) {
	tools := fakeTools(t, map[string]string{
		"condor_submit": `test -f pi.sub -a -x pi.sh || { echo "no files here" >&2; exit 1; }
echo 'Submitting job(s).'
echo '1 job(s) submitted to cluster 23.'`,
		"condor_wait": `printf '000 (023.000.000) t Job submitted\n...\n005 (023.000.000) t Job terminated.\n\t(1) Normal termination (return value 6)\n...\n' > "$1"`,
	})
	work := t.TempDir()
	code, out, errs := runIn(t, work, "-N", "2", "-o", "jobs", "--wait", "condor", "./pi")
	assert.Equal(t, 6, code, errs)
	assert.Equal(t, "23.0\n", out)
	jobs := filepath.Join(work, "jobs")
	assert.Equal(t, []string{jobs + " pi.sub"}, calls(t, tools, "condor_submit"), "condor_submit runs in -o DIR")
	assert.Equal(t, []string{jobs + " pi.log 23.0"}, calls(t, tools, "condor_wait"))

	// condor_wait returns but the log shows no end: an error, not a guess.
	fakeTools(t, map[string]string{
		"condor_submit": "echo '1 job(s) submitted to cluster 24.'",
		"condor_wait":   "true",
	})
	code, _, errs = runIn(t, t.TempDir(), "-o", ".", "--wait", "condor", "./pi")
	assert.Equal(t, exitTool, code)
	assert.Contains(t, errs, "spmdsubmit: job 24.0: reading the job's log")
}
