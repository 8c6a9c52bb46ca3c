package profile

// Causality is what FixCausality did.
type Causality struct {
	// Shifted lists the ranks it moved.
	Shifted []int
	// BeyondUncertainty lists the ranks moved by more than their measured
	// clock uncertainty: their clocks behaved worse than measured (or were
	// not measured).
	BeyondUncertainty []int
	// Unfixable is true when no constant shifts satisfy every message
	// (the trace's messages form a cycle that their times contradict);
	// the timeline is then left as the clocks put it.
	Unfixable bool
}

// FixCausality shifts whole ranks so that every flow's receive ends at
// least one nanosecond after its send starts. Among the shifts that do
// so, it finds those that Bellman–Ford relaxation from zero gives: no rank
// moves unless a message forces it, and then only backwards, by as little
// as the constraints allow.
//
// Each flow f gives the constraint shift[From] − shift[To] ≤ w with
// w = Recv.End − Send.Start − 1, an edge To → From of weight w; a
// negative cycle means the constraints cannot all hold.
func FixCausality(tl *Timeline, flows []Flow) Causality {
	type edge struct{ to, from int }
	weight := map[edge]int64{}
	for _, f := range flows {
		w := tl.Ranks[f.To][f.Recv].End - tl.Ranks[f.From][f.Send].Start - 1
		e := edge{f.To, f.From}
		if old, ok := weight[e]; !ok || w < old {
			weight[e] = w
		}
	}
	n := len(tl.Ranks)
	dist := make([]int64, n)
	changed := true
	for pass := 0; changed && pass <= n; pass++ {
		changed = false
		for e, w := range weight {
			if d := dist[e.to] + w; d < dist[e.from] {
				dist[e.from] = d
				changed = true
			}
		}
	}
	var c Causality
	if changed {
		c.Unfixable = true
		return c
	}
	for r, d := range dist {
		if d == 0 {
			continue
		}
		tl.shift(r, d)
		c.Shifted = append(c.Shifted, r)
		if m := tl.Clocks[r]; !m.Measured || -d > m.UncertaintyNs {
			c.BeyondUncertainty = append(c.BeyondUncertainty, r)
		}
	}
	return c
}
