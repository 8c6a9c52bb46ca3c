package comm

import (
	"fmt"
	"os"
	"time"

	"github.com/spmd-go/spmd/internal/profdata"
)

// ProfileConfig turns on the rank's profile and trace (Config.Profile). The
// zero value turns both off, and then no spmd call reads a clock.
type ProfileConfig struct {
	// Dir is where the profile goes (SPMD_PROFILE): with no Collector,
	// Finalize writes the rank's counters to Dir/rank-<N>.spmdprof, which
	// Init creates (an unwritable Dir is an error from Init).
	Dir string
	// TraceDir, when set (SPMD_TRACE), turns on tracing as well as the
	// counters: every spmd call and Region is recorded as an event, and
	// Dir defaults to it.
	TraceDir string
	// TraceLimit bounds the events a rank keeps (SPMD_TRACE_LIMIT; default
	// a million divided among the world's ranks, at least a thousand). The
	// buffer is allocated at Init; events beyond it are counted as
	// dropped, never kept.
	TraceLimit int
	// Collector is the address of the launcher's profile collector
	// (SPMD_COLLECTOR, set by spmdrun --profile and --trace). A rank then
	// measures its clock against the collector's at Init and Finalize and
	// sends its data there instead of writing a file; it authenticates
	// with Config.Cookie.
	Collector string
	// ClockSkew shifts every time this rank records and reports
	// (SPMD_CLOCK_SKEW, a Go duration such as +3s): for testing the
	// launcher's clock correction on one machine only.
	ClockSkew time.Duration
}

// on reports whether counters are kept.
func (pc ProfileConfig) on() bool { return pc.Dir != "" || pc.TraceDir != "" }

// profileFromEnv reads the SPMD_PROFILE, SPMD_TRACE, SPMD_TRACE_LIMIT,
// SPMD_COLLECTOR and SPMD_CLOCK_SKEW variables.
func profileFromEnv() (ProfileConfig, error) {
	pc := ProfileConfig{
		Dir:       os.Getenv(profdata.EnvProfile),
		TraceDir:  os.Getenv(profdata.EnvTrace),
		Collector: os.Getenv(profdata.EnvCollector),
	}
	if s := os.Getenv("SPMD_TRACE_LIMIT"); s != "" {
		n, err := profdata.ParseTraceLimit(s)
		if err != nil {
			return pc, fmt.Errorf("comm: %w: %w", err, ErrArg)
		}
		pc.TraceLimit = n
	}
	if s := os.Getenv("SPMD_CLOCK_SKEW"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return pc, fmt.Errorf("comm: SPMD_CLOCK_SKEW=%q: want a Go duration such as +3s: %w", s, ErrArg)
		}
		pc.ClockSkew = d
	}
	return pc, nil
}

// traceLimit returns the per-rank event limit for a world of size ranks.
func (pc ProfileConfig) traceLimit(size int) int {
	if pc.TraceLimit > 0 {
		return pc.TraceLimit
	}
	return profdata.DefaultTraceLimit(size)
}
