package profdata

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The environment a launcher gives every rank of a profiled or traced job
// (spmdrun sets them on every host, ranks its proxies start included).
const (
	// EnvCollector is the collector's address, "host:port", reachable from
	// the rank's host. Without it a rank writes DIR/FileName(rank) itself.
	EnvCollector = "SPMD_COLLECTOR"
	// EnvProfile names the profile directory: set, the rank counts its
	// calls and sends (or writes) its data at Finalize.
	EnvProfile = "SPMD_PROFILE"
	// EnvTrace names the trace directory: set, the rank also records a
	// bounded trace of its calls.
	EnvTrace = "SPMD_TRACE"
	// EnvTraceLimit is the most events one rank keeps (a decimal count);
	// unset, DefaultTraceLimit(size).
	EnvTraceLimit = "SPMD_TRACE_LIMIT"
	// EnvClockSkew shifts a rank's clock by a Go duration ("+3s", "-2s")
	// for tests of the clock correction on one machine; never set it in
	// production runs.
	EnvClockSkew = "SPMD_CLOCK_SKEW"
)

// TraceEventBudget is the number of events a whole job's trace is sized
// for by default: the Chrome trace viewer has been seen to fail a little
// above a million, and Perfetto's UI needs memory a few times the file.
const TraceEventBudget = 1_000_000

// MinTraceLimit is the fewest events DefaultTraceLimit gives a rank, so
// that a large job still shows each rank's first steps.
const MinTraceLimit = 1000

// DefaultTraceLimit is the per-rank event limit for a job of size ranks:
// an even share of TraceEventBudget, but at least MinTraceLimit.
func DefaultTraceLimit(size int) int {
	if size < 1 {
		size = 1
	}
	return max(TraceEventBudget/size, MinTraceLimit)
}

// ParseTraceLimit reads EnvTraceLimit's value: a positive decimal count.
func ParseTraceLimit(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("profdata: %s=%q: want a positive number of events", EnvTraceLimit, s)
	}
	return n, nil
}

// FileName is the name, within the profile or trace directory, of the file
// a rank writes its data to when no collector runs.
func FileName(rank int) string { return "rank-" + strconv.Itoa(rank) + ".spmdprof" }

// WriteFile writes d to dir/FileName(d.Rank), whole or not at all: it
// writes a temporary file in dir and renames it.
func WriteFile(dir string, d *RankData) (err error) {
	f, err := os.CreateTemp(dir, ".rank-*.tmp")
	if err != nil {
		return fmt.Errorf("profdata: write rank %d: %w", d.Rank, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := Encode(f, d); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("profdata: write rank %d: %w", d.Rank, err)
	}
	if err := os.Rename(f.Name(), filepath.Join(dir, FileName(d.Rank))); err != nil {
		return fmt.Errorf("profdata: write rank %d: %w", d.Rank, err)
	}
	return nil
}

// ReadDir reads the rank files in dir (see WriteFile) into a slice by
// rank, of the job size the files agree on; nil where a rank's file is
// missing. It fails if there are none, if one does not decode, or if two
// disagree on the job's size.
func ReadDir(dir string) ([]*RankData, error) {
	names, err := filepath.Glob(filepath.Join(dir, "rank-*.spmdprof"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("profdata: %w", err)
		}
		return nil, fmt.Errorf("profdata: no rank files (rank-N.spmdprof) in %s: %w", dir, fs.ErrNotExist)
	}
	var out []*RankData
	for _, name := range names {
		d, err := readFile(name)
		if err != nil {
			return nil, err
		}
		switch {
		case out == nil:
			out = make([]*RankData, d.Size)
		case len(out) != d.Size:
			return nil, fmt.Errorf("profdata: %s: a job of %d ranks, others say %d", name, d.Size, len(out))
		}
		if filepath.Base(name) != FileName(d.Rank) {
			return nil, fmt.Errorf("profdata: %s holds rank %d's data", name, d.Rank)
		}
		out[d.Rank] = d
	}
	return out, nil
}

func readFile(name string) (*RankData, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("profdata: %w", err)
	}
	defer f.Close()
	d, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}
