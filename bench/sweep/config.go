package sweep

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ErrConfig is wrapped by every error about a study's configuration.
var ErrConfig = errors.New("bad scaling study")

// Mode is strong or weak scaling.
type Mode string

const (
	// Strong keeps the problem fixed while p grows.
	Strong Mode = "strong"
	// Weak grows the problem with p (through placeholders in the
	// arguments).
	Weak Mode = "weak"
)

// Fill says how a point's ranks are placed on an allocation's hosts.
type Fill string

const (
	// FillNode fills each host's slots before taking the next host.
	FillNode Fill = "node"
	// FillSpread uses as many hosts as the ranks allow, ranks divided
	// evenly.
	FillSpread Fill = "spread"
)

// Metric is a figure of merit read from a run's output: the first
// submatch of Regexp, as a number, on the last line that matches.
type Metric struct {
	Name           string
	Regexp         *regexp.Regexp
	HigherIsBetter bool
}

// ParseMetric reads NAME=REGEX. The regular expression needs one
// parenthesised group, the number.
func ParseMetric(s string) (Metric, error) {
	name, expr, ok := strings.Cut(s, "=")
	if !ok || name == "" || expr == "" {
		return Metric{}, fmt.Errorf("%w: --metric %q: want NAME=REGEX", ErrConfig, s)
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return Metric{}, fmt.Errorf("%w: --metric %s: %w", ErrConfig, name, err)
	}
	if re.NumSubexp() < 1 {
		return Metric{}, fmt.Errorf("%w: --metric %s: %q has no (group) around the number", ErrConfig, name, expr)
	}
	return Metric{Name: name, Regexp: re}, nil
}

// MaxRanks bounds the process counts a study may name.
const MaxRanks = 1 << 20

// ParseNP reads a list of process counts: comma-separated items, each a
// count (4) or a doubling range (1-64: 1, 2, 4, ..., 64, with the upper
// end included even when it is not a power of two times the lower). The
// result is sorted without duplicates.
func ParseNP(s string) ([]int, error) {
	seen := map[int]bool{}
	var out []int
	add := func(n int) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		lo, hi, isRange := strings.Cut(item, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 1 || a > MaxRanks {
			return nil, fmt.Errorf("%w: --np %q: %q is not a process count from 1 to %d", ErrConfig, s, lo, MaxRanks)
		}
		if !isRange {
			add(a)
			continue
		}
		b, err := strconv.Atoi(hi)
		if err != nil || b < a || b > MaxRanks {
			return nil, fmt.Errorf("%w: --np %q: range %q needs an upper end from %d to %d", ErrConfig, s, item, a, MaxRanks)
		}
		for n := a; n < b; n *= 2 {
			add(n)
		}
		add(b)
	}
	sortInts(out)
	return out, nil
}

// DefaultNP is 1 and the powers of two below slots, then slots.
func DefaultNP(slots int) []int {
	np := []int{}
	for n := 1; n < slots; n *= 2 {
		np = append(np, n)
	}
	return append(np, max(slots, 1))
}

func sortInts(xs []int) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}

// Config describes a study.
type Config struct {
	// Program and Args are what runs; Args may hold placeholders.
	Program string
	Args    []string
	// NP are the process counts, ascending.
	NP   []int
	Mode Mode
	// Repeat is the number of timed runs per point (default 5); Warmup
	// the number of untimed rounds before them.
	Repeat, Warmup int
	// CITarget, when above zero, adds rounds until every point's 95 %
	// interval lies within ±CITarget·median of its median, or the point
	// has MaxRepeat runs.
	CITarget  float64
	MaxRepeat int
	// SerialReference (weak mode) also times each point's grown problem
	// on one rank, for Gustafson's scaled speedup.
	SerialReference bool
	Metrics         []Metric
	// Spmdrun is the spmdrun executable; SpmdrunArgs go before the
	// program on its command line.
	Spmdrun     string
	SpmdrunArgs []string
	// Launcher, if not empty, replaces spmdrun: a command template (with
	// placeholders) run as LAUNCHER... PROGRAM ARGS..., e.g.
	// "mpirun.openmpi -np {p}". Its runs are timed by wall time.
	Launcher string
	// RunTimeout ends a run that takes longer (zero: no limit); the run
	// is recorded as failed with exit code 124.
	RunTimeout time.Duration
	Fill       Fill
	// Seed orders the runs; the same seed gives the same order.
	Seed uint64
	// Out is the directory the results go to.
	Out string
}

// withDefaults fills in the defaults and checks c.
func (c Config) withDefaults() (Config, error) {
	if c.Repeat == 0 {
		c.Repeat = 5
	}
	if c.Mode == "" {
		c.Mode = Strong
	}
	if c.Fill == "" {
		c.Fill = FillNode
	}
	if c.Spmdrun == "" {
		c.Spmdrun = "spmdrun"
	}
	if c.MaxRepeat == 0 {
		c.MaxRepeat = 4 * c.Repeat
	}
	switch {
	case c.Program == "":
		return c, fmt.Errorf("%w: no program", ErrConfig)
	case len(c.NP) == 0:
		return c, fmt.Errorf("%w: no process counts", ErrConfig)
	case c.Repeat < 1:
		return c, fmt.Errorf("%w: --repeat %d: need at least 1", ErrConfig, c.Repeat)
	case c.Warmup < 0:
		return c, fmt.Errorf("%w: --warmup %d: must not be negative", ErrConfig, c.Warmup)
	case c.CITarget < 0:
		return c, fmt.Errorf("%w: --ci-target %v: must not be negative", ErrConfig, c.CITarget)
	case c.CITarget > 0 && c.MaxRepeat < c.Repeat:
		return c, fmt.Errorf("%w: --max-repeat %d is below --repeat %d", ErrConfig, c.MaxRepeat, c.Repeat)
	case c.Mode != Strong && c.Mode != Weak:
		return c, fmt.Errorf("%w: mode %q: want strong or weak", ErrConfig, c.Mode)
	case c.Fill != FillNode && c.Fill != FillSpread:
		return c, fmt.Errorf("%w: --fill %q: want node or spread", ErrConfig, c.Fill)
	case c.RunTimeout < 0:
		return c, fmt.Errorf("%w: --run-timeout %v: must not be negative", ErrConfig, c.RunTimeout)
	case c.Out == "":
		return c, fmt.Errorf("%w: no output directory", ErrConfig)
	}
	for _, p := range c.NP {
		if p < 1 || p > MaxRanks {
			return c, fmt.Errorf("%w: process count %d: need 1 to %d", ErrConfig, p, MaxRanks)
		}
	}
	return c, nil
}
