package profile

import (
	"cmp"
	"slices"
)

// AssignLanes gives every slice a lane (a trace viewer's thread track) so
// that the slices on one lane either nest or do not overlap, which trace
// viewers require of one thread's slices. A rank that calls spmd from one
// goroutine needs one lane; concurrent calls from several goroutines
// overlap and spill onto more. It returns the lane of each slice (in the
// order given) and the number of lanes.
func AssignLanes(s []Slice) (lane []int, lanes int) {
	order := make([]int, len(s))
	for i := range order {
		order[i] = i
	}
	// Outer slices before the slices they enclose.
	slices.SortStableFunc(order, func(a, b int) int {
		if c := cmp.Compare(s[a].Start, s[b].Start); c != 0 {
			return c
		}
		return cmp.Compare(s[b].End, s[a].End)
	})
	lane = make([]int, len(s))
	var open [][]int64 // per lane, the ends of the slices still open, innermost last
	for _, i := range order {
		placed := false
		for l := range open {
			st := open[l]
			for len(st) > 0 && st[len(st)-1] <= s[i].Start {
				st = st[:len(st)-1]
			}
			open[l] = st
			if len(st) == 0 || s[i].End <= st[len(st)-1] {
				open[l] = append(st, s[i].End)
				lane[i], placed = l, true
				break
			}
		}
		if !placed {
			open = append(open, []int64{s[i].End})
			lane[i] = len(open) - 1
		}
	}
	return lane, len(open)
}
