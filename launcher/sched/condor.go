package sched

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spmd-go/spmd/internal/hostlist"
)

// CondorJob is one node's view of an HTCondor parallel-universe job: every
// node runs the same executable, and the environment says which node this
// is (_CONDOR_PROCNO) out of how many (_CONDOR_NPROCS). Node 0 is the root;
// it learns the other nodes' host names through a Rendezvous.
type CondorJob struct {
	// ProcNo is this node's number, 0..NProcs-1.
	ProcNo int
	// NProcs is the number of nodes.
	NProcs int
	// Slots is the number of ranks this node takes: RequestCpus from the
	// job ad, else 1.
	Slots int
	// Rendezvous is where the nodes meet.
	Rendezvous Rendezvous
}

// fromCondor reads the parallel-universe variables. The rendezvous
// directory is SPMD_CONTACT_DIR, else the job's initial working directory
// (_CONDOR_JOB_IWD), which must be on a file system every node shares. The
// run id, which tells this run's contacts from those an earlier run
// (before an eviction) left behind, is SPMD_RUN_ID, else built from the job
// ad as ClusterId.ProcId.START, where START is the first of runStartAttrs
// the ad has: an attribute the shadow sets once per run, so that every node
// of one run agrees on it and a restarted run differs.
func fromCondor(env func(string) string) (*CondorJob, error) {
	procS, nS := env("_CONDOR_PROCNO"), env("_CONDOR_NPROCS")
	if procS == "" || nS == "" {
		return nil, fmt.Errorf("inconsistent HTCondor variables: _CONDOR_PROCNO=%q and _CONDOR_NPROCS=%q: need both", procS, nS)
	}
	proc, err := strconv.Atoi(procS)
	if err != nil || proc < 0 {
		return nil, fmt.Errorf("_CONDOR_PROCNO=%q: want a node number", procS)
	}
	n, err := strconv.Atoi(nS)
	if err != nil || n < 1 || n > MaxHosts {
		return nil, fmt.Errorf("_CONDOR_NPROCS=%q: want 1..%d nodes", nS, MaxHosts)
	}
	if proc >= n {
		return nil, fmt.Errorf("inconsistent HTCondor variables: _CONDOR_PROCNO=%d is not below _CONDOR_NPROCS=%d", proc, n)
	}
	c := &CondorJob{ProcNo: proc, NProcs: n, Slots: 1}
	dir := env("SPMD_CONTACT_DIR")
	if dir == "" {
		dir = env("_CONDOR_JOB_IWD")
	}
	if dir == "" {
		return nil, errors.New("HTCondor parallel job: set SPMD_CONTACT_DIR to a directory every node shares (_CONDOR_JOB_IWD is not set either)")
	}
	var ad map[string]string
	if p := env("_CONDOR_JOB_AD"); p != "" {
		if ad, err = readClassAd(p); err != nil {
			return nil, fmt.Errorf("_CONDOR_JOB_AD: %w", err)
		}
	}
	run := env("SPMD_RUN_ID")
	if run == "" {
		if run, err = runID(ad); err != nil {
			return nil, err
		}
	}
	if cpus := ad["requestcpus"]; cpus != "" {
		if c.Slots, err = parseCount(cpus); err != nil {
			return nil, fmt.Errorf("_CONDOR_JOB_AD RequestCpus: %w", err)
		}
	}
	c.Rendezvous = Rendezvous{Dir: dir, Run: run, N: n}
	return c, nil
}

// runStartAttrs are the job-ad attributes, in order of preference, that
// mark when the current run of a job started. Each node of a parallel job
// gets its own copy of the job ad, and EnteredCurrentStatus differs between
// the copies (each node's starter enters the running state on its own), so
// it cannot serve; JobCurrentStartDate and ShadowBday are set by the one
// shadow of the run and agree on every node.
var runStartAttrs = []string{"jobcurrentstartdate", "shadowbday"}

// runID is ClusterId.ProcId.START for the job ad ad (names lower-cased).
func runID(ad map[string]string) (string, error) {
	cluster, proc := ad["clusterid"], ad["procid"]
	for _, name := range runStartAttrs {
		if start := ad[name]; cluster != "" && start != "" {
			return cluster + "." + proc + "." + start, nil
		}
	}
	return "", errors.New("HTCondor parallel job: no run id: set SPMD_RUN_ID, or _CONDOR_JOB_AD to a job ad with ClusterId and JobCurrentStartDate or ShadowBday")
}

// readClassAd reads the "Name = value" lines of a ClassAd file (the job ad
// the starter writes), with names lower-cased (ClassAd names ignore case)
// and string quotes removed.
func readClassAd(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ad := map[string]string{}
	err = eachLine(path, f, func(line string) error {
		k, v, ok := strings.Cut(line, "=")
		if ok {
			ad[strings.ToLower(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(v), `"`)
		}
		return nil
	})
	return ad, err
}

// Contact is what one node tells the root.
type Contact struct {
	// ProcNo is the node's number.
	ProcNo int
	// Host is the node's host name.
	Host string
	// Slots is the number of ranks the node takes.
	Slots int
	// Addr is where the node's proxy listens ("host:port"), or "-".
	Addr string
}

// Rendezvous is the contact-file protocol by which the nodes of an HTCondor
// parallel job find each other on a shared directory. Each node writes
// Dir/spmd-contact.<procno>, one line naming the run, itself and its
// address, atomically (a temporary file renamed into place, so a reader
// never sees half a line); the root polls until every node of the current
// run has written. A file left by an earlier run (HTCondor restarts an
// evicted parallel job with the same directory) names another run and is
// ignored until its node overwrites it.
type Rendezvous struct {
	// Dir is a directory every node can read and write.
	Dir string
	// Run identifies this run of the job.
	Run string
	// N is the number of nodes.
	N int
	// Poll is the time between looks at Dir; zero means 200ms.
	Poll time.Duration
}

// contactPrefix starts every contact file's name and line.
const contactPrefix = "spmd-contact"

// path is the contact file of node procNo.
func (r *Rendezvous) path(procNo int) string {
	return filepath.Join(r.Dir, contactPrefix+"."+strconv.Itoa(procNo))
}

// Publish writes c as this run's contact for node c.ProcNo.
func (r *Rendezvous) Publish(c Contact) error {
	if strings.ContainsAny(r.Run, " \n") || r.Run == "" {
		return fmt.Errorf("rendezvous: invalid run id %q", r.Run)
	}
	if why := hostlist.CheckName(c.Host); why != "" {
		return fmt.Errorf("rendezvous: %s", why)
	}
	if c.Addr == "" {
		c.Addr = "-"
	}
	line := fmt.Sprintf("%s run=%s procno=%d host=%s slots=%d addr=%s\n", contactPrefix, r.Run, c.ProcNo, c.Host, c.Slots, c.Addr)
	tmp, err := os.CreateTemp(r.Dir, ".spmd-contact-*")
	if err != nil {
		return fmt.Errorf("rendezvous: %w", err)
	}
	_, werr := tmp.WriteString(line)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("rendezvous: writing %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), r.path(c.ProcNo)); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("rendezvous: %w", err)
	}
	return nil
}

// Collect waits until every node of this run has published and returns the
// contacts in node order. It polls Dir (a shared file system offers no
// reliable change notification) until ctx ends, and then says which nodes
// are missing.
func (r *Rendezvous) Collect(ctx context.Context) ([]Contact, error) {
	poll := r.Poll
	if poll <= 0 {
		poll = 200 * time.Millisecond
	}
	got := make([]*Contact, r.N)
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		missing, stale := []string{}, []string{}
		for i := range got {
			if got[i] != nil {
				continue
			}
			c, err := r.read(i)
			var se *staleError
			switch {
			case err == nil:
				got[i] = c
			case errors.As(err, &se):
				missing = append(missing, strconv.Itoa(i))
				stale = append(stale, fmt.Sprintf("node %d's names run %s", i, se.run))
			case errors.Is(err, os.ErrNotExist):
				missing = append(missing, strconv.Itoa(i))
			default:
				return nil, err
			}
		}
		if len(missing) == 0 {
			out := make([]Contact, r.N)
			for i, c := range got {
				out[i] = *c
			}
			return out, nil
		}
		select {
		case <-ctx.Done():
			seen := r.N - len(missing)
			why := ""
			if len(stale) > 0 {
				why = " (" + strings.Join(stale, ", ") + ")"
			}
			return nil, fmt.Errorf("rendezvous in %s: %d of %d nodes of run %s seen, none from node(s) %s%s: %w", r.Dir, seen, r.N, r.Run, strings.Join(missing, ","), why, ctx.Err())
		case <-t.C:
		}
	}
}

// Remove deletes this run's contact files, leaving other runs' alone.
func (r *Rendezvous) Remove() {
	for i := range r.N {
		if _, err := r.read(i); err == nil {
			_ = os.Remove(r.path(i))
		}
	}
}

// staleError marks a contact file from another run.
type staleError struct{ run string }

func (e *staleError) Error() string { return "contact from another run " + e.run }

// read reads node i's contact file.
func (r *Rendezvous) read(i int) (*Contact, error) {
	f, err := os.Open(r.path(i))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("rendezvous: %s: incomplete contact: %w", r.path(i), ErrSyntax)
	}
	c, run, err := ParseContact(line)
	if err != nil {
		return nil, fmt.Errorf("rendezvous: %s: %w", r.path(i), err)
	}
	if run != r.Run {
		return nil, &staleError{run}
	}
	if c.ProcNo != i {
		return nil, fmt.Errorf("rendezvous: %s names node %d: %w", r.path(i), c.ProcNo, ErrSyntax)
	}
	return c, nil
}

// ParseContact parses one contact line and returns it with its run id.
func ParseContact(line string) (*Contact, string, error) {
	fields := strings.Fields(line)
	if len(fields) != 6 || fields[0] != contactPrefix {
		return nil, "", fmt.Errorf("not a contact line %q: %w", line, ErrSyntax)
	}
	kv := map[string]string{}
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok || v == "" {
			return nil, "", fmt.Errorf("contact field %q: want key=value: %w", f, ErrSyntax)
		}
		kv[k] = v
	}
	c := &Contact{Host: kv["host"], Addr: kv["addr"]}
	var err error
	if c.ProcNo, err = parseNumber(kv["procno"]); err != nil {
		return nil, "", fmt.Errorf("contact procno: %w", err)
	}
	if c.Slots, err = parseCount(kv["slots"]); err != nil {
		return nil, "", fmt.Errorf("contact slots: %w: %w", ErrSyntax, err)
	}
	if why := hostlist.CheckName(c.Host); why != "" {
		return nil, "", fmt.Errorf("contact: %s: %w", why, ErrSyntax)
	}
	if kv["run"] == "" || c.Addr == "" {
		return nil, "", fmt.Errorf("contact line %q lacks run or addr: %w", line, ErrSyntax)
	}
	return c, kv["run"], nil
}

// Allocation makes the job's allocation from the contacts Collect
// returned: one host per node, in node order. Nodes on one host (HTCondor
// may give one job two slots of one machine) are merged.
func (c *CondorJob) Allocation(contacts []Contact) (*Allocation, error) {
	var l hostList
	for _, ct := range contacts {
		if err := l.add(ct.Host, ct.Slots, 0); err != nil {
			return nil, err
		}
	}
	return &Allocation{Hosts: l.hosts, Source: fmt.Sprintf("HTCondor parallel job, %d nodes (run %s, contacts in %s)", c.NProcs, c.Rendezvous.Run, c.Rendezvous.Dir)}, nil
}

// RootAddrNone is the address node 0 publishes when it has no proxies to
// wait for (every rank runs on its own host): the other nodes then exit.
const RootAddrNone = "none"

// WaitRoot waits until node 0 of this run has published the address at
// which its launcher takes proxies, and returns the contact.
func (r *Rendezvous) WaitRoot(ctx context.Context) (*Contact, error) {
	poll := r.Poll
	if poll <= 0 {
		poll = 200 * time.Millisecond
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		c, err := r.read(0)
		var se *staleError
		seen := ""
		switch {
		case err == nil && c.Addr != "-":
			return c, nil
		case errors.As(err, &se):
			seen = " (its contact names run " + se.run + ")"
		case err == nil, errors.Is(err, os.ErrNotExist):
		default:
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("rendezvous in %s: node 0 of run %s published no address%s: %w", r.Dir, r.Run, seen, ctx.Err())
		case <-t.C:
		}
	}
}

// CookiePath is the file through which node 0 gives the job's cookie to
// the other nodes: in the shared directory, readable by the user only.
func (r *Rendezvous) CookiePath() string {
	return filepath.Join(r.Dir, ".spmd-cookie."+r.Run)
}
