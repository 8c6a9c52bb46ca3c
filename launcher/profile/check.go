package profile

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/klauspost/compress/gzip"
)

// TraceCheck is what CheckTrace found in a trace.
type TraceCheck struct {
	Pids   []int // processes named "rank …", sorted
	Slices int   // complete ("X") events
	Flows  int   // arrows with both ends
	// Problems lists what is wrong: an arrow whose end is not later than
	// its start, an arrow end outside any slice, an arrow with one end.
	Problems []string
}

type traceEvent struct {
	Name string          `json:"name"`
	Ph   string          `json:"ph"`
	Ts   float64         `json:"ts"`
	Dur  float64         `json:"dur"`
	Pid  int             `json:"pid"`
	Tid  int             `json:"tid"`
	ID   json.RawMessage `json:"id"`
	BP   string          `json:"bp"`
	Args json.RawMessage `json:"args"`
}

// CheckTrace reads a gzip-compressed trace (as WriteTrace writes it) and
// checks it as a viewer would need it: valid JSON in the object form,
// each flow arrow with one start and one end, each inside a slice of its
// thread, and the receive's slice ending later than the send's slice
// starts — the causality that clock alignment must keep. It is meant for
// tests and modest traces: it holds the whole trace in memory, and its
// cost grows with the arrows times the slices of a thread.
func CheckTrace(r io.Reader) (*TraceCheck, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("profile: trace: %w", err)
	}
	var doc struct {
		TraceEvents []traceEvent `json:"traceEvents"`
	}
	if err := json.NewDecoder(zr).Decode(&doc); err != nil {
		return nil, fmt.Errorf("profile: trace: %w", err)
	}
	if doc.TraceEvents == nil {
		return nil, fmt.Errorf("profile: trace: no traceEvents")
	}
	type thread struct{ pid, tid int }
	slicesOf := map[thread][]traceEvent{}
	type ends struct{ s, f []traceEvent }
	flows := map[string]*ends{}
	c := &TraceCheck{}
	for _, e := range doc.TraceEvents {
		switch e.Ph {
		case "M":
			if e.Name == "process_name" {
				c.Pids = append(c.Pids, e.Pid)
			}
		case "X":
			c.Slices++
			th := thread{e.Pid, e.Tid}
			slicesOf[th] = append(slicesOf[th], e)
		case "s", "f":
			id := string(e.ID)
			if flows[id] == nil {
				flows[id] = &ends{}
			}
			if e.Ph == "s" {
				flows[id].s = append(flows[id].s, e)
			} else {
				flows[id].f = append(flows[id].f, e)
			}
		}
	}
	slices.Sort(c.Pids)
	// enclosing returns the innermost slice of e's thread around e.ts.
	// Times are written to the nanosecond as decimal microseconds, and
	// ts+dur summed in floating point can miss an end written at the
	// slice's last nanosecond by an ulp: a nanosecond's slack covers it.
	const slack = 0.001
	enclosing := func(e traceEvent) (traceEvent, bool) {
		var best traceEvent
		found := false
		for _, s := range slicesOf[thread{e.Pid, e.Tid}] {
			if s.Ts-slack <= e.Ts && e.Ts <= s.Ts+s.Dur+slack && (!found || s.Dur < best.Dur) {
				best, found = s, true
			}
		}
		return best, found
	}
	ids := make([]string, 0, len(flows))
	for id := range flows {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		fl := flows[id]
		if len(fl.s) != 1 || len(fl.f) != 1 {
			c.Problems = append(c.Problems, fmt.Sprintf("flow %s: %d starts and %d ends", id, len(fl.s), len(fl.f)))
			continue
		}
		c.Flows++
		s, f := fl.s[0], fl.f[0]
		send, okS := enclosing(s)
		recv, okF := enclosing(f)
		switch {
		case !okS || !okF:
			c.Problems = append(c.Problems, fmt.Sprintf("flow %s: an end outside any slice of its thread", id))
		case !(f.Ts > s.Ts):
			c.Problems = append(c.Problems, fmt.Sprintf("flow %s: ends at %.3f µs, not after its start at %.3f µs", id, f.Ts, s.Ts))
		case !(recv.Ts+recv.Dur > send.Ts) || math.IsNaN(recv.Ts):
			c.Problems = append(c.Problems, fmt.Sprintf("flow %s: %s on rank %d ends at %.3f µs, before %s on rank %d starts at %.3f µs",
				id, recv.Name, recv.Pid, recv.Ts+recv.Dur, send.Name, send.Pid, send.Ts))
		}
	}
	return c, nil
}
