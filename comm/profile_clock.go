package comm

import (
	"os"
	"strings"
	"sync"
	"time"
)

// The profile clock. A profiled call reads the clock twice, and reading
// Go's monotonic clock costs several times what the rest of the
// bookkeeping does (bench/results/2026-12-06-profile-overhead). Where the
// processor's time-stamp counter runs at a constant rate whatever the
// core's frequency and sleep state (Linux's constant_tsc and nonstop_tsc
// flags), calls read the counter instead, in ticks, and the ticks are
// turned into the rank's Unix nanoseconds when the data is handed over:
// linearly, between two readings of both clocks taken at Init and at
// Finalize. Elsewhere a tick is a nanosecond of the monotonic clock.
// Durations that come out negative (a counter that differs between
// cores) are counted as zero.

// tick reads the profile clock in ticks.
func (p *profiler) tick() int64 {
	if p.tsc {
		return rdtsc()
	}
	return int64(time.Since(p.base))
}

// wallNow reads the rank's clock: Unix nanoseconds, shifted by the
// configured skew.
func (p *profiler) wallNow() int64 { return p.baseNs + int64(time.Since(p.base)) }

// clockPair is a reading of the tick clock and the rank's clock together.
type clockPair struct{ tick, ns int64 }

// readPair reads both clocks.
func (p *profiler) readPair() clockPair { return clockPair{p.tick(), p.wallNow()} }

// tickScale turns ticks into nanoseconds between two readings of both
// clocks.
type tickScale struct {
	from  clockPair
	perNs float64 // nanoseconds per tick
}

func newTickScale(from, to clockPair) tickScale {
	s := tickScale{from: from, perNs: 1}
	if dt := to.tick - from.tick; dt > 0 {
		s.perNs = float64(to.ns-from.ns) / float64(dt)
	}
	return s
}

// at returns the rank's time at tick t.
func (s tickScale) at(t int64) int64 { return s.from.ns + s.dur(t-s.from.tick) }

// dur returns the nanoseconds of d ticks.
func (s tickScale) dur(d int64) int64 { return int64(float64(d) * s.perNs) }

// tscUsable reports whether the time-stamp counter runs at a constant
// rate on every core (read once).
var tscUsable = sync.OnceValue(func() bool {
	if !haveTSC {
		return false
	}
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return false
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if strings.HasPrefix(line, "flags") {
			f := " " + line + " "
			return strings.Contains(f, " constant_tsc ") && strings.Contains(f, " nonstop_tsc ")
		}
	}
	return false
})
