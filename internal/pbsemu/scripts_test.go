package pbsemu

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSpmdsubmitGoldenScripts checks every golden script of spmdsubmit's
// pbs and torque formats as its dialect's qsub would, and checks that the
// other dialect refuses it: the two must emit different resource syntax
// (a script with options of its own dialect, such as an array, may be
// refused for those first).
func TestSpmdsubmitGoldenScripts(t *testing.T) {
	for _, tc := range []struct {
		dir        string
		d, other   Dialect
		lines      int
		refusedMsg string
	}{
		{"pbs", OpenPBS, Torque, 8, "submit error (Unknown resource type  MSG=Resource_List.select)"},
		{"torque", Torque, OpenPBS, 8, msgNodesWithSelect},
	} {
		files, err := filepath.Glob(filepath.Join("../../launcher/sched/testdata/golden", tc.dir, "*.pbs"))
		require.NoError(t, err)
		require.NotEmpty(t, files, "spmdsubmit's golden %s scripts", tc.dir)
		for _, f := range files {
			script, err := os.ReadFile(f)
			require.NoError(t, err)
			o, req, err := ParseJob(tc.d, &Options{Given: map[byte]bool{}}, script, "", false)
			require.NoError(t, err, "%s under %s", f, tc.d)
			if strings.Contains(string(script), "\n#PBS -e ") {
				assert.Empty(t, o.Join, "%s: -e given, so no -j oe", f)
			} else {
				assert.Equal(t, "oe", o.Join, f)
			}
			assert.NotEmpty(t, o.Name, f)
			assert.Positive(t, req.Lines(), f)
			_, _, err = ParseJob(tc.other, &Options{Given: map[byte]bool{}}, script, "", false)
			require.Error(t, err, "%s under %s", f, tc.other)
			if !strings.Contains(string(script), "#PBS -J ") && !strings.Contains(string(script), "#PBS -t ") {
				assert.EqualError(t, err, tc.refusedMsg, "%s under %s", f, tc.other)
			}
		}
	}
}

// TestWorkflowToolScripts feeds qsub the directives that Parsl's and
// dask-jobqueue's PBS providers emit (research §5: the option sets, in our
// own scripts) and checks they parse to the same attributes.
func TestWorkflowToolScripts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		d      Dialect
		cmd    []string // options given to qsub, not in the script
		script string
		check  func(t *testing.T, o *Options, req *Request)
	}{
		{"dask-jobqueue PBSJob", OpenPBS, nil,
			"#!/usr/bin/env bash\n\n#PBS -N dask-worker\n#PBS -q regular\n#PBS -A myproject\n#PBS -l select=1:ncpus=8:mem=24GB\n#PBS -l walltime=00:30:00\n#PBS -e logs/\n#PBS -o logs/\n\npython -m distributed.cli.dask_worker tcp://x:1\n",
			func(t *testing.T, o *Options, req *Request) {
				assert.Equal(t, "dask-worker", o.Name)
				assert.Equal(t, "regular", o.Queue)
				assert.Equal(t, "myproject", o.Account)
				assert.Equal(t, "logs/", o.Out)
				assert.Equal(t, []Chunk{{1, 8, 1, 8, ""}}, req.Chunks)
				assert.Equal(t, "30m0s", req.Walltime.String())
			}},
		{"Parsl PBSProProvider", OpenPBS, []string{"-q", "debug", "-A", "acct"},
			"#!/bin/bash\n\n#PBS -S /bin/bash\n#PBS -N parsl.htex.block-0\n#PBS -m n\n#PBS -l walltime=00:10:00\n#PBS -l select=2:ncpus=4\n#PBS -o /runinfo/submit.stdout\n#PBS -e /runinfo/submit.stderr\n\nexport JOBNAME=x\n",
			func(t *testing.T, o *Options, req *Request) {
				assert.Equal(t, "/bin/bash", o.Shell)
				assert.Equal(t, "n", o.Mail)
				assert.Equal(t, "debug", o.Queue)
				assert.Equal(t, "acct", o.Account)
				assert.Equal(t, 2, req.Lines(), "mpiprocs defaults to 1 per chunk")
			}},
		{"Parsl TorqueProvider", Torque, nil,
			"#!/bin/bash\n\n#PBS -S /bin/bash\n#PBS -N parsl.torque\n#PBS -m n\n#PBS -k eo\n#PBS -l walltime=00:10:00\n#PBS -l nodes=2:ppn=3\n#PBS -o /runinfo/submit.stdout\n#PBS -e /runinfo/submit.stderr\n\nexport JOBNAME=x\n",
			func(t *testing.T, o *Options, req *Request) {
				assert.Equal(t, "eo", o.Keep)
				assert.Equal(t, 6, req.Lines())
				assert.Equal(t, 2, req.Nodes())
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd, err := ParseOptions(tc.d, tc.cmd)
			require.NoError(t, err)
			o, req, err := ParseJob(tc.d, cmd, []byte(tc.script), "", false)
			require.NoError(t, err)
			tc.check(t, o, req)
		})
	}
}
