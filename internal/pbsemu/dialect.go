package pbsemu

import "fmt"

// Dialect is the PBS family an emulated server speaks. The two differ in
// their resource syntax, array options, job environment and commands.
type Dialect string

const (
	// OpenPBS is OpenPBS / PBS Pro: -l select=…:ncpus=…:mpiprocs=…,
	// -l place=…, -J arrays (PBS_ARRAY_INDEX), pbsdsh -- prog, pbs_tmrsh.
	OpenPBS Dialect = "openpbs"
	// Torque is Torque: -l nodes=N:ppn=P, -t arrays (PBS_ARRAYID),
	// PBS_NUM_NODES/PBS_NUM_PPN/PBS_NP, pbsdsh -u; it has no pbs_tmrsh.
	Torque Dialect = "torque"
)

// ParseDialect accepts "openpbs" (or "pbs", "pbspro") and "torque".
func ParseDialect(s string) (Dialect, error) {
	switch s {
	case "openpbs", "pbs", "pbspro":
		return OpenPBS, nil
	case "torque":
		return Torque, nil
	}
	return "", fmt.Errorf("unknown PBS dialect %q: want openpbs or torque", s)
}

// finishedState is the job_state letter qstat shows for a job that has
// ended: F (finished, kept as history) in OpenPBS, C (completed) in Torque.
func (d Dialect) finishedState() string {
	if d == Torque {
		return "C"
	}
	return "F"
}

// exitStatusAttr is the name qstat -f gives the job's exit status:
// OpenPBS writes Exit_status, Torque exit_status.
func (d Dialect) exitStatusAttr() string {
	if d == Torque {
		return "exit_status"
	}
	return "Exit_status"
}

// walltimeExit is the exit status of a job its mom killed for running
// past its walltime: OpenPBS's JOB_EXEC_KILL_WALLTIME (-29) and Torque's
// JOB_EXEC_OVERLIMIT_WT (-11).
func (d Dialect) walltimeExit() int {
	if d == Torque {
		return -11
	}
	return -29
}
