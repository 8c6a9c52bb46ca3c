package launcher

import (
	"fmt"
	"os/exec"
	"runtime"

	"golang.org/x/sys/unix"
)

// Binding is a policy for placing a job's ranks on CPUs (Job.BindTo,
// spmdrun --bind-to).
type Binding string

// The binding policies.
const (
	// BindAuto is BindCore on a host where the job's ranks outnumber the
	// CPUs this launcher may use by a whole multiple, else BindNone: the
	// default, which the empty Binding means too. Ranks that share cores
	// evenly run better where they stay put (see BindCore). Ranks with
	// cores to spare are left free, as each may run on its share of the
	// cores (GOMAXPROCS) and the kernel places its threads there; so are
	// ranks that would share cores unevenly (3 on 2 CPUs): bound, two of
	// them would get half a CPU each while the third had one to itself,
	// and the kernel can move them.
	BindAuto Binding = "auto"
	// BindNone leaves the ranks to the kernel's scheduler (as MPICH's
	// Hydra does).
	BindNone Binding = "none"
	// BindCore binds each rank to one CPU: the host's n-th local rank to
	// the n-th CPU this launcher may use, and when ranks outnumber CPUs,
	// blocks of consecutive ranks to each CPU (ranks 0 and 1 on the first
	// of 2 CPUs, 2 and 3 on the second). On an oversubscribed host that
	// keeps the ranks that share a core where they are: unbound, a rank's
	// polling goroutine moves between its OS threads and the kernel places
	// them anew, which makes an oversubscribed barrier's time vary from
	// run to run; bound, it is steady and as fast as the best unbound runs
	// (bench/results/2026-11-21-msg-path).
	BindCore Binding = "core"
)

// ParseBinding checks a binding policy: "auto", "none", "core", or ""
// (auto).
func ParseBinding(s string) (Binding, error) {
	switch b := Binding(s); b {
	case "", BindAuto:
		return BindAuto, nil
	case BindNone, BindCore:
		return b, nil
	}
	return "", fmt.Errorf("invalid binding %q: want auto, none or core", s)
}

// allowedCPUs returns the CPUs this process may run on, in order.
func allowedCPUs() ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, fmt.Errorf("CPU affinity: %w", err)
	}
	var cpus []int
	for i := range len(set) * 64 {
		if set.IsSet(i) {
			cpus = append(cpus, i)
		}
	}
	if len(cpus) == 0 {
		return nil, fmt.Errorf("CPU affinity: no CPU allowed")
	}
	return cpus, nil
}

// bindCPU returns the CPU that the local-th of nlocal ranks on this host
// is bound to under policy, or -1 for none, and how many CPUs the launcher
// may use.
func bindCPU(policy Binding, local, nlocal int) (cpu, ncpus int, err error) {
	if policy == BindNone {
		return -1, 0, nil
	}
	cpus, err := allowedCPUs()
	if err != nil {
		return -1, 0, err
	}
	if policy != BindCore && (nlocal <= len(cpus) || nlocal%len(cpus) != 0) {
		return -1, 0, nil // auto: a CPU for every rank, or an uneven share
	}
	return cpus[blockCPU(local, nlocal, len(cpus))], len(cpus), nil
}

// blockCPU returns the index of the CPU, of ncpus, for the local-th of
// nlocal ranks: the local-th itself while there are CPUs enough, else a
// block of consecutive ranks per CPU (ranks 0 and 1 on the first of 2
// CPUs, 2 and 3 on the second). Blocks rather than a round robin because
// the collectives pair ranks whose numbers differ in their low bits: the
// last step of a binomial broadcast sends to every odd rank, which a
// round robin puts all on one CPU of two, where their copies queue; a
// large broadcast so bound ran slower than unbound, in blocks not
// (bench/results/2026-11-21-coll-small-bind).
func blockCPU(local, nlocal, ncpus int) int {
	if nlocal <= ncpus {
		return local
	}
	return local * ncpus / nlocal
}

// startBound starts cmd bound to CPU cpu (none if cpu < 0). The child
// inherits the CPU mask of the thread that forks it, so this goroutine
// holds its thread, narrows that thread's mask for the fork and puts it
// back after. (The thread must stay alive: it is the one whose exit sends
// the ranks their parent-death signal; see startLocal.)
func startBound(cmd *exec.Cmd, cpu int) error {
	if cpu < 0 {
		return cmd.Start()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var old, one unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		return fmt.Errorf("bind to CPU %d: %w", cpu, err)
	}
	one.Set(cpu)
	if err := unix.SchedSetaffinity(0, &one); err != nil {
		return fmt.Errorf("bind to CPU %d: %w", cpu, err)
	}
	err := cmd.Start()
	if rerr := unix.SchedSetaffinity(0, &old); rerr != nil && err == nil {
		err = fmt.Errorf("restore the launcher's CPU affinity: %w", rerr)
	}
	return err
}
