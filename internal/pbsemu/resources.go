package pbsemu

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseResourceList splits a -l value, "name=value[,name=value…]", into
// its resources. A name alone (a boolean resource) has the value "".
// Commas separate resources; select and nodes values use ':' and '+'
// inside, never commas.
func ParseResourceList(s string) ([]Resource, error) {
	if s == "" {
		return nil, errors.New("empty resource list")
	}
	var rs []Resource
	for _, part := range strings.Split(s, ",") {
		name, value, _ := strings.Cut(part, "=")
		if !validResourceName(name) {
			return nil, fmt.Errorf("bad resource name %q", name)
		}
		rs = append(rs, Resource{Name: name, Value: value})
	}
	return rs, nil
}

func validResourceName(n string) bool {
	if n == "" {
		return false
	}
	for i, c := range n {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Chunk is one kind of piece of a job's allocation: Count pieces of NCPUs
// cores, each with MPIProcs lines in PBS_NODEFILE. An OpenPBS select chunk
// or a Torque nodes part ("N:ppn=P", MPIProcs = NCPUs = P).
type Chunk struct {
	Count      int
	NCPUs      int
	MPIProcs   int
	OMPThreads int
	// Host names the host the chunk must run on ("host=" in a select
	// chunk, a host name as a Torque nodes part), or is empty.
	Host string
}

// Request is what a job asks for, resolved by its dialect's rules.
type Request struct {
	Chunks []Chunk
	// Arrangement is OpenPBS's place: free, pack, scatter or vscatter.
	// Torque's nodes=N places each of the N on a host of its own:
	// scatter.
	Arrangement string
	// Excl: no other job shares the job's hosts (place=…:excl).
	Excl bool
	// Walltime is the -l walltime limit, or 0 for none.
	Walltime time.Duration
	// List is Resource_List as qstat -f shows it (after conversions).
	List []Resource
}

// Lines is the number of PBS_NODEFILE lines the request gives.
func (r *Request) Lines() int {
	n := 0
	for _, c := range r.Chunks {
		n += c.Count * c.MPIProcs
	}
	return n
}

// Nodes is the number of chunks (Torque's PBS_NUM_NODES).
func (r *Request) Nodes() int {
	n := 0
	for _, c := range r.Chunks {
		n += c.Count
	}
	return n
}

// ServerError is a job the server refuses. qsub prints "qsub: " and Msg.
type ServerError struct{ Msg string }

func (e *ServerError) Error() string { return e.Msg }

// Messages of the servers, as their qsub prints them after "qsub: ".
const (
	// msgNodesWithSelect is OpenPBS's refusal of -l nodes on a server
	// whose jobs get a select/place (the form visit-dav/visit#1272
	// reports from a PBS Pro site).
	msgNodesWithSelect = "Cannot be used with select or place: nodes"
	// msgTorqueNoFit is Torque's refusal of a nodes request no node can
	// satisfy.
	msgTorqueNoFit = "submit error (Job exceeds queue resource limits MSG=cannot locate feasible nodes (nodes file is empty or all systems are busy))"
	// msgOpenPBSNoFit is OpenPBS's refusal of a request larger than the
	// complex.
	msgOpenPBSNoFit = "Job violates queue and/or server resource limits"
)

// openPBSJobResources are the job-wide resources the OpenPBS dialect
// accepts besides select, place and walltime; openPBSChunkResources are
// those a select chunk may hold.
var (
	openPBSJobResources   = map[string]bool{"ncpus": true, "mem": true, "vmem": true, "cput": true, "pcput": true, "software": true, "arch": true, "nodes": true}
	openPBSChunkResources = map[string]bool{"ncpus": true, "mpiprocs": true, "ompthreads": true, "mem": true, "vmem": true, "host": true, "vnode": true, "ngpus": true, "arch": true}
	torqueResources       = map[string]bool{"nodes": true, "walltime": true, "ncpus": true, "mem": true, "pmem": true, "vmem": true, "pvmem": true, "cput": true, "pcput": true, "file": true, "naccesspolicy": true, "feature": true}
)

// ResolveRequest turns a job's -l resources into its Request under d's
// rules. nodesCompat lets the OpenPBS dialect convert -l nodes=N:ppn=P to
// select=N:ncpus=P:mpiprocs=P (and a ":excl" suffix to place=scatter:excl)
// as pbs_resources.7B's backward compatibility describes; without it the
// dialect refuses nodes like a site whose jobs get a default select/place.
// The Torque dialect refuses select and place.
func ResolveRequest(d Dialect, rs []Resource, nodesCompat bool) (*Request, error) {
	rs = dedupResources(rs)
	if d == Torque {
		return resolveTorque(rs)
	}
	return resolveOpenPBS(rs, nodesCompat)
}

func resolveOpenPBS(rs []Resource, nodesCompat bool) (*Request, error) {
	req := &Request{Arrangement: "free"}
	var sel, place, nodes string
	var haveSel, havePlace, haveNodes bool
	jobNCPUs := 0
	for _, r := range rs {
		switch r.Name {
		case "select":
			sel, haveSel = r.Value, true
		case "place":
			place, havePlace = r.Value, true
		case "nodes":
			nodes, haveNodes = r.Value, true
			continue // replaced by select and place below
		case "walltime":
			w, err := ParseWalltime(OpenPBS, r.Value)
			if err != nil {
				return nil, &UsageError{"illegal -l value"}
			}
			req.Walltime = w
		case "ncpus":
			n, err := strconv.Atoi(r.Value)
			if err != nil || n < 0 {
				return nil, &UsageError{"illegal -l value"}
			}
			jobNCPUs = n
		default:
			if !openPBSJobResources[r.Name] {
				return nil, &ServerError{"Unknown resource: " + r.Name}
			}
		}
		req.List = append(req.List, r)
	}
	if haveNodes {
		if !nodesCompat || haveSel || havePlace {
			return nil, &ServerError{msgNodesWithSelect}
		}
		s, p, err := nodesToSelect(nodes)
		if err != nil {
			return nil, &UsageError{"illegal -l value"}
		}
		sel, haveSel = s, true
		req.List = append(req.List, Resource{"select", s})
		if p != "" {
			place, havePlace = p, true
			req.List = append(req.List, Resource{"place", p})
		}
	}
	if !haveSel {
		// No select: one chunk of the job-wide ncpus (default 1).
		if jobNCPUs == 0 {
			jobNCPUs = 1
		}
		sel = "1:ncpus=" + strconv.Itoa(jobNCPUs)
		req.List = append(req.List, Resource{"select", sel})
	}
	chunks, err := ParseSelect(sel)
	if err != nil {
		return nil, err
	}
	req.Chunks = chunks
	if havePlace {
		a, excl, err := ParsePlace(place)
		if err != nil {
			return nil, err
		}
		req.Arrangement, req.Excl = a, excl
	}
	return req, nil
}

// ParseSelect parses an OpenPBS select value, "[N:]chunk[+[N:]chunk…]"
// with chunk "res=value[:res=value…]". In each chunk ncpus defaults to 1,
// mpiprocs to 1 when ncpus > 0 (else 0), and ompthreads to ncpus.
func ParseSelect(s string) ([]Chunk, error) {
	if s == "" {
		return nil, &UsageError{"illegal -l value"}
	}
	var chunks []Chunk
	for _, part := range strings.Split(s, "+") {
		fields := strings.Split(part, ":")
		c := Chunk{Count: 1, NCPUs: -1, MPIProcs: -1, OMPThreads: -1}
		if n, err := strconv.Atoi(fields[0]); err == nil {
			if n < 1 {
				return nil, &UsageError{"illegal -l value"}
			}
			c.Count = n
			fields = fields[1:]
		}
		for _, f := range fields {
			name, value, ok := strings.Cut(f, "=")
			if !ok || name == "" || value == "" {
				return nil, &UsageError{"illegal -l value"}
			}
			if !openPBSChunkResources[name] {
				return nil, &ServerError{"Unknown resource: " + name}
			}
			var n int
			switch name {
			case "ncpus", "mpiprocs", "ompthreads", "ngpus":
				v, err := strconv.Atoi(value)
				if err != nil || v < 0 {
					return nil, &UsageError{"illegal -l value"}
				}
				n = v
			}
			switch name {
			case "ncpus":
				c.NCPUs = n
			case "mpiprocs":
				c.MPIProcs = n
			case "ompthreads":
				c.OMPThreads = n
			case "host", "vnode":
				c.Host = value
			}
		}
		if c.NCPUs < 0 {
			c.NCPUs = 1
		}
		if c.MPIProcs < 0 {
			c.MPIProcs = 0
			if c.NCPUs > 0 {
				c.MPIProcs = 1
			}
		}
		if c.OMPThreads < 0 {
			c.OMPThreads = c.NCPUs
		}
		chunks = append(chunks, c)
	}
	return chunks, nil
}

// ParsePlace parses an OpenPBS place value: an arrangement (free, pack,
// scatter, vscatter) and a sharing (excl, shared, exclhost), each at most
// once, in any order, separated by ':'.
func ParsePlace(s string) (arrangement string, excl bool, err error) {
	arrangement = "free"
	var seenA, seenS bool
	for _, f := range strings.Split(s, ":") {
		switch f {
		case "free", "pack", "scatter", "vscatter":
			if seenA {
				return "", false, &UsageError{"illegal -l value"}
			}
			arrangement, seenA = f, true
		case "excl", "exclhost", "shared":
			if seenS {
				return "", false, &UsageError{"illegal -l value"}
			}
			excl, seenS = f != "shared", true
		default:
			return "", false, &UsageError{"illegal -l value"}
		}
	}
	return arrangement, excl, nil
}

// nodesToSelect converts an old -l nodes value to select and place as
// pbs_resources.7B describes: N:ppn=P → N:ncpus=P:mpiprocs=P, and a
// trailing ":excl" → place=scatter:excl (otherwise place=scatter).
func nodesToSelect(nodes string) (sel, place string, err error) {
	parts, excl, err := parseNodes(nodes)
	if err != nil {
		return "", "", err
	}
	var b []string
	for _, c := range parts {
		s := fmt.Sprintf("%d:ncpus=%d:mpiprocs=%d", c.Count, c.NCPUs, c.MPIProcs)
		if c.Host != "" {
			s = fmt.Sprintf("1:host=%s:ncpus=%d:mpiprocs=%d", c.Host, c.NCPUs, c.MPIProcs)
		}
		b = append(b, s)
	}
	place = "scatter"
	if excl {
		place = "scatter:excl"
	}
	return strings.Join(b, "+"), place, nil
}

// parseNodes parses a Torque nodes value, "N[:ppn=P][:prop…][+…]" where a
// part may start with a host name instead of a count. Properties are
// returned as an error: the emulated nodes have none.
func parseNodes(s string) (parts []Chunk, excl bool, err error) {
	if s == "" {
		return nil, false, errors.New("empty nodes")
	}
	for _, part := range strings.Split(s, "+") {
		fields := strings.Split(part, ":")
		c := Chunk{Count: 1, NCPUs: 1, MPIProcs: 1}
		if n, err := strconv.Atoi(fields[0]); err == nil {
			if n < 1 {
				return nil, false, errors.New("node count below 1")
			}
			c.Count = n
		} else if validHostName(fields[0]) {
			c.Host = fields[0]
		} else {
			return nil, false, fmt.Errorf("bad node spec %q", fields[0])
		}
		for _, f := range fields[1:] {
			name, value, ok := strings.Cut(f, "=")
			switch {
			case ok && name == "ppn":
				p, err := strconv.Atoi(value)
				if err != nil || p < 1 {
					return nil, false, fmt.Errorf("bad ppn %q", value)
				}
				c.NCPUs, c.MPIProcs = p, p
			case !ok && f == "excl":
				excl = true
			default:
				return nil, false, &ServerError{msgTorqueNoFit}
			}
		}
		c.OMPThreads = c.NCPUs
		parts = append(parts, c)
	}
	return parts, excl, nil
}

func validHostName(s string) bool {
	if s == "" || s[0] == '-' {
		return false
	}
	for _, c := range s {
		if !(c == '-' || c == '.' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func resolveTorque(rs []Resource) (*Request, error) {
	req := &Request{Arrangement: "scatter"}
	nodes := "1"
	for _, r := range rs {
		switch r.Name {
		case "nodes":
			nodes = r.Value
		case "walltime":
			w, err := ParseWalltime(Torque, r.Value)
			if err != nil {
				return nil, &UsageError{"illegal -l value"}
			}
			req.Walltime = w
		default:
			if !torqueResources[r.Name] {
				// dask-jobqueue#99: "qsub: submit error (Command syntax
				// invalid …" from a Torque site given select=.
				return nil, &ServerError{fmt.Sprintf("submit error (Unknown resource type  MSG=Resource_List.%s)", r.Name)}
			}
		}
		req.List = append(req.List, r)
	}
	parts, excl, err := parseNodes(nodes)
	if err != nil {
		var se *ServerError
		if errors.As(err, &se) {
			return nil, se
		}
		return nil, &UsageError{"illegal -l value"}
	}
	req.Chunks, req.Excl = parts, excl
	return req, nil
}

// ParseWalltime parses a walltime: OpenPBS's Duration "[[hh:]mm:]ss[.ms]"
// (fractions ignored) or Torque's "[[[dd:]hh:]mm:]ss".
func ParseWalltime(d Dialect, s string) (time.Duration, error) {
	if d == OpenPBS {
		if i := strings.IndexByte(s, '.'); i >= 0 {
			frac := s[i+1:]
			if frac == "" || strings.Trim(frac, "0123456789") != "" {
				return 0, fmt.Errorf("bad walltime %q", s)
			}
			s = s[:i]
		}
	}
	fields := strings.Split(s, ":")
	max := 3
	if d == Torque {
		max = 4
	}
	if len(fields) > max {
		return 0, fmt.Errorf("bad walltime %q", s)
	}
	mult := []int64{1, 60, 3600, 86400}
	var sec int64
	for i := range fields {
		f := fields[len(fields)-1-i]
		if f == "" || len(f) > 9 || strings.Trim(f, "0123456789") != "" {
			return 0, fmt.Errorf("bad walltime %q", s)
		}
		n, _ := strconv.ParseInt(f, 10, 64)
		sec += n * mult[i]
	}
	return time.Duration(sec) * time.Second, nil
}
