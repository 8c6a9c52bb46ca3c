package osu

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestDefaultOptions(t *testing.T) {
	lat := DefaultOptions(Latency)
	assert.NoError(t, lat.Check())
	assert.Equal(t, 0, lat.MinSize)
	assert.Equal(t, 16<<20, lat.MaxSize)
	w, n := lat.counts(8 << 10)
	assert.Equal(t, [2]int{100, 1000}, [2]int{w, n})
	w, n = lat.counts(8<<10 + 1)
	assert.Equal(t, [2]int{10, 100}, [2]int{w, n})

	bw := DefaultOptions(Bandwidth)
	assert.NoError(t, bw.Check())
	assert.Equal(t, 1, bw.MinSize)
	assert.Equal(t, 64, bw.Window)
	w, n = bw.counts(1 << 20)
	assert.Equal(t, [2]int{2, 20}, [2]int{w, n})
}

func TestOptionsCheck(t *testing.T) {
	for name, change := range map[string]func(*Options){
		"negative min":   func(o *Options) { o.MinSize = -1 },
		"max below min":  func(o *Options) { o.MinSize, o.MaxSize = 8, 4 },
		"no iterations":  func(o *Options) { o.Iters = 0 },
		"no window":      func(o *Options) { o.Window = 0 },
		"negative warm":  func(o *Options) { o.WarmupLarge = -1 },
		"bad iter range": func(o *Options) { o.Target, o.MinIters, o.MaxIters = time.Second, 5, 4 },
	} {
		o := DefaultOptions(Latency)
		change(&o)
		assert.ErrorIs(t, o.Check(), ErrOptions, name)
	}
}

func TestCalibrate(t *testing.T) {
	o := DefaultOptions(Latency)
	assert.Equal(t, 1000, o.calibrate(8, 100, time.Millisecond), "fixed count without a target")
	o.Target = 100 * time.Millisecond
	assert.Equal(t, 10_000, o.calibrate(8, 100, time.Millisecond), "10 µs per iteration")
	assert.Equal(t, o.MinIters, o.calibrate(8, 10, time.Second), "clamped below")
	assert.Equal(t, o.MaxIters, o.calibrate(8, 10, time.Nanosecond), "clamped above")
	assert.Equal(t, o.MinIters, o.calibrate(8, 0, 0), "no warm-up to go by")
}

func TestDefaultOptionsCollective(t *testing.T) {
	for _, k := range CollectiveKinds {
		o := DefaultOptions(k)
		assert.NoError(t, o.Check(), k)
		w, n := o.counts(8)
		assert.Equal(t, [2]int{200, 1000}, [2]int{w, n}, k)
		w, n = o.counts(1 << 20)
		assert.Equal(t, [2]int{10, 100}, [2]int{w, n}, k)
	}
	assert.Equal(t, [2]int{8, 1 << 20}, [2]int{DefaultOptions(Allreduce).MinSize, DefaultOptions(Allreduce).MaxSize})
	assert.Equal(t, [2]int{1, 1 << 20}, [2]int{DefaultOptions(Gather).MinSize, DefaultOptions(Gather).MaxSize})
	assert.Equal(t, [2]int{0, 0}, [2]int{DefaultOptions(Barrier).MinSize, DefaultOptions(Barrier).MaxSize})
}
