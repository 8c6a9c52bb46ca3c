package sched

import (
	"fmt"
	"strconv"
	"strings"
)

// ArrayIndexVar is the variable through which every rank of an array job's
// task learns the task's index, whatever the batch system calls it
// (SLURM_ARRAY_TASK_ID, PBS_ARRAY_INDEX, PBS_ARRAYID, or HTCondor's
// $(Process)).
const ArrayIndexVar = "SPMD_ARRAY_INDEX"

// Limits of an array job: indices 0..MaxArrayIndex, at most MaxArrayTasks
// tasks. Sites set lower limits (Slurm's MaxArraySize defaults to 1001);
// these only bound what is parsed and expanded.
const (
	MaxArrayIndex = 999_999
	MaxArrayTasks = 100_000
)

// ArrayRange is First..Last in steps of Step; a single index has
// First == Last and Step 1.
type ArrayRange struct {
	First, Last, Step int
}

// Array is a job array: one job per index, each on its own allocation.
type Array struct {
	// Ranges lists the indices, in the order written.
	Ranges []ArrayRange
	// Limit is the most tasks that run at once; zero means no limit.
	Limit int
}

// ParseArray parses a job array in sbatch's --array form: a comma-separated
// list of indices N and ranges N-M or N-M:S (step S), then optionally %P,
// the most tasks that run at once: 1-10, 0-99:10%5, 1,3,7-9. Indices are
// 0..MaxArrayIndex, a range's first index at most its last, steps at least
// 1, at most MaxArrayTasks tasks in all; no index may repeat.
func ParseArray(s string) (*Array, error) {
	fail := func(why string) (*Array, error) {
		return nil, fmt.Errorf("invalid array %q: %s (want indices and ranges such as 1-10, 0-99:10%%5, 1,3,7-9): %w", s, why, ErrSyntax)
	}
	list, limitS, hasLimit := strings.Cut(s, "%")
	a := &Array{}
	if hasLimit {
		n, err := arrayNumber(limitS)
		if err != nil || n < 1 {
			return fail("the limit after % must be a number of at least 1")
		}
		a.Limit = n
	}
	if list == "" {
		return fail("no indices")
	}
	tasks := 0
	seen := map[int]bool{}
	for item := range strings.SplitSeq(list, ",") {
		r := ArrayRange{Step: 1}
		first, rest, isRange := strings.Cut(item, "-")
		var err error
		if r.First, err = arrayNumber(first); err != nil {
			return fail(err.Error())
		}
		r.Last = r.First
		if isRange {
			last, step, hasStep := strings.Cut(rest, ":")
			if r.Last, err = arrayNumber(last); err != nil {
				return fail(err.Error())
			}
			if hasStep {
				if r.Step, err = arrayNumber(step); err != nil || r.Step < 1 {
					return fail(fmt.Sprintf("step %q: want a number of at least 1", step))
				}
			}
			if r.Last < r.First {
				return fail(fmt.Sprintf("range %s: the first index is above the last", item))
			}
		}
		tasks += (r.Last-r.First)/r.Step + 1
		if tasks > MaxArrayTasks {
			return fail(fmt.Sprintf("more than %d tasks", MaxArrayTasks))
		}
		for i := r.First; i <= r.Last; i += r.Step {
			if seen[i] {
				return fail(fmt.Sprintf("index %d listed twice", i))
			}
			seen[i] = true
		}
		a.Ranges = append(a.Ranges, r)
	}
	return a, nil
}

// arrayNumber parses an index, a step or a limit.
func arrayNumber(s string) (int, error) {
	if s == "" || len(s) > 6 {
		return 0, fmt.Errorf("%q: want a number 0..%d", s, MaxArrayIndex)
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q: want a number 0..%d", s, MaxArrayIndex)
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

// String writes a in sbatch's --array form; ParseArray reads it back.
func (a *Array) String() string {
	return a.list(true) + a.limitSuffix()
}

func (a *Array) limitSuffix() string {
	if a.Limit == 0 {
		return ""
	}
	return "%" + strconv.Itoa(a.Limit)
}

// list writes the ranges; with steps false, a range with a step is written
// as its indices (for Torque, whose -t has no steps).
func (a *Array) list(steps bool) string {
	var items []string
	for _, r := range a.Ranges {
		switch {
		case r.First == r.Last:
			items = append(items, strconv.Itoa(r.First))
		case r.Step == 1:
			items = append(items, fmt.Sprintf("%d-%d", r.First, r.Last))
		case steps:
			items = append(items, fmt.Sprintf("%d-%d:%d", r.First, r.Last, r.Step))
		default:
			for i := r.First; i <= r.Last; i += r.Step {
				items = append(items, strconv.Itoa(i))
			}
		}
	}
	return strings.Join(items, ",")
}

// Indices lists every index of a, in the order written.
func (a *Array) Indices() []int {
	var out []int
	for _, r := range a.Ranges {
		for i := r.First; i <= r.Last; i += r.Step {
			out = append(out, i)
		}
	}
	return out
}

// pbsArray is OpenPBS's -J X-Y[:Z][%max], which takes one range of at
// least two indices.
func (a *Array) pbsArray() (string, error) {
	if len(a.Ranges) != 1 || a.Ranges[0].First >= a.Ranges[0].Last {
		return "", fmt.Errorf("pbs: --array %s: an OpenPBS array (-J) is one range X-Y[:Z] of at least two indices", a)
	}
	r := a.Ranges[0]
	s := fmt.Sprintf("%d-%d", r.First, r.Last)
	if r.Step != 1 {
		s += ":" + strconv.Itoa(r.Step)
	}
	return s + a.limitSuffix(), nil
}

// torqueArray is Torque's -t list[%limit]; ranges with steps are written
// as their indices.
func (a *Array) torqueArray() string {
	return a.list(false) + a.limitSuffix()
}

// condorQueue is the submit description's queue statement for a and the
// macro that holds a task's index: "queue N" and $(Process) when the
// indices are 0..N-1 in order, else one item per index of a queue ... in
// (...) statement. HTCondor has no limit on tasks running at once for a
// parallel-universe cluster, so a limit is refused.
func (a *Array) condorQueue() (queue, index string, err error) {
	if a.Limit != 0 {
		return "", "", fmt.Errorf("condor: --array %s: HTCondor has no limit on running tasks (%%%d); leave it out", a, a.Limit)
	}
	idx := a.Indices()
	contiguous := true
	for i, v := range idx {
		contiguous = contiguous && v == i
	}
	if contiguous {
		return fmt.Sprintf("queue %d", len(idx)), "$(Process)", nil
	}
	words := make([]string, len(idx))
	for i, v := range idx {
		words[i] = strconv.Itoa(v)
	}
	return "queue " + condorArrayMacro + " in (" + strings.Join(words, ", ") + ")", "$(" + condorArrayMacro + ")", nil
}

// condorArrayMacro is the submit macro that holds a task's index when the
// indices are not 0..N-1.
const condorArrayMacro = "SpmdArrayIndex"
