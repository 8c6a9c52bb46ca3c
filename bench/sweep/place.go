package sweep

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spmd-go/spmd/launcher/sched"
)

// Placement is where one point's ranks go.
type Placement struct {
	// Hosts are the allocation's hosts the point uses, each with the
	// ranks it gets as Slots; nil when there is no allocation (this host).
	Hosts []sched.Host
	// Nodes is the number of hosts used, PPN the most ranks on one.
	Nodes, PPN int
	// Oversubscribed is true when some host gets more ranks than it has
	// slots (or, without an allocation, than this host has CPUs).
	Oversubscribed bool
}

// Place places p ranks. Without an allocation they go on this host,
// which has cpus CPUs. With one, fill decides (see FillNode and
// FillSpread); ranks beyond the allocation's slots wrap around its hosts
// in turn, as spmdrun's placement does, and make the point oversubscribed.
func Place(p int, alloc *sched.Allocation, fill Fill, cpus int) Placement {
	if alloc == nil || len(alloc.Hosts) == 0 {
		return Placement{Nodes: 1, PPN: p, Oversubscribed: p > cpus}
	}
	hosts := alloc.Hosts
	give := make([]int, len(hosts))
	left := p
	if fill == FillSpread {
		n := min(len(hosts), p)
		for i := range n {
			give[i] = p / n
			if i < p%n {
				give[i]++
			}
		}
		left = 0
	} else {
		for i, h := range hosts {
			k := min(h.Slots, left)
			give[i], left = k, left-k
		}
	}
	for i := 0; left > 0; i = (i + 1) % len(hosts) { // more ranks than slots
		give[i]++
		left--
	}
	var pl Placement
	for i, h := range hosts {
		if give[i] == 0 {
			continue
		}
		pl.Hosts = append(pl.Hosts, sched.Host{Name: h.Name, Slots: give[i]})
		pl.PPN = max(pl.PPN, give[i])
		if give[i] > h.Slots {
			pl.Oversubscribed = true
		}
	}
	pl.Nodes = len(pl.Hosts)
	return pl
}

// allocationEnv returns the variables that make spmdrun see pl as its
// allocation, for scheduler s; for PBS it writes the node file under dir.
func allocationEnv(s sched.Scheduler, pl Placement, p int, dir string) ([]string, error) {
	if pl.Hosts == nil {
		return nil, nil
	}
	names := make([]string, len(pl.Hosts))
	counts := make([]string, len(pl.Hosts))
	for i, h := range pl.Hosts {
		names[i], counts[i] = h.Name, strconv.Itoa(h.Slots)
	}
	switch s {
	case sched.PBS:
		var b strings.Builder
		for _, h := range pl.Hosts {
			for range h.Slots {
				b.WriteString(h.Name + "\n")
			}
		}
		path := filepath.Join(dir, fmt.Sprintf("nodefile.p%d", p))
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			return nil, fmt.Errorf("node file for p=%d: %w", p, err)
		}
		return []string{"PBS_NODEFILE=" + path, "PBS_NP=" + strconv.Itoa(p), "SPMD_SCHEDULER=pbs"}, nil
	case sched.Slurm:
		list, tasks := strings.Join(names, ","), strings.Join(counts, ",")
		n, ps := strconv.Itoa(len(names)), strconv.Itoa(p)
		return []string{
			"SLURM_JOB_NODELIST=" + list, "SLURM_NODELIST=" + list,
			"SLURM_TASKS_PER_NODE=" + tasks, "SLURM_JOB_CPUS_PER_NODE=" + tasks,
			"SLURM_JOB_NUM_NODES=" + n, "SLURM_NNODES=" + n,
			"SLURM_NTASKS=" + ps, "SLURM_NPROCS=" + ps, "SPMD_SCHEDULER=slurm",
		}, nil
	}
	return nil, nil
}

// placesItself reports whether spmdrun arguments choose the hosts
// themselves, in which case the study leaves placement to them.
func placesItself(args []string) bool {
	for _, a := range args {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && (name == "host" || name == "hosts" || name == "hostfile" || name == "f" || name == "machinefile") {
			return true
		}
	}
	return false
}
