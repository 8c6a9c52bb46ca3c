package sweep

import (
	"bufio"
	"debug/buildinfo"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spmd-go/spmd/launcher/sched"
)

// Provenance is what a study records about how and where it ran, so that
// its numbers can be interpreted and reproduced.
type Provenance struct {
	CommandLine []string `json:"command_line"`
	Program     string   `json:"program"` // absolute path, when found
	// ProgramBuild is the program's Go build information, when it is a
	// Go program (module, version, VCS revision and dirty flag).
	ProgramBuild *BuildInfo `json:"program_build,omitempty"`
	GoVersion    string     `json:"go_version"` // of spmdbench
	SpmdVersion  string     `json:"spmd_version"`
	Spmdrun      string     `json:"spmdrun,omitempty"` // spmdrun --version
	Hostname     string     `json:"hostname"`
	Kernel       string     `json:"kernel,omitempty"`
	CPUModel     string     `json:"cpu_model,omitempty"`
	CPUs         int        `json:"cpus"` // this host's usable CPUs
	Scheduler    string     `json:"scheduler,omitempty"`
	JobID        string     `json:"job_id,omitempty"`
	Allocation   string     `json:"allocation,omitempty"`
	// Env holds the SPMD_* variables, which change spmd's behaviour.
	Env map[string]string `json:"env,omitempty"`
}

// BuildInfo is a Go program's build information.
type BuildInfo struct {
	GoVersion   string `json:"go_version"`
	Path        string `json:"path"`
	Module      string `json:"module"`
	Version     string `json:"version"`
	VCSRevision string `json:"vcs_revision,omitempty"`
	VCSTime     string `json:"vcs_time,omitempty"`
	VCSModified bool   `json:"vcs_modified"`
}

// ReadBuildInfo reads the build information of the Go executable at
// path; nil for other executables.
func ReadBuildInfo(path string) *BuildInfo {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return nil
	}
	b := &BuildInfo{GoVersion: bi.GoVersion, Path: bi.Path, Module: bi.Main.Path, Version: bi.Main.Version}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.VCSRevision = s.Value
		case "vcs.time":
			b.VCSTime = s.Value
		case "vcs.modified":
			b.VCSModified = s.Value == "true"
		}
	}
	return b
}

// collectProvenance gathers the provenance of a study of the program at
// path, run through spmdrun (empty for a foreign launcher).
func collectProvenance(path, spmdrun string, d *sched.Detected, lookupEnv func(string) (string, bool)) Provenance {
	p := Provenance{CommandLine: os.Args, Program: path, ProgramBuild: ReadBuildInfo(path),
		GoVersion: runtime.Version(), SpmdVersion: spmdVersion(), CPUs: runtime.NumCPU(),
		CPUModel: cpuModel(), Env: map[string]string{}}
	p.Hostname, _ = os.Hostname()
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		p.Kernel = strings.TrimSpace(string(b))
	}
	if spmdrun != "" {
		if out, err := exec.Command(spmdrun, "--version").Output(); err == nil {
			p.Spmdrun = strings.TrimSpace(string(out))
		}
	}
	if d != nil && d.Scheduler != sched.NoScheduler {
		p.Scheduler = string(d.Scheduler)
		for _, k := range []string{"PBS_JOBID", "SLURM_JOB_ID", "SLURM_JOBID", "_CONDOR_CLUSTERID", "CONDOR_ID"} {
			if v, _ := lookupEnv(k); v != "" {
				p.JobID = v
				break
			}
		}
		if d.Allocation != nil {
			p.Allocation = d.Allocation.String()
		}
	}
	for _, kv := range os.Environ() {
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "SPMD_") && k != "SPMD_COOKIE" {
			p.Env[k] = v
		}
	}
	return p
}

// spmdVersion is the version of the spmd module this program was built
// from: the main module's, or the dependency's.
func spmdVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if bi.Main.Path == "github.com/spmd-go/spmd" {
		v := bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				v += " " + s.Value
			}
			if s.Key == "vcs.modified" && s.Value == "true" {
				v += " (modified)"
			}
		}
		return v
	}
	for _, d := range bi.Deps {
		if d.Path == "github.com/spmd-go/spmd" {
			return d.Version
		}
	}
	return "unknown"
}

// cpuModel returns the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
