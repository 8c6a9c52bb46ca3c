package sched

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Policy says in which order ranks fill the slots of the hosts.
type Policy int

const (
	// BySlot fills each host's slots before moving on to the next host
	// (block order; Open MPI --map-by slot, MPICH's default): with hosts
	// a:2,b:2, ranks 0,1 go to a and 2,3 to b.
	BySlot Policy = iota
	// ByNode places one rank on each host in turn (round robin; Open MPI
	// --map-by node): with hosts a:2,b:2, ranks 0,2 go to a and 1,3 to b.
	ByNode
)

// ParsePolicy parses "slot" or "node" (also "core", which Open MPI's
// default means for us, and the plurals).
func ParsePolicy(s string) (Policy, error) {
	switch s {
	case "slot", "slots", "core", "cores":
		return BySlot, nil
	case "node", "nodes":
		return ByNode, nil
	}
	return 0, fmt.Errorf("invalid mapping %q: want slot or node", s)
}

// String returns "slot" or "node".
func (p Policy) String() string {
	if p == ByNode {
		return "node"
	}
	return "slot"
}

// MaxRanks bounds the ranks of one job.
const MaxRanks = 1 << 20

// Mapping says on which host each rank runs.
type Mapping struct {
	// Hosts are the hosts that received at least one rank, in the
	// allocation's order. Indexes into Hosts are node ids.
	Hosts []string
	// Node holds each rank's node id: rank r runs on Hosts[Node[r]].
	Node []int
}

// Map places n ranks on hosts. n zero means one rank per slot. ppn, if not
// zero, gives every host ppn slots whatever the allocation says (MPICH's
// -ppn). When the ranks outnumber the slots the placement wraps around and
// hosts are oversubscribed, as MPICH does, except that no host gets more
// than its MaxSlots; ranks left over then are an error.
func Map(hosts []Host, n int, by Policy, ppn int) (*Mapping, error) {
	if len(hosts) == 0 {
		return nil, errors.New("no hosts to place ranks on")
	}
	if ppn < 0 || ppn > MaxSlots {
		return nil, fmt.Errorf("invalid ranks per node %d: want 1..%d", ppn, MaxSlots)
	}
	slots := make([]int, len(hosts))
	total := 0
	for i, h := range hosts {
		slots[i] = h.Slots
		if ppn > 0 {
			slots[i] = ppn
			if h.MaxSlots > 0 && ppn > h.MaxSlots {
				return nil, fmt.Errorf("%d ranks per node exceed host %s's max_slots=%d", ppn, h.Name, h.MaxSlots)
			}
		}
		if slots[i] < 1 {
			return nil, fmt.Errorf("host %s has no slots", h.Name)
		}
		total += slots[i]
	}
	if n == 0 {
		n = total
	}
	if n < 0 || n > MaxRanks {
		return nil, fmt.Errorf("invalid number of ranks %d: want 1..%d", n, MaxRanks)
	}
	used := make([]int, len(hosts))
	node := make([]int, 0, n)
	// room is how many more ranks host i takes in the current round.
	room := make([]int, len(hosts))
	for len(node) < n {
		placed := false
		for i := range hosts {
			room[i] = slots[i]
			if m := hosts[i].MaxSlots; m > 0 && used[i]+room[i] > m {
				room[i] = m - used[i]
			}
		}
		switch by {
		case ByNode:
			for more := true; more && len(node) < n; {
				more = false
				for i := range hosts {
					if room[i] > 0 && len(node) < n {
						node, room[i], used[i], more, placed = append(node, i), room[i]-1, used[i]+1, true, true
					}
				}
			}
		default:
			for i := range hosts {
				for ; room[i] > 0 && len(node) < n; room[i]-- {
					node, used[i], placed = append(node, i), used[i]+1, true
				}
			}
		}
		if !placed {
			return nil, fmt.Errorf("%d ranks do not fit: the hosts' max_slots allow %d", n, len(node))
		}
	}
	return compact(hosts, node), nil
}

// compact renumbers the node ids over the hosts that received ranks.
func compact(hosts []Host, node []int) *Mapping {
	id := make([]int, len(hosts))
	for i := range id {
		id[i] = -1
	}
	m := &Mapping{Node: node}
	for _, h := range node {
		if id[h] < 0 {
			id[h] = -2 // mark used; numbered below in host order
		}
	}
	for i, h := range hosts {
		if id[i] == -2 {
			id[i] = len(m.Hosts)
			m.Hosts = append(m.Hosts, h.Name)
		}
	}
	for r, h := range node {
		node[r] = id[h]
	}
	return m
}

// Size returns the number of ranks.
func (m *Mapping) Size() int { return len(m.Node) }

// Local returns the ranks on node id, in rank order.
func (m *Mapping) Local(id int) []int {
	var ranks []int
	for r, h := range m.Node {
		if h == id {
			ranks = append(ranks, r)
		}
	}
	return ranks
}

// LocalRanks returns, for every rank, its index among the ranks on its
// node and the number of ranks there (MPI_LOCALRANKID, MPI_LOCALNRANKS).
func (m *Mapping) LocalRanks() (local, size []int) {
	count := make([]int, len(m.Hosts))
	local = make([]int, len(m.Node))
	for r, h := range m.Node {
		local[r] = count[h]
		count[h]++
	}
	size = make([]int, len(m.Node))
	for r, h := range m.Node {
		size[r] = count[h]
	}
	return local, size
}

// ProcessMapping returns the PMI_process_mapping value that describes m, in
// the "(vector,(node,nodes,ranks-per-node),...)" form MPICH parses: each
// triple puts ranks-per-node consecutive ranks on each of nodes consecutive
// node ids starting at node. Only the shortest period of the rank-to-node
// sequence is written; MPICH repeats the vector from its start until every
// rank has a node (its "legacy format"), so round-robin placements stay
// short at any size. ok is false when even that does not fit in a PMI
// value (limit bytes); Hydra then serves nothing and MPICH falls back to
// comparing host names.
func (m *Mapping) ProcessMapping(limit int) (s string, ok bool) {
	// The whole sequence reads best ("(vector,(0,1,4))" rather than the
	// equivalent "(vector,(0,1,1))"); the period wins when it is shorter.
	s = encodeMapping(m.Node)
	if p := period(m.Node); p < len(m.Node) {
		if short := encodeMapping(m.Node[:p]); len(short) < len(s) {
			s = short
		}
	}
	if len(s) > limit {
		return "", false
	}
	return s, true
}

// encodeMapping writes seq as a vector of triples.
func encodeMapping(seq []int) string {
	var b strings.Builder
	b.WriteString("(vector")
	for i := 0; i < len(seq); {
		// A run of ranks on one node, then further runs of the same length
		// on the following node ids.
		start, count := seq[i], runLen(seq, i)
		nodes := 1
		j := i + count
		for j < len(seq) && seq[j] == start+nodes && runLen(seq, j) == count {
			nodes++
			j += count
		}
		b.WriteString(",(" + strconv.Itoa(start) + "," + strconv.Itoa(nodes) + "," + strconv.Itoa(count) + ")")
		i = j
	}
	b.WriteString(")")
	return b.String()
}

// runLen is the length of the run of equal values starting at seq[i].
func runLen(seq []int, i int) int {
	j := i + 1
	for j < len(seq) && seq[j] == seq[i] {
		j++
	}
	return j - i
}

// period returns the smallest p such that seq[i] == seq[i-p] for every i >=
// p (the Knuth–Morris–Pratt failure function gives it in linear time). It
// need not divide len(seq): MPICH cuts the last repetition short.
func period(seq []int) int {
	if len(seq) == 0 {
		return 0
	}
	fail := make([]int, len(seq))
	k := 0
	for i := 1; i < len(seq); i++ {
		for k > 0 && seq[i] != seq[k] {
			k = fail[k-1]
		}
		if seq[i] == seq[k] {
			k++
		}
		fail[i] = k
	}
	p := len(seq) - fail[len(seq)-1]
	// MPICH restarts the vector at its first triple, which must start at
	// node 0; rank 0 is always on node 0 here, so any period works.
	return p
}
