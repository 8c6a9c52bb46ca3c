package launcher

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The diagnosis printed after the table of blocked operations: the ranks
// grouped by where they wait, and the odd ones out. It needs reports in the
// second format, which name the user-level call and its caller.

// rankPlace is a group of ranks that are in the same place.
type rankPlace struct {
	Ranks   []int  // ascending
	What    string // "waits in Barrier (main.go:24)", "is not in spmd: main.main (main.go:22)"
	Waiting bool   // blocked in spmd
}

// hangDiagnosis is the decision diagnose makes.
type hangDiagnosis struct {
	Places []rankPlace // the largest group first, then by first rank
	Odd    []int       // the ranks outside the largest group, when it is the only largest; ascending
}

// diagnose groups ranks by where they are: a rank blocked in spmd by the
// user-level call and call site of its longest-blocked operation, a rank
// not in spmd by the innermost user function of its first goroutine
// outside spmd, other ranks by what is known about them. The odd ones out
// are the ranks outside the largest group, if one group is larger than
// every other and there are at least two groups; otherwise nobody is.
func diagnose(ranks []rankDiag) hangDiagnosis {
	var d hangDiagnosis
	index := map[string]int{}
	for rank, r := range ranks {
		what, waiting := placeOf(r)
		i, ok := index[what]
		if !ok {
			i = len(d.Places)
			index[what] = i
			d.Places = append(d.Places, rankPlace{What: what, Waiting: waiting})
		}
		d.Places[i].Ranks = append(d.Places[i].Ranks, rank)
	}
	slices.SortStableFunc(d.Places, func(a, b rankPlace) int { return len(b.Ranks) - len(a.Ranks) })
	if len(d.Places) >= 2 && len(d.Places[0].Ranks) > len(d.Places[1].Ranks) {
		for _, p := range d.Places[1:] {
			d.Odd = append(d.Odd, p.Ranks...)
		}
		slices.Sort(d.Odd)
	}
	return d
}

// placeOf says where one rank is, as a verb phrase, and whether it is
// blocked in spmd.
func placeOf(r rankDiag) (what string, waiting bool) {
	switch r.State {
	case stateReported:
		if len(r.Report.Ops) > 0 {
			op := r.Report.Ops[0]
			return "waits in " + callLabel(op) + atSite(op.Fn, op.Site, false), true
		}
		if r.Report.More > 0 {
			return "waits in spmd (operations not shown)", true
		}
		if len(r.Report.Idle) > 0 {
			u := r.Report.Idle[0]
			return "is not in spmd: " + orUnknown(u.Fn) + atSite("", u.Site, false), false
		}
		return "is not in spmd", false
	case stateNoReport:
		return "did not answer", false
	case stateBadReport:
		return "sent an unreadable report", false
	case stateNotSpmd:
		return "is not an spmd rank", false
	case stateExited:
		return "exited", false
	case stateFinalized:
		return "finalized", false
	default:
		return "was not started", false
	}
}

// callLabel names the user-level operation of a blocked operation:
// "Recv from 1 tag 7" for point-to-point calls, "Barrier" or
// "Allreduce (allreduceRing)" for collectives (on a communicator's
// collective context, whose internal peers and tags mean nothing to the
// user), or the wait's own word when the report has no call.
func callLabel(op blockedOp) string {
	if op.Call == "" {
		return op.Op
	}
	if op.Ctx&1 == 1 { // a collective context: see commName
		if op.Alg != "" {
			return op.Call + " (" + op.Alg + ")"
		}
		return op.Call
	}
	s := op.Call
	switch op.Op {
	case "recv", "probe":
		s += " from " + anyOrNumber(op.Peer) + " tag " + anyOrNumber(op.Tag)
	case "send", "ssend":
		s += " to " + anyOrNumber(op.Peer) + " tag " + anyOrNumber(op.Tag)
	}
	if op.Bytes > 0 {
		s += " " + formatBytes(op.Bytes)
	}
	return s
}

// formatBytes writes a size the way people read it: "8 B", "8 KiB".
func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " B"
}

// atSite formats " (main.go:24)" or " (main.main main.go:24)", or "".
func atSite(fn, site string, withFn bool) string {
	switch {
	case site == "":
		return ""
	case withFn && fn != "":
		return " (" + fn + " " + site + ")"
	}
	return " (" + site + ")"
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// rankRanges writes ascending ranks as "rank 3" or "ranks 0-2,4-5".
func rankRanges(ranks []int) string {
	var parts []string
	for i := 0; i < len(ranks); {
		j := i
		for j+1 < len(ranks) && ranks[j+1] == ranks[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, strconv.Itoa(ranks[i]))
		} else {
			parts = append(parts, strconv.Itoa(ranks[i])+"-"+strconv.Itoa(ranks[j]))
		}
		i = j + 1
	}
	if len(ranks) == 1 {
		return "rank " + parts[0]
	}
	return "ranks " + strings.Join(parts, ",")
}

// hasV2 reports whether some rank's report is in the second format.
func hasV2(ranks []rankDiag) bool {
	for _, r := range ranks {
		if r.State == stateReported && r.Report.V2 {
			return true
		}
	}
	return false
}

// formatDiagnosis writes the diagnosis of ranks, each line indented by two
// spaces at least: the groups, the odd ones out with the stacks of their
// goroutines outside spmd, and the matching queues of the waiting ranks.
// It is empty unless some report is in the second format.
func formatDiagnosis(ranks []rankDiag) string {
	if !hasV2(ranks) {
		return ""
	}
	d := diagnose(ranks)
	var b strings.Builder
	b.WriteString("  diagnosis:\n")
	for _, p := range d.Places {
		what := p.What
		if len(p.Ranks) > 1 {
			what = plural(what)
		}
		fmt.Fprintf(&b, "    %s %s\n", rankRanges(p.Ranks), what)
	}
	switch {
	case len(d.Odd) == 1:
		fmt.Fprintf(&b, "    odd one out: %s\n", rankRanges(d.Odd))
	case len(d.Odd) > 1:
		fmt.Fprintf(&b, "    odd ones out: %s\n", rankRanges(d.Odd))
	case len(d.Places) > 1:
		b.WriteString("    no group is larger than the others: no odd one out\n")
	}
	for _, rank := range d.Odd {
		r := ranks[rank].Report
		if ranks[rank].State != stateReported || r.Stacks == "" {
			continue
		}
		fmt.Fprintf(&b, "  rank %d, goroutines outside spmd:\n", rank)
		for _, l := range strings.Split(strings.TrimRight(r.Stacks, "\n"), "\n") {
			b.WriteString("    " + strings.ReplaceAll(l, "\t", "    ") + "\n")
		}
	}
	var queues []string
	for rank, r := range ranks {
		if q := r.Report.Queues; r.State == stateReported && q != nil && len(r.Report.Ops) > 0 {
			queues = append(queues, fmt.Sprintf("    rank %d: %d posted receives, %d unexpected messages (%s)\n",
				rank, q.Posted, q.Unexpected, formatBytes(q.UnexpectedBytes)))
		}
	}
	if len(queues) > 0 {
		b.WriteString("  pending messages of the waiting ranks:\n" + strings.Join(queues, ""))
	}
	return b.String()
}

// plural turns a rank's verb phrase into the ranks' one.
func plural(what string) string {
	for _, v := range [][2]string{{"is ", "are "}, {"was ", "were "}, {"waits ", "wait "}} {
		if s, ok := strings.CutPrefix(what, v[0]); ok {
			return v[1] + s
		}
	}
	return what
}
