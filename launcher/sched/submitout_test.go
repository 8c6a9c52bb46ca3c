package sched

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseJobID(t *testing.T) {
	for _, tt := range []struct {
		f       Format
		out, id string
	}{
		{FormatSlurm, "Submitted batch job 42\n", "42"},
		{FormatSlurm, "sbatch: note\nSubmitted batch job 7 on cluster c1\n", "7"},
		{FormatPBS, "1234.pbs-server\n", "1234.pbs-server"},
		{FormatPBS, "qsub: note\n\n 77[].server.example.org \n\n", "77[].server.example.org"},
		{FormatTorque, "55\n", "55"},
		{FormatCondor, "Submitting job(s).\n1 job(s) submitted to cluster 23.\n", "23.0"},
		{FormatCondor, "Submitting job(s).....\n5 job(s) submitted to cluster 9.\n", "9"},
	} {
		id, err := ParseJobID(tt.f, tt.out)
		require.NoError(t, err, tt.out)
		assert.Equal(t, tt.id, id, tt.out)
	}
	for _, tt := range []struct {
		f        Format
		out, why string
	}{
		{FormatSlurm, "", `sbatch printed no job id: ""`},
		{FormatSlurm, "Submitted batch job x\n", "sbatch printed no job id"},
		{FormatPBS, "qsub: Unknown queue\n", `qsub printed no job id: "qsub: Unknown queue"`},
		{FormatTorque, "12 34\n", "qsub printed no job id"},
		{FormatCondor, "Submitting job(s).\n", "condor_submit printed no job id"},
	} {
		_, err := ParseJobID(tt.f, tt.out)
		assert.ErrorContains(t, err, tt.why, tt.out)
	}
}

func TestParsePBSStatus(t *testing.T) {
	openpbs := "Job Id: 12.server\n    Job_Name = pi\n    job_state = F\n    queue = workq\n    Exit_status = 3\n    comment = Job run at ... and finished\n"
	st, err := ParsePBSStatus(openpbs)
	require.NoError(t, err)
	assert.Equal(t, PBSJobStatus{State: "F", ExitStatus: 3, HasExit: true}, st)
	assert.True(t, st.Done())

	torque := "Job Id: 12.server\n    Job_Name = pi\n    job_state = C\n    exit_status = 0\n"
	st, err = ParsePBSStatus(torque)
	require.NoError(t, err)
	assert.Equal(t, PBSJobStatus{State: "C", ExitStatus: 0, HasExit: true}, st)

	st, err = ParsePBSStatus("Job Id: 12.server\n    job_state = R\n")
	require.NoError(t, err)
	assert.False(t, st.Done())
	assert.False(t, st.HasExit)

	_, err = ParsePBSStatus("qstat: Unknown Job Id 12.server\n")
	assert.ErrorContains(t, err, "qstat printed no job_state")
	_, err = ParsePBSStatus("job_state = F\nExit_status = x\n")
	assert.ErrorContains(t, err, `qstat: Exit_status "x" is not a number`)

	for status, code := range map[int]int{0: 0, 3: 3, 255: 255, 256: 1, 265: 137, 271: 143, -1: 1, -11: 1, 1000: 255} {
		assert.Equal(t, code, PBSExitCode(status), status)
	}
}

// condorLog is the user log of a 2-node parallel job, cluster 23.
const condorLog = `000 (023.000.000) 2026-12-06 10:00:00 Job submitted from host: <10.0.0.1:9618?addrs=10.0.0.1-9618>
...
001 (023.000.000) 2026-12-06 10:00:02 Job executing on host: MpiRank 0 <10.0.0.2:9618>
...
014 (023.000.001) 2026-12-06 10:00:02 Node 1 executing on host: <10.0.0.3:9618>
...
015 (023.000.001) 2026-12-06 10:00:09 Node 1 terminated.
	(1) Normal termination (return value 0)
...
005 (023.000.000) 2026-12-06 10:00:09 Job terminated.
	(1) Normal termination (return value 3)
		Usr 0 00:00:00, Sys 0 00:00:00  -  Run Remote Usage
	0  -  Run Bytes Sent By Job
...
`

func TestParseCondorLog(t *testing.T) {
	code, done := ParseCondorLog(condorLog, "23.0")
	assert.True(t, done)
	assert.Equal(t, 3, code)

	_, done = ParseCondorLog(condorLog[:200], "23.0")
	assert.False(t, done, "no termination event yet")

	_, done = ParseCondorLog(condorLog, "24.0")
	assert.False(t, done, "another cluster's log")

	killed := "000 (1234.000.000) t Job submitted\n...\n005 (1234.000.000) t Job terminated.\n\t(0) Abnormal termination (signal 9)\n...\n"
	code, done = ParseCondorLog(killed, "1234.0")
	assert.True(t, done)
	assert.Equal(t, 137, code)

	// An array: done when every submitted job has ended; the highest code.
	array := "000 (007.000.000) t Job submitted\n...\n000 (007.001.000) t Job submitted\n...\n" +
		"005 (007.001.000) t Job terminated.\n\t(1) Normal termination (return value 2)\n...\n"
	_, done = ParseCondorLog(array, "7")
	assert.False(t, done, "job 7.0 still runs")
	array += "009 (007.000.000) t Job was aborted.\n\tvia condor_rm\n...\n"
	code, done = ParseCondorLog(array, "7")
	assert.True(t, done)
	assert.Equal(t, 2, code)
}

// FuzzParseToolOutput checks that the readers of the batch systems'
// output never panic and keep their promises on whatever they are given.
func FuzzParseToolOutput(f *testing.F) {
	for _, s := range []string{"Submitted batch job 42\n", "12.server\n", "1 job(s) submitted to cluster 3.\n", "job_state = F\nExit_status = 1\n", condorLog, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, fm := range []Format{FormatSlurm, FormatPBS, FormatCondor} {
			if id, err := ParseJobID(fm, s); err == nil {
				require.NotEmpty(t, id)
				require.NotContains(t, id, "\n")
			}
		}
		if st, err := ParsePBSStatus(s); err == nil {
			require.NotEmpty(t, st.State)
			code := PBSExitCode(st.ExitStatus)
			require.True(t, code >= 0 && code <= 255)
		}
		code, _ := ParseCondorLog(s, "3.0")
		require.True(t, code >= 0 && code <= 255)
		require.LessOrEqual(t, len(OneLine(s)), 403)
	})
}
