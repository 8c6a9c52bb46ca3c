package comm

import "github.com/spmd-go/spmd/internal/profdata"

// Region marks a phase of the program, from the call to the call of the
// func it returns, for the profile and the trace:
//
//	defer comm.Region(w, "halo")()
//
// The profile reports each region name's calls, wall time, and the part
// of it spent inside spmd calls; the trace shows each region as a slice
// around the calls it holds. Regions nest, and a name may be entered again
// before it ends (recursion): each end closes the latest open entry of its
// name. Entering and leaving allocate nothing after the first use of a
// name, and when c's world is neither profiled nor traced (or c is nil)
// Region returns a func that does nothing, without reading a clock.
//
// Region is meant for one goroutine's phases: entries of one name from
// several goroutines at once pair their ends last in, first out.
func Region(c *Comm, name string) func() {
	if !c.profiled() {
		return noRegion
	}
	return c.prof.enterRegion(name)
}

func noRegion() {}

// region is the state of one region name.
type region struct {
	p     *profiler
	id    uint16 // the name's id (profiler.names)
	stats profdata.RegionStats
	open  []regionEntry // entries not yet ended, latest last
	end   func()        // made once per name, so that Region allocates nothing after
}

// regionEntry is one open entry of a region.
type regionEntry struct{ start, spmdNs int64 }

func (p *profiler) enterRegion(name string) func() {
	start := p.tick()
	p.mu.Lock()
	r := p.regions[name]
	if r == nil {
		r = &region{p: p, id: p.nameID(name)}
		r.end = r.leave
		p.regions[name] = r
	}
	r.open = append(r.open, regionEntry{start: start, spmdNs: p.spmdNs})
	p.mu.Unlock()
	return r.end
}

// leave ends the latest open entry; a leave without one does nothing.
func (r *region) leave() {
	p := r.p
	end := p.tick()
	p.mu.Lock()
	if n := len(r.open); n > 0 {
		e := r.open[n-1]
		r.open = r.open[:n-1]
		r.stats.Calls++
		d := max(0, end-e.start)
		r.stats.Ns += d
		r.stats.SpmdNs += min(p.spmdNs-e.spmdNs, d)
		if p.trace.events != nil {
			p.trace.addRegion(r.id, e.start, end)
		}
	}
	p.mu.Unlock()
}
