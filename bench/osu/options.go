package osu

import (
	"errors"
	"fmt"
	"time"
)

// ErrOptions is wrapped by the errors of invalid options or arguments.
var ErrOptions = errors.New("invalid benchmark options")

// Options controls a run; DefaultOptions gives the defaults.
type Options struct {
	MinSize int `json:"min_size"` // smallest message, bytes; sizes double from it
	MaxSize int `json:"max_size"` // largest message, bytes
	Warmup  int `json:"warmup"`   // untimed iterations for sizes ≤ LargeSize
	Iters   int `json:"iters"`    // timed iterations for sizes ≤ LargeSize
	// WarmupLarge and ItersLarge replace Warmup and Iters above LargeSize.
	WarmupLarge int `json:"warmup_large"`
	ItersLarge  int `json:"iters_large"`
	LargeSize   int `json:"large_size"` // OSU's LARGE_MESSAGE_SIZE, 8 KiB
	Window      int `json:"window"`     // messages in flight per bandwidth iteration (64)
	// Target, when positive, replaces the fixed timed counts: rank 0 times
	// the warm-up and asks for enough iterations to take about Target,
	// clamped to [MinIters, MaxIters].
	Target   time.Duration `json:"target_ns"`
	MinIters int           `json:"min_iters"`
	MaxIters int           `json:"max_iters"`
	// Data is the point-to-point send buffer's pattern: DataOSU (also
	// the empty string), DataField or DataRandom.
	Data string `json:"data,omitempty"`
}

// DefaultOptions returns the defaults for k: sizes 0 B (1 B for bandwidth)
// to 16 MiB; latency 1000 timed + 100 warm-up iterations up to 8 KiB and
// 100 + 10 above (OSU 7 uses ten times the timed counts, which only
// lengthens the run); bandwidth OSU's 100 + 10 and 20 + 2 with a window of 64.
// Collectives have OSU's defaults: sizes 1 B (8 B, one float64, for the
// reductions; 0 B only for barrier) to 1 MiB, 1000 + 200 iterations up to
// 8 KiB and 100 + 10 above.
func DefaultOptions(k Kind) Options {
	o := Options{
		MinSize: 0, MaxSize: 16 << 20,
		Warmup: 100, Iters: 1000, WarmupLarge: 10, ItersLarge: 100,
		LargeSize: 8 << 10, Window: 64,
		MinIters: 3, MaxIters: 1_000_000,
	}
	switch {
	case k == Barrier:
		o.MaxSize, o.Warmup = 0, 200
	case k.Collective():
		o.MinSize, o.MaxSize, o.Warmup = 1, 1<<20, 200
		if k.reduction() {
			o.MinSize = 8
		}
	case k != Latency && k != ObjLatency:
		o.MinSize = 1
		o.Warmup, o.Iters, o.WarmupLarge, o.ItersLarge = 10, 100, 2, 20
	}
	return o
}

// Check reports the first invalid option.
func (o Options) Check() error {
	switch {
	case o.MinSize < 0 || o.MaxSize < o.MinSize:
		return fmt.Errorf("sizes %d..%d: %w", o.MinSize, o.MaxSize, ErrOptions)
	case o.Warmup < 0 || o.WarmupLarge < 0 || o.Iters < 1 || o.ItersLarge < 1:
		return fmt.Errorf("iterations %d+%d, large %d+%d: %w", o.Iters, o.Warmup, o.ItersLarge, o.WarmupLarge, ErrOptions)
	case o.Window < 1:
		return fmt.Errorf("window %d: %w", o.Window, ErrOptions)
	case o.Target < 0 || (o.Target > 0 && (o.MinIters < 1 || o.MaxIters < o.MinIters)):
		return fmt.Errorf("target %v with iterations %d..%d: %w", o.Target, o.MinIters, o.MaxIters, ErrOptions)
	}
	return checkData(o.Data)
}

// counts returns the warm-up and the fixed timed iterations for size.
func (o Options) counts(size int) (warmup, iters int) {
	if size > o.LargeSize {
		return o.WarmupLarge, o.ItersLarge
	}
	return o.Warmup, o.Iters
}

// calibrate returns the timed iterations for a size whose warm-up of n
// iterations took d: the fixed count, or the count that takes about Target.
func (o Options) calibrate(size, n int, d time.Duration) int {
	_, iters := o.counts(size)
	if o.Target <= 0 {
		return iters
	}
	if n < 1 || d <= 0 {
		return o.MinIters
	}
	want := float64(o.Target) / (float64(d) / float64(n))
	return int(min(max(want, float64(o.MinIters)), float64(o.MaxIters)))
}
