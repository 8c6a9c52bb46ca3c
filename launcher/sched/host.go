package sched

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spmd-go/spmd/internal/hostlist"
)

// MaxSlots bounds the slots of one host and the ranks of one job, so that a
// mistyped count ("slots=1000000000") is refused instead of allocated.
const MaxSlots = 1 << 16

// MaxHosts bounds the hosts of one allocation, and so what a compressed
// Slurm host list may expand to.
const MaxHosts = hostlist.MaxHosts

// ErrSyntax is wrapped by every error about text that does not parse. It is
// the host-list package's sentinel, so that errors from expanding a Slurm
// host list match it too.
var ErrSyntax = hostlist.ErrSyntax

// Host is one node that ranks may be placed on.
type Host struct {
	// Name is the host name or address as the user or batch system gave it.
	Name string
	// Slots is the number of ranks the host takes before the mapping wraps
	// around (oversubscribes); at least 1.
	Slots int
	// MaxSlots, if not zero, is the most ranks the host may ever take
	// (Open MPI's max_slots); zero means no limit.
	MaxSlots int
}

// Allocation is the set of hosts a job may run on and where it came from.
type Allocation struct {
	// Hosts are the hosts in the order ranks are placed on them.
	Hosts []Host
	// Source says where the hosts came from, for people: "--host",
	// "hostfile hosts.txt", "PBS (PBS_NODEFILE=/var/spool/...)".
	Source string
}

// Slots returns the total number of slots.
func (a *Allocation) Slots() int {
	n := 0
	for _, h := range a.Hosts {
		n += h.Slots
	}
	return n
}

// String describes the allocation in a few lines, as spmdrun
// --print-allocation prints it.
func (a *Allocation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "source: %s\nhosts: %d\nslots: %d\n", a.Source, len(a.Hosts), a.Slots())
	for _, h := range a.Hosts {
		fmt.Fprintf(&b, "  %s slots=%d", h.Name, h.Slots)
		if h.MaxSlots > 0 {
			fmt.Fprintf(&b, " max_slots=%d", h.MaxSlots)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// hostList accumulates hosts, merging repeated names into one host with the
// sum of their slots: a host is one node whatever the text repeated
// (PBS_NODEFILE has a line per slot; Open MPI merges repeated hostfile
// lines the same way).
type hostList struct {
	hosts []Host
	index map[string]int
}

// add adds slots (and maxSlots, if set) to name, keeping first-seen order.
func (l *hostList) add(name string, slots, maxSlots int) error {
	if l.index == nil {
		l.index = map[string]int{}
	}
	i, ok := l.index[name]
	if !ok {
		if len(l.hosts) >= MaxHosts {
			return fmt.Errorf("more than %d hosts: %w", MaxHosts, ErrSyntax)
		}
		l.index[name] = len(l.hosts)
		l.hosts = append(l.hosts, Host{Name: name, Slots: slots, MaxSlots: maxSlots})
		return nil
	}
	h := &l.hosts[i]
	if h.Slots+slots > MaxSlots {
		return fmt.Errorf("host %s: more than %d slots: %w", name, MaxSlots, ErrSyntax)
	}
	h.Slots += slots
	switch {
	case h.MaxSlots == 0 && maxSlots == 0:
	case h.MaxSlots == 0 || maxSlots == 0:
		h.MaxSlots = 0 // one entry without a limit lifts it
	default:
		h.MaxSlots += maxSlots
	}
	return nil
}

// maxDigits bounds the digits of a number in a count list or a contact
// line, so that arithmetic on it cannot overflow.
const maxDigits = 9

// parseNumber parses a non-negative decimal of at most maxDigits digits.
func parseNumber(s string) (int, error) {
	if s == "" || len(s) > maxDigits {
		return 0, fmt.Errorf("invalid number %q: %w", s, ErrSyntax)
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("invalid number %q: %w", s, ErrSyntax)
		}
	}
	n, _ := strconv.Atoi(s)
	return n, nil
}

// parseCount parses a slot count: a decimal number in 1..MaxSlots.
func parseCount(s string) (int, error) {
	if s == "" || len(s) > 6 {
		return 0, fmt.Errorf("invalid count %q: want 1..%d", s, MaxSlots)
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("invalid count %q: want 1..%d", s, MaxSlots)
		}
		n = n*10 + int(c-'0')
	}
	if n < 1 || n > MaxSlots {
		return 0, fmt.Errorf("invalid count %q: want 1..%d", s, MaxSlots)
	}
	return n, nil
}
