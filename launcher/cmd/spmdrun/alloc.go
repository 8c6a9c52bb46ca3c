package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spmd-go/spmd/launcher/sched"
)

// contactWait bounds how long node 0 of an HTCondor parallel job waits for
// the other nodes' contacts when no connect timeout is given: they start
// at about the same time, but a shared file system may be slow to show new
// files.
const contactWait = 5 * time.Minute

// envConnectTimeout reads SPMD_CONNECT_TIMEOUT, the default of
// --connect-timeout (the variable the ranks read for their wire-up too,
// and the one way to set the bound in a job whose command line spmdsubmit
// wrote); zero when unset.
func envConnectTimeout(lookupEnv func(string) (string, bool)) (time.Duration, error) {
	v, ok := lookupEnv("SPMD_CONNECT_TIMEOUT")
	if !ok || v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("invalid SPMD_CONNECT_TIMEOUT %q: want a positive duration such as 30s or 5m", v)
	}
	return d, nil
}

// meetingWait is how long node 0 waits for the other nodes' contacts: the
// connect timeout when one is given, else contactWait.
func meetingWait(connect time.Duration) time.Duration {
	if connect > 0 {
		return connect
	}
	return contactWait
}

// allocation returns the hosts the options name (--host, --hostfile), else
// those of the batch job spmdrun runs in, else nil: this host alone.
func (o *options) allocation(lookupEnv func(string) (string, bool)) (*sched.Allocation, error) {
	a, err := o.givenHosts()
	if a != nil || err != nil {
		return a, err
	}
	d, err := sched.Detect(lookupEnv)
	if err != nil {
		return nil, err
	}
	o.scheduler = d.Scheduler
	if d.Condor != nil {
		o.condor = d.Condor
		return condorAllocation(d.Condor, meetingWait(o.connect))
	}
	return d.Allocation, nil
}

// condorAllocation meets the other nodes of an HTCondor parallel job. Only
// node 0, the root, runs spmdrun with a program; the other nodes run the
// per-node proxy. It waits at most wait for them, then fails naming the
// nodes it has not heard from.
func condorAllocation(c *sched.CondorJob, wait time.Duration) (*sched.Allocation, error) {
	if c.ProcNo != 0 {
		return nil, fmt.Errorf("HTCondor node %d of %d: only node 0 runs the job; the other nodes run spmdrun --join", c.ProcNo, c.NProcs)
	}
	host, err := os.Hostname()
	if err != nil {
		return nil, fmt.Errorf("HTCondor rendezvous: %w", err)
	}
	r := c.Rendezvous
	if err := r.Publish(sched.Contact{ProcNo: 0, Host: host, Slots: c.Slots}); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	contacts, err := r.Collect(ctx)
	if err != nil {
		return nil, fmt.Errorf("HTCondor: the nodes did not all meet within %v (--connect-timeout, SPMD_CONNECT_TIMEOUT): %w", wait, err)
	}
	return c.Allocation(contacts)
}

// givenHosts returns the hosts the options name (--host, --hostfile), or
// nil when they name none.
func (o *options) givenHosts() (*sched.Allocation, error) {
	switch {
	case o.hosts != "":
		hosts, err := sched.ParseHosts(o.hosts)
		if err != nil {
			return nil, err
		}
		return &sched.Allocation{Hosts: hosts, Source: "--host " + o.hosts}, nil
	case o.hostfile != "":
		f, err := os.Open(o.hostfile)
		if err != nil {
			return nil, fmt.Errorf("hostfile: %w", err)
		}
		defer f.Close()
		hosts, err := sched.ParseHostfile(o.hostfile, f)
		if err != nil {
			return nil, fmt.Errorf("hostfile %w", err)
		}
		return &sched.Allocation{Hosts: hosts, Source: "hostfile " + o.hostfile}, nil
	}
	return nil, nil
}

// mapping places the ranks on a's hosts; with no allocation it returns nil
// (every rank on this host) and the number of ranks.
func (o *options) mapping(a *sched.Allocation) (*sched.Mapping, error) {
	if a == nil {
		return nil, nil
	}
	m, err := sched.Map(a.Hosts, o.n, o.mapBy, o.ppn)
	if err != nil {
		return nil, fmt.Errorf("placing ranks (%s): %w", a.Source, err)
	}
	return m, nil
}

// printAllocation writes what --print-allocation shows: the allocation and
// how many ranks, which ones, each host would get.
func printAllocation(w io.Writer, a *sched.Allocation, m *sched.Mapping, n int) {
	if a == nil {
		fmt.Fprintf(w, "source: this host (no --host, --hostfile or batch allocation)\nranks: %d, all on this host\n", max(n, 1))
		return
	}
	fmt.Fprint(w, a.String())
	fmt.Fprintf(w, "ranks: %d\n", m.Size())
	for id, h := range m.Hosts {
		fmt.Fprintf(w, "  %s: %s\n", h, rankRanges(m.Local(id)))
	}
}

// rankRanges writes sorted ranks compactly: "0-3,8,10-11".
func rankRanges(ranks []int) string {
	s := ""
	for i := 0; i < len(ranks); {
		j := i
		for j+1 < len(ranks) && ranks[j+1] == ranks[j]+1 {
			j++
		}
		if s != "" {
			s += ","
		}
		if j == i {
			s += fmt.Sprint(ranks[i])
		} else {
			s += fmt.Sprintf("%d-%d", ranks[i], ranks[j])
		}
		i = j + 1
	}
	return s
}
