package pbsemu

import (
	"fmt"
	"strings"
)

// HostUse is a host of the emulated complex and what running jobs hold
// of it.
type HostUse struct {
	Name  string
	NCPUs int // cores the host offers
	Used  int // cores held by running jobs
	// Exclusive is set while a job that asked for excl holds the host.
	Exclusive bool
}

// Placement is one chunk placed on a host.
type Placement struct {
	Host     string
	NCPUs    int
	MPIProcs int
	Threads  int
}

// Place chooses hosts for every chunk of req among hosts, in the order of
// req.Chunks (each repeated Count times), and returns the placements, or
// nil when req does not fit now. Hosts are tried in their order; the
// arrangement decides how chunks share hosts:
//   - free: a chunk goes on the first host with room;
//   - pack: all chunks on one host;
//   - scatter, vscatter: each chunk on a host of its own (a host holds
//     one chunk of the job);
//   - a chunk naming a host goes there.
//
// With Excl, only hosts no other job uses are taken, and nothing else is
// placed on them while the job runs. hosts is not modified.
func Place(req *Request, hosts []HostUse) []Placement {
	free := make(map[string]int, len(hosts))
	usable := func(h HostUse) bool { return !h.Exclusive && (!req.Excl || h.Used == 0) }
	for _, h := range hosts {
		if usable(h) {
			free[h.Name] = h.NCPUs - h.Used
		}
	}
	var out []Placement
	if req.Arrangement == "pack" {
		total := 0
		for _, c := range req.Chunks {
			total += c.Count * c.NCPUs
		}
		for _, h := range hosts {
			f, ok := free[h.Name]
			if !ok || f < total || !chunksAllow(req.Chunks, h.Name) {
				continue
			}
			for _, c := range req.Chunks {
				for range c.Count {
					out = append(out, Placement{Host: h.Name, NCPUs: c.NCPUs, MPIProcs: c.MPIProcs, Threads: c.OMPThreads})
				}
			}
			return out
		}
		return nil
	}
	taken := map[string]bool{}
	for _, c := range req.Chunks {
		for range c.Count {
			placed := false
			for _, h := range hosts {
				f, ok := free[h.Name]
				if !ok || f < c.NCPUs || (c.Host != "" && c.Host != h.Name) {
					continue
				}
				if req.Arrangement != "free" && taken[h.Name] {
					continue
				}
				free[h.Name] = f - c.NCPUs
				taken[h.Name] = true
				out = append(out, Placement{Host: h.Name, NCPUs: c.NCPUs, MPIProcs: c.MPIProcs, Threads: c.OMPThreads})
				placed = true
				break
			}
			if !placed {
				return nil
			}
		}
	}
	return out
}

// chunksAllow reports whether every chunk may run on host.
func chunksAllow(chunks []Chunk, host string) bool {
	for _, c := range chunks {
		if c.Host != "" && c.Host != host {
			return false
		}
	}
	return true
}

// Nodefile is the content of the job's PBS_NODEFILE: for each placement,
// in order, its host's short name (up to the first '.') MPIProcs times,
// one per line.
func Nodefile(ps []Placement) string {
	var b strings.Builder
	for _, p := range ps {
		short, _, _ := strings.Cut(p.Host, ".")
		for range p.MPIProcs {
			b.WriteString(short)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// ExecHost is the exec_host qstat -f shows: OpenPBS writes each chunk as
// host/0*ncpus joined by '+'; Torque writes one host/cpu entry per core,
// host/0-1 for a range.
func ExecHost(d Dialect, ps []Placement) string {
	var parts []string
	for _, p := range ps {
		if d == Torque {
			if p.NCPUs <= 1 {
				parts = append(parts, p.Host+"/0")
			} else {
				parts = append(parts, fmt.Sprintf("%s/0-%d", p.Host, p.NCPUs-1))
			}
			continue
		}
		parts = append(parts, fmt.Sprintf("%s/0*%d", p.Host, p.NCPUs))
	}
	return strings.Join(parts, "+")
}

// UniqueHosts is the job's hosts in first-use order.
func UniqueHosts(ps []Placement) []string {
	var hs []string
	seen := map[string]bool{}
	for _, p := range ps {
		if !seen[p.Host] {
			seen[p.Host] = true
			hs = append(hs, p.Host)
		}
	}
	return hs
}
