package sched

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// maxDigits bounds the digits of one number in a host list or count list,
// so that arithmetic on it cannot overflow.
const maxDigits = 9

// ExpandHostlist expands a Slurm host list, as in SLURM_JOB_NODELIST, into
// host names, in Slurm's order:
//
//	tux[0-3,12]       tux0 tux1 tux2 tux3 tux12
//	linux[01-03]b     linux01b linux02b linux03b (a zero-padded low bound fixes the width)
//	a[0-1].b[0-1]     a0.b0 a0.b1 a1.b0 a1.b1 (the leftmost range varies slowest)
//	n1,n[3-4]         n1 n3 n4
//
// Items are separated by commas outside brackets. The expansion is bounded
// by MaxHosts names; more, and malformed lists, are errors wrapping
// ErrSyntax.
func ExpandHostlist(s string) ([]string, error) {
	var out []string
	for _, item := range splitOutsideBrackets(s) {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, fmt.Errorf("host list %q: empty item: %w", s, ErrSyntax)
		}
		names, err := expandItem(item, MaxHosts-len(out))
		if err != nil {
			return nil, fmt.Errorf("host list %q: %w", s, err)
		}
		out = append(out, names...)
	}
	return out, nil
}

// splitOutsideBrackets splits s at commas (and blanks, which Slurm also
// accepts) that are not inside brackets.
func splitOutsideBrackets(s string) []string {
	var items []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case ',', ' ':
			if depth == 0 {
				items = append(items, s[start:i])
				start = i + 1
			}
		}
	}
	return append(items, s[start:])
}

// expandItem expands one host expression with any number of bracketed
// ranges into at most limit names.
func expandItem(item string, limit int) ([]string, error) {
	names := []string{""}
	for item != "" {
		open := strings.IndexByte(item, '[')
		if open < 0 {
			if strings.IndexByte(item, ']') >= 0 {
				return nil, fmt.Errorf("']' without '[': %w", ErrSyntax)
			}
			names = appendAll(names, []string{item})
			break
		}
		closing := strings.IndexByte(item, ']')
		if closing < open {
			return nil, fmt.Errorf("'[' without ']' in %q: %w", item, ErrSyntax)
		}
		if strings.IndexByte(item[open+1:closing], '[') >= 0 {
			return nil, fmt.Errorf("nested '[' in %q: %w", item, ErrSyntax)
		}
		if open > 0 {
			names = appendAll(names, []string{item[:open]})
		}
		nums, err := expandRanges(item[open+1:closing], limit)
		if err != nil {
			return nil, err
		}
		if len(names)*len(nums) > limit {
			return nil, fmt.Errorf("expands to more than %d hosts: %w", MaxHosts, ErrSyntax)
		}
		names = appendAll(names, nums)
		item = item[closing+1:]
	}
	for _, n := range names {
		if why := validHostName(n); why != "" {
			return nil, fmt.Errorf("%s: %w", why, ErrSyntax)
		}
	}
	return names, nil
}

// appendAll returns every prefix followed by every suffix, prefixes
// varying slowest.
func appendAll(prefixes, suffixes []string) []string {
	out := make([]string, 0, len(prefixes)*len(suffixes))
	for _, p := range prefixes {
		for _, s := range suffixes {
			out = append(out, p+s)
		}
	}
	return out
}

// expandRanges expands the inside of brackets, "0-3,12,07-09", into at
// most limit numbers written with the width of each range's low bound.
func expandRanges(s string, limit int) ([]string, error) {
	var out []string
	for r := range strings.SplitSeq(s, ",") {
		loS, hiS, isRange := strings.Cut(r, "-")
		if !isRange {
			hiS = loS
		}
		lo, err := parseNumber(loS)
		if err != nil {
			return nil, fmt.Errorf("range %q: %w", r, err)
		}
		hi, err := parseNumber(hiS)
		if err != nil {
			return nil, fmt.Errorf("range %q: %w", r, err)
		}
		if hi < lo {
			return nil, fmt.Errorf("range %q runs backwards: %w", r, ErrSyntax)
		}
		if hi-lo+1 > limit-len(out) {
			return nil, fmt.Errorf("expands to more than %d hosts: %w", MaxHosts, ErrSyntax)
		}
		for n := lo; n <= hi; n++ {
			out = append(out, fmt.Sprintf("%0*d", len(loS), n))
		}
	}
	return out, nil
}

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
	names, err := ExpandHostlist(list)
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
