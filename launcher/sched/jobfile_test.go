package sched

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseJob(t *testing.T) {
	src := `# a heat run
name: heat
nodes: 4
ppn: "32"
walltime: 1:30:00
queue: batch
account: proj42
qos: long
mem: 64G
array: 1-10%2
mail-user: alice@example.org
mail-type: end,fail
stdout: logs/%x-%a.out
stderr: logs/%x-%a.err
setup:
  - module load go
  - ulimit -s unlimited
env:
  OMP_NUM_THREADS: 1
  NOTE: "a b"
env-file: site.env
x: [A=1]
spmdrun: /opt/spmd/bin/spmdrun
program: ./heat
args: [-n, 4096]
`
	s := Script{Nodes: 1, RanksPerNode: 1, Name: "default"}
	envFile, err := ParseJob("heat.yaml", []byte(src), &s)
	require.NoError(t, err)
	assert.Equal(t, "site.env", envFile)
	arr, _ := ParseArray("1-10%2")
	assert.Equal(t, Script{
		Name: "heat", Nodes: 4, RanksPerNode: 32, Walltime: 90 * time.Minute, Queue: "batch", Account: "proj42", QoS: "long",
		Memory: 64 << 30, Array: arr, MailUser: "alice@example.org", MailType: MailEnd | MailFail,
		Stdout: "logs/%x-%a.out", Stderr: "logs/%x-%a.err", Setup: []string{"module load go", "ulimit -s unlimited"},
		Export: []string{"OMP_NUM_THREADS=1", "NOTE=a b"}, Env: []string{"A=1"}, Spmdrun: "/opt/spmd/bin/spmdrun",
		Program: "./heat", Args: []string{"-n", "4096"},
	}, s)

	// Keys absent leave the fields as they were.
	s = Script{Nodes: 3, RanksPerNode: 2, Queue: "q"}
	_, err = ParseJob("j.yaml", []byte("program: ./p\n"), &s)
	require.NoError(t, err)
	assert.Equal(t, Script{Nodes: 3, RanksPerNode: 2, Queue: "q", Program: "./p"}, s)
}

func TestParseJobErrors(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{"", "j.yaml: empty job description"},
		{"# only a comment\n", "j.yaml: empty job description"},
		{"nodes: 2\nnodez: 3\n", `j.yaml:2: unknown key "nodez" (known: name, nodes, ppn, walltime`},
		{"nodes: 2\nnodes: 3\n", `j.yaml:2: key "nodes" given again (first on line 1)`},
		{"- a\n- b\n", "j.yaml:1: want a mapping of keys"},
		{"nodes: zero\n", `j.yaml:1: nodes: invalid count "zero"`},
		{"nodes: 0\n", `j.yaml:1: nodes: invalid count "0"`},
		{"ppn: [1]\n", "j.yaml:1: ppn: want a single value"},
		{"name:\n", "j.yaml:1: name: want a single value"},
		{"walltime: 1:5:00\n", `j.yaml:1: walltime: invalid walltime "1:5:00": field "5": want two digits`},
		{"\nmem: 4\n", `j.yaml:2: mem: invalid memory size "4": no unit`},
		{"array: 3-1\n", "j.yaml:1: array: invalid array"},
		{"mail-type: sometimes\n", `j.yaml:1: mail-type: invalid mail type "sometimes"`},
		{"setup: module load go\n", "j.yaml:1: setup: want a list"},
		{"setup: [[a]]\n", "j.yaml:1: setup: want a single value"},
		{"env: [A=1]\n", "j.yaml:1: env: want a mapping of variable names to values"},
		{"env:\n  1A: x\n", `j.yaml:2: env: "1A": not a variable name`},
		{"env:\n  A: [x]\n", "j.yaml:2: env: A: want a single value"},
		{"env:\n  A: \"x\\ny\"\n", "j.yaml:2: env: A: the value holds a line break"},
		{"a: &x 1\nname: *x\n", `j.yaml:1: unknown key "a"`},
		{"name: &x n\nprogram: *x\n", "j.yaml:2: program: want a single value"},
		{"nodes: 2\n  bad indent: 3\n", "j.yaml:"},
		{"{nodes: 2, [1]: 3}\n", "j.yaml:1: a key must be a plain name"},
		{"nodes: 2\t\n\tppn: 1\n", "j.yaml:"},
	} {
		s := Script{}
		_, err := ParseJob("j.yaml", []byte(tt.src), &s)
		require.Error(t, err, tt.src)
		assert.ErrorIs(t, err, ErrSyntax, tt.src)
		assert.Contains(t, err.Error(), tt.want, tt.src)
		assert.NotContains(t, err.Error(), "\n", tt.src)
	}
	_, err := ParseJob("big.yaml", []byte(strings.Repeat("#", MaxJobFileSize+1)), &Script{})
	assert.ErrorContains(t, err, "larger than")
}

// FuzzParseJob checks that the job parser never panics, fails only with
// ErrSyntax, and that what it accepts renders or is refused with an
// error, for every format.
func FuzzParseJob(f *testing.F) {
	for _, s := range []string{
		"name: heat\nnodes: 4\nppn: 32\nwalltime: 2-00:00:00\nprogram: ./heat\nargs: [-n, \"1\"]\n",
		"array: 1-10%2\nmem: 4G\nsetup: [module load go]\nenv: {A: \"1\"}\nprogram: p\n",
		"nodez: 1\n", "a: &x [1]\nb: *x\n", "- 1\n", "env:\n  A: [x]\n", "stdout: o-%j\nprogram: p\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := Script{Name: "f", Nodes: 1, RanksPerNode: 1, Program: "p"}
		if _, err := ParseJob("fuzz", data, &s); err != nil {
			require.ErrorIs(t, err, ErrSyntax)
			return
		}
		for _, fm := range []Format{FormatPBS, FormatTorque, FormatSlurm, FormatCondor} {
			if _, err := s.Files(fm); err != nil {
				require.NotContains(t, err.Error(), "\n")
			}
		}
	})
}

// A job description, as spmdsubmit --job reads it, rendered for Slurm and
// for OpenPBS from the same description.
func ExampleParseJob() {
	job := `name: heat
nodes: 4
ppn: 32
walltime: 1h30m
account: proj42
mem: 64G
array: 1-10%2
setup: [module load go]
env: {OMP_NUM_THREADS: "1"}
program: ./heat
args: [-n, "4096"]
`
	s := Script{Nodes: 1, RanksPerNode: 1}
	if _, err := ParseJob("heat.yaml", []byte(job), &s); err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range []Format{FormatSlurm, FormatPBS} {
		files, err := s.Files(f)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("--- %s\n%s", files[0].Name, files[0].Content)
	}
	// Output:
	// --- heat.sbatch
	// #!/bin/bash
	// #SBATCH --job-name=heat
	// #SBATCH --nodes=4
	// #SBATCH --ntasks-per-node=32
	// #SBATCH --time=0-01:30:00
	// #SBATCH --account=proj42
	// #SBATCH --mem=64G
	// #SBATCH --array=1-10%2
	//
	// # spmdrun reads the nodes from SLURM_JOB_NODELIST and SLURM_TASKS_PER_NODE.
	// export OMP_NUM_THREADS=1
	// export SPMD_ARRAY_INDEX="$SLURM_ARRAY_TASK_ID"
	// module load go
	// exec spmdrun -x OMP_NUM_THREADS -x SPMD_ARRAY_INDEX ./heat -n 4096
	// --- heat.pbs
	// #!/bin/bash
	// #PBS -N heat
	// #PBS -l select=4:ncpus=32:mpiprocs=32:mem=64gb
	// #PBS -l place=scatter
	// #PBS -l walltime=01:30:00
	// #PBS -A proj42
	// #PBS -J 1-10%2
	// #PBS -j oe
	//
	// # spmdrun reads the nodes from $PBS_NODEFILE.
	// cd "$PBS_O_WORKDIR"
	// export OMP_NUM_THREADS=1
	// export SPMD_ARRAY_INDEX="$PBS_ARRAY_INDEX"
	// module load go
	// exec spmdrun -x OMP_NUM_THREADS -x SPMD_ARRAY_INDEX ./heat -n 4096
}
