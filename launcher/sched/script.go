package sched

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Script describes a batch job that runs one SPMD program through spmdrun,
// once for every batch system: [Script.Files] renders it.
type Script struct {
	// Name is the job's name (letters, digits, '-', '_', '.').
	Name string
	// Nodes is the number of nodes (hosts), at least 1.
	Nodes int
	// RanksPerNode is the number of ranks on each node, at least 1.
	RanksPerNode int
	// Walltime is the job's time limit; zero leaves the system's default.
	Walltime time.Duration
	// Queue is the PBS queue or the Slurm partition; empty leaves the
	// default. HTCondor has none.
	Queue string
	// Program and Args are what every rank runs.
	Program string
	Args    []string
	// Env holds KEY=VALUE entries exported to every rank (spmdrun -x).
	Env []string
	// Spmdrun is the spmdrun command; empty means "spmdrun" from PATH.
	Spmdrun string
	// Scale, if not nil, makes the job a scaling study instead: it runs
	// spmdbench scale with these flags on Program and Args, the whole
	// sweep inside the job's one allocation (nothing is submitted again);
	// Env is passed to every run. An HTCondor study needs 1 node.
	Scale []string
	// Spmdbench is the spmdbench command for Scale; empty means
	// "spmdbench" from PATH.
	Spmdbench string

	// The options below map to each system's own directive, or are refused
	// by Files, naming the system and the option, for a system that has
	// none (spmdsubmit --help has the table).

	// Account is the account or project charged for the job; empty leaves
	// the default.
	Account string
	// QoS is Slurm's quality of service; empty leaves the default.
	QoS string
	// Memory is each node's memory in bytes, MemoryPerCPU each CPU's
	// (ParseMemory reads both); zero leaves the default. At most one is set.
	Memory, MemoryPerCPU int64
	// Array, if not nil, makes the job an array: one job per index, each
	// rank of which finds its index in SPMD_ARRAY_INDEX (ArrayIndexVar).
	Array *Array
	// MailUser is whom the system mails; MailType when.
	MailUser string
	MailType MailEvents
	// Stdout and Stderr are the job's output and error paths, with the
	// placeholders %j (job id), %x (job name), %a (array index) and %% (a
	// literal %), each written in the system's own form or refused where
	// the system has none; empty leaves the system's default. Stdout alone
	// takes both streams, except under HTCondor, which keeps its own error
	// files; HTCondor's paths gain .$(Node), one file per node.
	Stdout, Stderr string
	// Setup holds shell lines run before the launch (module load go), in
	// order.
	Setup []string
	// Export holds KEY=VALUE entries exported in the job script (the
	// environment submit command for HTCondor) before Setup runs, and
	// passed on to every rank.
	Export []string
}

// Format names a batch system's submission format.
type Format string

// The formats Script.Files writes.
const (
	FormatPBS    Format = "pbs"    // OpenPBS / PBS Pro: -l select=N:ncpus=M:mpiprocs=M
	FormatTorque Format = "torque" // Torque: -l nodes=N:ppn=M
	FormatSlurm  Format = "slurm"  // sbatch
	FormatCondor Format = "condor" // HTCondor parallel universe: submit description and node wrapper
)

// File is one file of a submission.
type File struct {
	Name    string
	Mode    os.FileMode
	Content string
}

// Files renders the script for format f: one batch script for PBS, Torque
// and Slurm (submit it with qsub or sbatch); for HTCondor a submit
// description (NAME.sub, for condor_submit) and the wrapper every node runs
// (NAME.sh). Inside the job, spmdrun finds the allocation by itself.
func (s *Script) Files(f Format) ([]File, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	if err := s.validateScale(f); err != nil {
		return nil, err
	}
	if err := s.validateOptions(f); err != nil {
		return nil, err
	}
	switch f {
	case FormatPBS, FormatTorque:
		return []File{{Name: s.Name + ".pbs", Mode: 0o755, Content: s.pbs(f)}}, nil
	case FormatSlurm:
		return []File{{Name: s.Name + ".sbatch", Mode: 0o755, Content: s.slurm()}}, nil
	case FormatCondor:
		return s.condor(), nil
	}
	return nil, fmt.Errorf("unknown script format %q: want pbs, torque, slurm or condor", f)
}

func (s *Script) validate() error {
	switch {
	case s.Name == "" || strings.Trim(s.Name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != "":
		return fmt.Errorf("invalid job name %q: use letters, digits, '-', '_' and '.'", s.Name)
	case s.Nodes < 1 || s.Nodes > MaxHosts:
		return fmt.Errorf("invalid number of nodes %d", s.Nodes)
	case s.RanksPerNode < 1 || s.RanksPerNode > MaxSlots:
		return fmt.Errorf("invalid ranks per node %d", s.RanksPerNode)
	case s.Walltime < 0:
		return fmt.Errorf("negative walltime %v", s.Walltime)
	case s.Program == "":
		return errors.New("no program")
	case strings.ContainsAny(s.Queue, " \t\n'\"#"):
		return fmt.Errorf("invalid queue %q", s.Queue)
	}
	for _, kv := range s.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return fmt.Errorf("environment entry %q: want KEY=VALUE", kv)
		}
	}
	return nil
}

// command is the spmdrun line, every word quoted for the shell.
func (s *Script) command(extra ...string) string {
	if s.Scale != nil {
		return s.scaleCommand()
	}
	run := s.Spmdrun
	if run == "" {
		run = "spmdrun"
	}
	words := []string{shellQuote(run)}
	for _, e := range extra {
		words = append(words, shellQuote(e))
	}
	for _, kv := range s.Env {
		words = append(words, "-x", shellQuote(kv))
	}
	for _, k := range s.exportedNames() {
		words = append(words, "-x", k)
	}
	words = append(words, shellQuote(s.Program))
	for _, a := range s.Args {
		words = append(words, shellQuote(a))
	}
	return strings.Join(words, " ")
}

// shellQuote quotes w for a POSIX shell unless it needs no quoting.
func shellQuote(w string) string {
	if w != "" && strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}

// hms writes d as hours:minutes:seconds, rounded up to a whole second.
func hms(d time.Duration) string {
	sec := int64((d + time.Second - 1) / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", sec/3600, sec/60%60, sec%60)
}

func (s *Script) pbs(f Format) string {
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	fmt.Fprintf(&b, "#PBS -N %s\n", s.Name)
	if f == FormatTorque {
		fmt.Fprintf(&b, "#PBS -l nodes=%d:ppn=%d\n", s.Nodes, s.RanksPerNode)
	} else {
		// One chunk per node (place=scatter) with mpiprocs lines each in
		// PBS_NODEFILE, which is what spmdrun reads.
		fmt.Fprintf(&b, "#PBS -l select=%d:ncpus=%d:mpiprocs=%d%s\n#PBS -l place=scatter\n", s.Nodes, s.RanksPerNode, s.RanksPerNode, s.pbsChunk())
	}
	if s.Walltime > 0 {
		fmt.Fprintf(&b, "#PBS -l walltime=%s\n", hms(s.Walltime))
	}
	if s.Queue != "" {
		fmt.Fprintf(&b, "#PBS -q %s\n", s.Queue)
	}
	s.writeDirectives(&b, f, "#PBS ")
	if s.Stderr == "" {
		b.WriteString("#PBS -j oe\n")
	}
	b.WriteString("\n# spmdrun reads the nodes from $PBS_NODEFILE.\n")
	b.WriteString("cd \"$PBS_O_WORKDIR\"\n")
	b.WriteString(s.prologue(f))
	fmt.Fprintf(&b, "exec %s\n", s.command())
	return b.String()
}

func (s *Script) slurm() string {
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=%s\n#SBATCH --nodes=%d\n#SBATCH --ntasks-per-node=%d\n", s.Name, s.Nodes, s.RanksPerNode)
	if s.Walltime > 0 {
		fmt.Fprintf(&b, "#SBATCH --time=%s\n", slurmTime(s.Walltime))
	}
	if s.Queue != "" {
		fmt.Fprintf(&b, "#SBATCH --partition=%s\n", s.Queue)
	}
	s.writeDirectives(&b, FormatSlurm, "#SBATCH ")
	b.WriteString("\n# spmdrun reads the nodes from SLURM_JOB_NODELIST and SLURM_TASKS_PER_NODE.\n")
	b.WriteString(s.prologue(FormatSlurm))
	fmt.Fprintf(&b, "exec %s\n", s.command())
	return b.String()
}

func (s *Script) condor() []File {
	var sub strings.Builder
	fmt.Fprintf(&sub, "# HTCondor parallel universe: %d nodes, each running %s.sh.\n", s.Nodes, s.Name)
	sub.WriteString("# Node 0 runs spmdrun, which ends the job when it exits (HTCondor's\n")
	sub.WriteString("# default shutdown policy kills the other nodes when node 0 exits).\n")
	sub.WriteString("# The nodes meet through contact files in the initial working directory,\n")
	sub.WriteString("# which must be on a file system they share (or set SPMD_CONTACT_DIR).\n")
	sub.WriteString("universe = parallel\n")
	fmt.Fprintf(&sub, "executable = %s.sh\n", s.Name)
	fmt.Fprintf(&sub, "machine_count = %d\n", s.Nodes)
	fmt.Fprintf(&sub, "request_cpus = %d\n", s.RanksPerNode)
	s.writeDirectives(&sub, FormatCondor, "")
	sub.WriteString("should_transfer_files = NO\n")
	streams, _ := s.condorStreams()
	sub.WriteString(streams)
	if s.Walltime > 0 {
		// HTCondor has no walltime request; a periodic remove is the usual
		// stand-in.
		fmt.Fprintf(&sub, "periodic_remove = (JobStatus == 2) && (time() - EnteredCurrentStatus > %d)\n", int64((s.Walltime+time.Second-1)/time.Second))
	}
	sub.WriteString(s.condorQueueLine())

	var sh strings.Builder
	sh.WriteString("#!/bin/sh\n")
	sh.WriteString("# Runs on every node of the parallel job. Node 0 is the root: its spmdrun\n")
	sh.WriteString("# finds the nodes through the contact files and starts the ranks; every\n")
	sh.WriteString("# other node joins it as a per-node proxy.\n")
	sh.WriteString(s.prologue(FormatCondor))
	sh.WriteString("if [ \"$_CONDOR_PROCNO\" = 0 ]; then\n")
	fmt.Fprintf(&sh, "\texec %s\n", s.command())
	sh.WriteString("fi\n")
	run := s.Spmdrun
	if run == "" {
		run = "spmdrun"
	}
	fmt.Fprintf(&sh, "exec %s --join\n", shellQuote(run))
	return []File{
		{Name: s.Name + ".sub", Mode: 0o644, Content: sub.String()},
		{Name: s.Name + ".sh", Mode: 0o755, Content: sh.String()},
	}
}
