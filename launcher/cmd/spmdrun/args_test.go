package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/spmd-go/spmd/launcher"
	"github.com/spmd-go/spmd/launcher/sched"
)

// env is a fake environment for parseArgs.
func env(kv map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := kv[k]
		return v, ok
	}
}

func TestParseArgs(t *testing.T) {
	noEnv := env(nil)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want options
	}{
		{"defaults", []string{"./prog"}, nil,
			options{grace: launcher.DefaultGrace, program: "./prog", args: []string{}}},
		{"-n space", []string{"-n", "4", "./prog"}, nil,
			options{n: 4, grace: 3 * time.Second, program: "./prog", args: []string{}}},
		{"-np space", []string{"-np", "3", "prog"}, nil,
			options{n: 3, grace: 3 * time.Second, program: "prog", args: []string{}}},
		{"--np=", []string{"--np=4", "prog"}, nil,
			options{n: 4, grace: 3 * time.Second, program: "prog", args: []string{}}},
		{"-n=", []string{"-n=2", "prog"}, nil,
			options{n: 2, grace: 3 * time.Second, program: "prog", args: []string{}}},
		{"oversubscribe", []string{"-n", "512", "prog"}, nil,
			options{n: 512, grace: 3 * time.Second, program: "prog", args: []string{}}},
		{"program flags pass through", []string{"-n", "2", "./prog", "-v", "x", "--np=9", "--"}, nil,
			options{n: 2, grace: 3 * time.Second, program: "./prog", args: []string{"-v", "x", "--np=9", "--"}}},
		{"double dash", []string{"-n", "2", "--", "-weird-name", "-n", "1"}, nil,
			options{n: 2, grace: 3 * time.Second, program: "-weird-name", args: []string{"-n", "1"}}},
		{"-x forms", []string{"-x", "A=1", "--x=B=two=2", "-x", "HOME", "-x", "UNSET", "-x", "EMPTY=", "p"},
			map[string]string{"HOME": "/h"},
			options{grace: 3 * time.Second, env: []string{"A=1", "B=two=2", "HOME=/h", "EMPTY="}, program: "p", args: []string{}}},
		{"bind to core", []string{"--bind-to", "core", "p"}, nil,
			options{bindTo: "core", grace: 3 * time.Second, program: "p", args: []string{}}},
		{"tag output", []string{"--tag-output", "-n", "2", "p"}, nil,
			options{n: 2, tagOutput: true, grace: 3 * time.Second, program: "p", args: []string{}}},
		{"timeout flag", []string{"--timeout", "1m30s", "p"}, map[string]string{"SPMD_TIMEOUT": "5s"},
			options{timeout: 90 * time.Second, grace: 3 * time.Second, program: "p", args: []string{}}},
		{"timeout env", []string{"p"}, map[string]string{"SPMD_TIMEOUT": "5s"},
			options{timeout: 5 * time.Second, grace: 3 * time.Second, program: "p", args: []string{}}},
		{"timeout flag zero beats env", []string{"--timeout=0", "p"}, map[string]string{"SPMD_TIMEOUT": "bad"},
			options{grace: 3 * time.Second, program: "p", args: []string{}}},
		{"grace", []string{"--grace", "500ms", "p"}, nil,
			options{grace: 500 * time.Millisecond, program: "p", args: []string{}}},
		{"help", []string{"-h"}, nil, options{grace: 3 * time.Second, help: true}},
		{"--help", []string{"--help", "-n", "2"}, nil, options{n: 2, grace: 3 * time.Second, help: true}},
		{"version", []string{"--version"}, nil, options{grace: 3 * time.Second, version: true}},
		{"hosts", []string{"--host", "a:2,b:2", "--map-by", "node", "-ppn", "3", "p"}, nil,
			options{hosts: "a:2,b:2", mapBy: sched.ByNode, ppn: 3, grace: 3 * time.Second, program: "p", args: []string{}}},
		{"hostfile aliases", []string{"-f", "x", "--machinefile=y", "--npernode", "2", "p"}, nil,
			options{hostfile: "y", ppn: 2, grace: 3 * time.Second, program: "p", args: []string{}}},
		{"print allocation needs no program", []string{"--print-allocation", "-hosts", "a"}, nil,
			options{hosts: "a", printAlloc: true, grace: 3 * time.Second}},
		{"status needs no program", []string{"--status", "123"}, nil,
			options{statusPID: 123, grace: 3 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookup := noEnv
			if tt.env != nil {
				lookup = env(tt.env)
			}
			got, err := parseArgs(tt.args, lookup)
			require.NoError(t, err)
			assert.Equal(t, tt.want, *got)
		})
	}
}

func TestParseArgsErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{"no program", []string{"-n", "2"}, nil, "no program given"},
		{"bad binding", []string{"--bind-to", "socket", "p"}, nil, `invalid binding "socket": want auto, none or core`},
		{"nothing", nil, nil, "no program given"},
		{"bad n", []string{"-n", "four", "p"}, nil, `invalid value "four" for flag -n`},
		{"zero n", []string{"-n", "0", "p"}, nil, "invalid number of ranks 0"},
		{"negative np", []string{"--np=-3", "p"}, nil, "invalid number of ranks -3"},
		{"missing value", []string{"-n"}, nil, "flag needs an argument: -n"},
		{"bad timeout", []string{"--timeout", "soon", "p"}, nil, `invalid value "soon" for flag -timeout`},
		{"negative timeout", []string{"--timeout", "-1s", "p"}, nil, "invalid timeout -1s"},
		{"bad env timeout", []string{"p"}, map[string]string{"SPMD_TIMEOUT": "10"}, `invalid SPMD_TIMEOUT "10"`},
		{"negative grace", []string{"--grace=-2s", "p"}, nil, "invalid grace period -2s"},
		{"bad -x", []string{"-x", "=v", "p"}, nil, `want VAR or VAR=value, not "=v"`},
		{"unknown flag", []string{"--bogus", "h", "p"}, nil, "flag provided but not defined: -bogus"},
		{"zero ppn", []string{"-ppn", "0", "p"}, nil, "invalid ranks per node 0"},
		{"bad map-by", []string{"--map-by", "socket", "p"}, nil, `invalid mapping "socket": want slot or node`},
		{"host and hostfile", []string{"--host", "a", "--hostfile", "f", "p"}, nil, "give --host or --hostfile, not both"},
		{"status zero", []string{"--status", "0"}, nil, "invalid process id 0 for --status"},
		{"status not a pid", []string{"--status", "me"}, nil, `invalid value "me" for flag -status`},
		{"status and program", []string{"--status", "12", "p"}, nil, "--status takes no program"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseArgs(tt.args, env(tt.env))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.NotContains(t, err.Error(), "\n", "errors are one line")
		})
	}
}

func TestOptionsJob(t *testing.T) {
	o, err := parseArgs([]string{"-n", "3", "-x", "A=1", "--tag-output", "--timeout", "2s", "--grace", "0", "p", "a"}, env(nil))
	require.NoError(t, err)
	j := o.job(nil)
	assert.Equal(t, "p", j.Program)
	assert.Equal(t, []string{"a"}, j.Args)
	assert.Equal(t, 3, j.N)
	assert.Equal(t, []string{"A=1"}, j.Env)
	assert.True(t, j.TagOutput)
	assert.Equal(t, 2*time.Second, j.Timeout)
	assert.Negative(t, j.Grace, "--grace 0 kills at once")
}

// TestRemoteLauncherSlurm: inside a Slurm job the proxies start from one
// srun with one task per node of the mapping, and the task count is on the
// command line: srun would otherwise take the batch job's SLURM_NTASKS from
// the environment, ignore --ntasks-per-node and start a proxy per rank
// (seen under a real Slurm).
func TestRemoteLauncherSlurm(t *testing.T) {
	o := &options{scheduler: sched.Slurm}
	m := &sched.Mapping{Hosts: []string{"n1", "n2", "n3"}, Node: []int{0, 0, 1, 1, 2, 2}}
	found := func(string) (string, error) { return "/usr/bin/srun", nil }
	l := o.remoteLauncher(m, found)
	require.NotNil(t, l)
	assert.Equal(t, []string{"srun", "--ntasks-per-node=1", "--nodes=3", "--ntasks=3", "--nodelist=n1,n2,n3",
		"--kill-on-bad-exit", "--mpi=none", "--cpu-bind=none", "--input=none"}, l.Command)
	assert.False(t, l.PerHost)
	assert.Equal(t, "env", l.Cookie)
}
