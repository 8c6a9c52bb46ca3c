package sched

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spmd-go/spmd/internal/hostlist"
)

// ParseTasksPerNode expands a Slurm count list, as in SLURM_TASKS_PER_NODE
// or SLURM_JOB_CPUS_PER_NODE, into one count per node: "2(x3),1" is
// [2 2 2 1]. Counts are 1..MaxSlots, the list at most MaxHosts long.
func ParseTasksPerNode(s string) ([]int, error) {
	var out []int
	for item := range strings.SplitSeq(s, ",") {
		countS, rest, hasRepeat := strings.Cut(item, "(x")
		count, err := parseCount(countS)
		if err != nil {
			return nil, fmt.Errorf("count list %q: %w: %w", s, ErrSyntax, err)
		}
		repeat := 1
		if hasRepeat {
			repS, ok := strings.CutSuffix(rest, ")")
			if !ok {
				return nil, fmt.Errorf("count list %q: %q: want N or N(xM): %w", s, item, ErrSyntax)
			}
			if repeat, err = parseNumber(repS); err != nil || repeat < 1 {
				return nil, fmt.Errorf("count list %q: %q: invalid repeat: %w", s, item, ErrSyntax)
			}
		}
		if repeat > MaxHosts-len(out) {
			return nil, fmt.Errorf("count list %q: more than %d nodes: %w", s, MaxHosts, ErrSyntax)
		}
		for range repeat {
			out = append(out, count)
		}
	}
	return out, nil
}

// fromSlurm reads a Slurm allocation: the nodes of SLURM_JOB_NODELIST (or
// the older SLURM_NODELIST), with SLURM_TASKS_PER_NODE slots each (else
// SLURM_JOB_CPUS_PER_NODE, else one), checked against SLURM_NTASKS and
// SLURM_JOB_NUM_NODES when they are set.
func fromSlurm(env func(string) string) (*Allocation, error) {
	listVar := "SLURM_JOB_NODELIST"
	list := env(listVar)
	if list == "" {
		listVar = "SLURM_NODELIST"
		list = env(listVar)
	}
	if list == "" {
		return nil, errors.New("Slurm job (SLURM_JOB_ID is set) but SLURM_JOB_NODELIST and SLURM_NODELIST are not")
	}
	names, err := hostlist.Expand(list)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", listVar, err)
	}
	counts := make([]int, len(names))
	for i := range counts {
		counts[i] = 1
	}
	countVar := ""
	for _, v := range []string{"SLURM_TASKS_PER_NODE", "SLURM_JOB_CPUS_PER_NODE"} {
		if s := env(v); s != "" {
			countVar = v
			if counts, err = ParseTasksPerNode(s); err != nil {
				return nil, fmt.Errorf("%s: %w", v, err)
			}
			break
		}
	}
	if len(counts) != len(names) {
		return nil, fmt.Errorf("inconsistent Slurm variables: %s=%q lists %d nodes but %s=%q gives counts for %d",
			listVar, list, len(names), countVar, env(countVar), len(counts))
	}
	if s := env("SLURM_JOB_NUM_NODES"); s != "" && s != strconv.Itoa(len(names)) {
		return nil, fmt.Errorf("inconsistent Slurm variables: SLURM_JOB_NUM_NODES=%s but %s=%q lists %d nodes", s, listVar, list, len(names))
	}
	var l hostList
	total := 0
	for i, n := range names {
		if err := l.add(n, counts[i], 0); err != nil {
			return nil, fmt.Errorf("%s: %w", listVar, err)
		}
		total += counts[i]
	}
	if len(l.hosts) != len(names) {
		return nil, fmt.Errorf("%s=%q: a node is listed twice", listVar, list)
	}
	if s := env("SLURM_NTASKS"); s != "" && countVar == "SLURM_TASKS_PER_NODE" && s != strconv.Itoa(total) {
		return nil, fmt.Errorf("inconsistent Slurm variables: SLURM_NTASKS=%s but SLURM_TASKS_PER_NODE=%q adds up to %d", s, env(countVar), total)
	}
	src := "Slurm job " + env("SLURM_JOB_ID") + " (" + listVar
	if countVar != "" {
		src += ", " + countVar
	}
	return &Allocation{Hosts: l.hosts, Source: src + ")"}, nil
}
