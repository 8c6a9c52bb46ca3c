package profile

import "github.com/spmd-go/spmd/internal/profdata"

// Slice is one traced event of one rank on the collector's clock.
type Slice struct {
	profdata.Event
	Rank       int
	Start, End int64 // collector nanoseconds
}

// Timeline is every reporting rank's trace on one clock.
type Timeline struct {
	// Ranks[r] is rank r's slices, nil for a rank that did not report.
	Ranks [][]Slice
	// Clocks[r] is the map used for rank r.
	Clocks []ClockMap
	// ShiftNs[r] is the constant added to rank r's times after mapping
	// its clock, to keep every matched receive after its send (see
	// FixCausality).
	ShiftNs []int64
}

// NewTimeline maps every rank's events to the collector's clock with the
// ClockMap of its samples.
func NewTimeline(data []*profdata.RankData) *Timeline {
	tl := &Timeline{
		Ranks: make([][]Slice, len(data)), Clocks: make([]ClockMap, len(data)),
		ShiftNs: make([]int64, len(data)),
	}
	for r, d := range data {
		if d == nil {
			continue
		}
		m := NewClockMap(d.Clock)
		tl.Clocks[r] = m
		s := make([]Slice, len(d.Trace))
		for i, e := range d.Trace {
			start := m.Map(e.StartNs)
			// Map both ends, but never let the drift correction turn a
			// slice around.
			s[i] = Slice{Event: e, Rank: r, Start: start, End: max(m.Map(e.EndNs), start)}
		}
		tl.Ranks[r] = s
	}
	return tl
}

// shift adds delta to every time of rank r.
func (tl *Timeline) shift(r int, delta int64) {
	if delta == 0 {
		return
	}
	tl.ShiftNs[r] += delta
	for i := range tl.Ranks[r] {
		tl.Ranks[r][i].Start += delta
		tl.Ranks[r][i].End += delta
	}
}

// Bounds returns the earliest start and the latest end of any slice;
// ok is false when there are none.
func (tl *Timeline) Bounds() (first, last int64, ok bool) {
	for _, rs := range tl.Ranks {
		for _, s := range rs {
			if !ok || s.Start < first {
				first = s.Start
			}
			if !ok || s.End > last {
				last = s.End
			}
			ok = true
		}
	}
	return first, last, ok
}
