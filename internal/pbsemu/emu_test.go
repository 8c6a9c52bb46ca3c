package pbsemu

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests run the emulated server with two moms on this host ("n1"
// and "n2", 2 cores each): its commands, exit codes and files, without
// network namespaces.

const envScript = `#!/bin/sh
cd "$PBS_O_WORKDIR"
echo "cwd-at-start=$START"
cat "$PBS_NODEFILE" | sed 's/^/node /'
env | grep -E '^(PBS_|NCPUS=|OMP_NUM_THREADS=)' | sort
`

func TestNodesRefusedByOpenPBSAcceptedByTorque(t *testing.T) {
	skipUnlessLinux(t)
	script := "#!/bin/sh\n#PBS -l nodes=2:ppn=2\n#PBS -N nodes\nSTART=$PWD\n" + strings.TrimPrefix(envScript, "#!/bin/sh\n")

	pbs := startEmu(t, OpenPBS, localHosts("n1", "n2"), "", false)
	pbs.script("nodes.pbs", script)
	out, errs, code := pbs.run("qsub", "nodes.pbs")
	assert.Equal(t, 1, code)
	assert.Equal(t, "", out)
	assert.Equal(t, "qsub: Cannot be used with select or place: nodes\n", errs)

	tq := startEmu(t, Torque, localHosts("n1", "n2"), "", false)
	tq.script("nodes.pbs", script)
	id := tq.qsub("nodes.pbs")
	assert.Equal(t, "1.emu", id)
	j := tq.wait(id)
	assert.Equal(t, 0, *j.ExitStatus)
	o := tq.output("nodes.o1")
	home, _ := os.UserHomeDir()
	assert.Contains(t, o, "cwd-at-start="+home+"\n", "a job starts in the owner's home")
	assert.Contains(t, o, "node n1\nnode n1\nnode n2\nnode n2\n")
	for _, kv := range []string{"PBS_NUM_NODES=2", "PBS_NUM_PPN=2", "PBS_NP=4", "PBS_JOBID=1.emu", "PBS_JOBNAME=nodes",
		"PBS_O_WORKDIR=" + tq.submit, "PBS_QUEUE=batch", "PBS_ENVIRONMENT=PBS_BATCH", "PBS_NODEFILE=" + filepath.Join(tq.home, "aux", "1.emu")} {
		assert.Contains(t, o, kv+"\n")
	}
	assert.Equal(t, "", tq.output("nodes.e1"), "an empty .e file is delivered too")

	// And the other way round: select is OpenPBS's, refused by Torque.
	sel := "#!/bin/sh\n#PBS -l select=2:ncpus=2:mpiprocs=2\n#PBS -l place=scatter\n#PBS -j oe\n" + strings.TrimPrefix(envScript, "#!/bin/sh\n")
	tq.script("select.pbs", sel)
	_, errs, code = tq.run("qsub", "select.pbs")
	assert.Equal(t, 1, code)
	assert.Equal(t, "qsub: submit error (Unknown resource type  MSG=Resource_List.select)\n", errs)
	pbs.script("select.pbs", sel)
	id = pbs.qsub("select.pbs")
	assert.Equal(t, 0, *pbs.wait(id).ExitStatus)
	o = pbs.output("select.pbs.o1")
	assert.Contains(t, o, "node n1\nnode n1\nnode n2\nnode n2\n")
	assert.Contains(t, o, "NCPUS=2\n")
	assert.NotContains(t, o, "PBS_NUM_NODES")
	assert.NoFileExists(t, filepath.Join(pbs.submit, "select.pbs.e1"), "-j oe leaves no .e file")
}

func TestNodesConvertedWhenTheServerAllowsIt(t *testing.T) {
	skipUnlessLinux(t)
	e := startEmu(t, OpenPBS, localHosts("n1", "n2"), "", true)
	e.script("n.pbs", "#!/bin/sh\n#PBS -l nodes=2:ppn=2\n#PBS -j oe\ncat $PBS_NODEFILE\n")
	id := e.qsub("n.pbs")
	e.wait(id)
	assert.Equal(t, "n1\nn1\nn2\nn2\n", e.output("n.pbs.o1"))
	out, _, code := e.run("qstat", "-fx", id)
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "Resource_List.select = 2:ncpus=2:mpiprocs=2\n")
	assert.Contains(t, out, "Resource_List.place = scatter\n")
}

func TestDirectivesAndExitCodes(t *testing.T) {
	skipUnlessLinux(t)
	e := startEmu(t, OpenPBS, localHosts("n1", "n2"), "", false)

	e.script("crlf.pbs", "#!/bin/sh\r\n#PBS -N x\r\necho\r\n")
	out, errs, code := e.run("qsub", "crlf.pbs")
	assert.Equal(t, 5, code)
	assert.Equal(t, "", out)
	assert.Equal(t, "qsub: script contains cr, lf\n", errs)

	e.script("bad.pbs", "#!/bin/sh\n#PBS -N 'unterminated\necho\n")
	_, errs, code = e.run("qsub", "bad.pbs")
	assert.Equal(t, 2, code)
	assert.Equal(t, "qsub: directive error: -N 'unterminated\n", errs)

	e.script("badopt.pbs", "#!/bin/sh\n#PBS -Q x\necho\n")
	_, errs, code = e.run("qsub", "badopt.pbs")
	assert.Equal(t, 2, code)
	assert.Equal(t, "qsub: directive error: -Q x\n", errs)

	e.script("ok.pbs", "#!/bin/sh\ntrue\n")
	_, errs, code = e.run("qsub", "-l", "select=2:ppn=2", "ok.pbs")
	assert.Equal(t, 1, code)
	assert.Equal(t, "qsub: Unknown resource: ppn\n", errs)
	_, errs, code = e.run("qsub", "-l", "select=3:ncpus=1,place=scatter", "ok.pbs")
	assert.Equal(t, 1, code, "more hosts than the complex has")
	assert.Equal(t, "qsub: Job violates queue and/or server resource limits\n", errs)
	_, errs, code = e.run("qsub", "-q", "nosuch", "ok.pbs")
	assert.Equal(t, 1, code)
	assert.Equal(t, "qsub: Unknown queue\n", errs)

	// Directives: the command line wins, continuation lines join, ':'
	// lines do not stop scanning, the first command does; a job's exit
	// status is its script's, and qsub -W block=true returns it.
	e.script("d.pbs", `#!/bin/sh
:
#PBS -N fromscript
#PBS -o custom.out \
  -e errs/
  # an indented comment
#PBS -W block=true
echo out; echo err >&2
#PBS -N ignored
exit 7
`)
	require.NoError(t, os.Mkdir(filepath.Join(e.submit, "errs"), 0o755))
	out, errs, code = e.run("qsub", "-N", "fromcmd", "d.pbs")
	assert.Equal(t, 7, code, "-W block=true returns the job's exit status: %s", errs)
	assert.Equal(t, "1.emu\n", out)
	j, err := e.srv.job("1.emu")
	require.NoError(t, err)
	assert.Equal(t, "fromcmd", j.Name)
	assert.Equal(t, 7, *j.ExitStatus)
	assert.Equal(t, "out\n", e.output("custom.out"))
	// The continued line is a line of the script too, which the shell runs.
	assert.Contains(t, e.output("errs/fromcmd.e1"), "-e: not found\nerr\n")

	// qstat: a finished job is history in OpenPBS (-x shows it).
	_, errs, code = e.run("qstat", "1.emu")
	assert.Equal(t, 35, code)
	assert.Equal(t, "qstat: 1.emu Job has finished, use -x or -H to obtain historical job information\n", errs)
	out, _, code = e.run("qstat", "-f", "-x", "1")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "Job Id: 1.emu\n")
	assert.Contains(t, out, "    job_state = F\n")
	assert.Contains(t, out, "    Exit_status = 7\n")
	_, errs, code = e.run("qstat", "99.emu")
	assert.Equal(t, 153, code)
	assert.Equal(t, "qstat: Unknown Job Id 99.emu\n", errs)

	// A script from standard input is job STDIN; a killed script's exit
	// status is 256 + the signal.
	out, _, code = e.runIn(e.submit, []byte("#PBS -j oe\nkill -USR1 $$\n"), "qsub")
	require.Equal(t, 0, code)
	id := strings.TrimSpace(out)
	assert.Equal(t, 256+10, *e.wait(id).ExitStatus)
	assert.FileExists(t, filepath.Join(e.submit, "STDIN.o2"))

	// qsub -W block=true of a job that is deleted returns 3.
	e.script("sleep.pbs", "#!/bin/sh\nsleep 60\n")
	blocked := make(chan int, 1)
	go func() {
		_, _, code := e.run("qsub", "-W", "block=true", "sleep.pbs")
		blocked <- code
	}()
	e.waitState("3.emu", "R")
	_, errs, code = e.run("qdel", "3.emu")
	require.Equal(t, 0, code, errs)
	select {
	case code = <-blocked:
		assert.Equal(t, 3, code, "qsub -W block=true of a deleted job")
	case <-time.After(jobLimit):
		t.Fatal("qsub -W block=true did not return after qdel")
	}

	// PBS_DPREFIX and -C choose the prefix; an empty one turns scanning off.
	e.script("p.pbs", "#!/bin/sh\n#PBS -N pbsname\n#XX -N xxname\ntrue\n")
	id = e.qsub("-C", "#XX", "p.pbs")
	assert.Equal(t, "xxname", e.wait(id).Name)
	id = e.qsub("-C", "", "p.pbs")
	assert.Equal(t, "p.pbs", e.wait(id).Name)
}

func TestArrays(t *testing.T) {
	skipUnlessLinux(t)
	for _, tc := range []struct {
		d        Dialect
		opt      string
		indexVar string
		out      func(i int) string
	}{
		{OpenPBS, "-J", "PBS_ARRAY_INDEX", func(i int) string { return fmt.Sprintf("arr.o1.%d", i) }},
		{Torque, "-t", "PBS_ARRAYID", func(i int) string { return fmt.Sprintf("arr.o1-%d", i) }},
	} {
		t.Run(string(tc.d), func(t *testing.T) {
			e := startEmu(t, tc.d, localHosts("n1", "n2"), "", false)
			e.script("arr.pbs", "#!/bin/sh\n#PBS -N arr\n#PBS -j oe\n#PBS "+tc.opt+" 1-3\necho \"$PBS_JOBID $"+tc.indexVar+" $PBS_ARRAY_ID\"\nexit $"+tc.indexVar+"\n")
			id := e.qsub("arr.pbs")
			assert.Equal(t, "1[].emu", id)
			for i := 1; i <= 3; i++ {
				sub := fmt.Sprintf("1[%d].emu", i)
				j := e.wait(sub)
				assert.Equal(t, i, *j.ExitStatus)
				want := fmt.Sprintf("%s %d \n", sub, i)
				if tc.d == OpenPBS {
					want = fmt.Sprintf("%s %d 1[].emu\n", sub, i)
				}
				assert.Equal(t, want, e.output(tc.out(i)))
			}
			args := []string{"-f", id}
			if tc.d == OpenPBS {
				args = []string{"-f", "-x", id}
			}
			out, _, code := e.run("qstat", args...)
			assert.Equal(t, 0, code)
			assert.Contains(t, out, "job_state = "+tc.d.finishedState()+"\n")
		})
	}
}

func TestWalltimeKillsTheJobOnEveryHost(t *testing.T) {
	skipUnlessLinux(t)
	for _, d := range []Dialect{OpenPBS, Torque} {
		t.Run(string(d), func(t *testing.T) {
			e := startEmu(t, d, localHosts("n1", "n2"), "", false)
			res := "select=2:ncpus=1,place=scatter"
			if d == Torque {
				res = "nodes=2"
			}
			// A task on the other host ignores SIGTERM: SIGKILL after the
			// kill delay must end it.
			e.script("w.pbs", "#!/bin/sh\n#PBS -l "+res+"\n#PBS -l walltime=1\n"+
				"pbsdsh -n 1 -- /bin/sh -c 'trap \"\" TERM; sleep 60' &\nsleep 60\n")
			start := time.Now()
			id := e.qsub("w.pbs")
			j := e.wait(id)
			assert.Equal(t, d.walltimeExit(), *j.ExitStatus)
			assert.Less(t, time.Since(start), 10*time.Second)
			assert.Empty(t, e.processes(id), "processes of the job outlive it")
			assert.Contains(t, e.file("mom/n2.log"), "via=pbsdsh")
		})
	}
}

func TestQdel(t *testing.T) {
	skipUnlessLinux(t)
	e := startEmu(t, Torque, localHosts("n1", "n2"), "", false)
	e.script("q.pbs", "#!/bin/sh\n#PBS -l nodes=2:ppn=2\npbsdsh -u sleep 60 &\nsleep 60\n")
	id := e.qsub("q.pbs")
	// A second job waits for the hosts the first holds.
	id2 := e.qsub("q.pbs")
	e.waitState(id, "R")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(e.file("mom/n2.log"), "via=pbsdsh") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	out, _, _ := e.run("qstat", id2)
	assert.Regexp(t, `(?m)^2\.emu\s+q\.pbs\s+\S+\s+0 Q batch$`, out)
	start := time.Now()
	_, errs, code := e.run("qdel", id)
	require.Equal(t, 0, code, errs)
	j := e.wait(id)
	assert.Less(t, time.Since(start), 5*time.Second, "qdel must end a running job within 5 s")
	assert.Equal(t, 256+15, *j.ExitStatus, "the script (sh) was ended by SIGTERM")
	assert.Empty(t, e.processes(id))
	e.waitState(id2, "R")
	_, _, code = e.run("qdel", id2)
	assert.Equal(t, 0, code)
	e.wait(id2)
	_, errs, code = e.run("qdel", "42.emu")
	assert.Equal(t, 153, code)
	assert.Equal(t, "qdel: Unknown Job Id 42.emu\n", errs)
}

func TestTasks(t *testing.T) {
	skipUnlessLinux(t)
	t.Run("openpbs", func(t *testing.T) {
		e := startEmu(t, OpenPBS, localHosts("n1", "n2"), "", false)
		e.script("t.pbs", `#!/bin/sh
#PBS -l select=2:ncpus=2:mpiprocs=2
#PBS -l place=scatter
#PBS -N t
out=$(pbs_tmrsh n2 'echo tmrsh-out $PBS_TASKNUM $PBS_NODENUM $(hostname -s >/dev/null; echo ok); echo tmrsh-err >&2; exit 4')
echo "tmrsh exit $? stdout [$out]"
pbs_tmrsh nosuch true; echo "unknown host exit $?"
pbsdsh -- /bin/sh -c 'echo dsh $PBS_TASKNUM $PBS_NODENUM $PBS_VNODENUM'; echo "pbsdsh exit $?"
pbsdsh -u -- true; echo "pbsdsh -u exit $?"
pbsdsh -n 3 -- /bin/sh -c 'exit 9'; echo "pbsdsh -n exit $?"
`)
		id := e.qsub("t.pbs")
		assert.Equal(t, 0, *e.wait(id).ExitStatus)
		o := e.output("t.o1")
		assert.Contains(t, o, "tmrsh-out 2 1 ok\n", "pbs_tmrsh's output goes to the job's .o")
		assert.Contains(t, o, "tmrsh exit 4 stdout []\n", "not to pbs_tmrsh's stdout")
		assert.Contains(t, o, "unknown host exit 255\n")
		assert.Contains(t, e.output("t.e1"), "tmrsh-err\n")
		assert.Contains(t, e.output("t.e1"), "pbs_tmrsh: host nosuch is not a node of job 1.emu\n")
		// One task per PBS_NODEFILE line, numbered after pbs_tmrsh's.
		for _, l := range []string{"dsh 3 0 0\n", "dsh 4 0 1\n", "dsh 5 1 2\n", "dsh 6 1 3\n"} {
			assert.Contains(t, o, l)
		}
		assert.Contains(t, o, "pbsdsh exit 0\n")
		assert.Contains(t, o, "pbsdsh -u exit 1\n", "OpenPBS's pbsdsh has no -u")
		assert.Contains(t, e.output("t.e1"), "pbsdsh: invalid option -- 'u'\n")
		assert.Contains(t, o, "pbsdsh -n exit 9\n")
		assert.Contains(t, e.file("mom/n2.log"), "via=pbs_tmrsh")
	})
	t.Run("torque", func(t *testing.T) {
		e := startEmu(t, Torque, localHosts("n1", "n2"), "", false)
		e.script("t.pbs", `#!/bin/sh
#PBS -l nodes=2:ppn=2
#PBS -j oe
#PBS -N t
pbsdsh -u /bin/sh -c 'echo u $PBS_NODENUM $PBS_VNODENUM'
pbsdsh -h n2 /bin/sh -c 'echo h $PBS_NODENUM'
command -v pbs_tmrsh || echo "no pbs_tmrsh"
pbsdsh -c 3 -- true; echo "pbsdsh -c exit $?"
got=$(pbsdsh -o -n 2 /bin/echo captured); echo "pbsdsh -o [$got]"
`)
		id := e.qsub("t.pbs")
		assert.Equal(t, 0, *e.wait(id).ExitStatus)
		o := e.output("t.o1")
		assert.Contains(t, o, "u 0 0\n")
		assert.Contains(t, o, "u 1 2\n")
		assert.Equal(t, 2, strings.Count(o, "u "), "-u: one task per host: %s", o)
		assert.Contains(t, o, "h 1\n")
		assert.Contains(t, o, "no pbs_tmrsh\n", "Torque has no pbs_tmrsh")
		assert.Contains(t, o, "pbsdsh -c exit 0\n")
		assert.Contains(t, o, "pbsdsh -o [captured]\n", "-o brings the task's output back to pbsdsh")
		assert.Equal(t, 1, strings.Count(o, "captured"))
	})
}
