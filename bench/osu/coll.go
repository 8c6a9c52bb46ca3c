package osu

import (
	"fmt"
	"time"

	"github.com/spmd-go/spmd/collective"
	"github.com/spmd-go/spmd/comm"
)

// runCollective runs collective benchmark k on every rank of c by the
// method of OSU's osu_allreduce, osu_bcast, …: for each size, a barrier,
// then warm-up and timed iterations, each call timed on its own and
// followed by an untimed barrier (Barrier itself is timed back to back).
// Each rank averages its own timed calls; the Result's Value is the mean of
// those averages over the ranks, Min and Max their extremes, the same on
// every rank.
func runCollective(c *comm.Comm, k Kind, o Options) ([]Result, error) {
	cs, err := newCollStep(c, k, o.MaxSize)
	if err != nil {
		return nil, err
	}
	sizes := Sizes(o.MinSize, o.MaxSize)
	if k == Barrier {
		sizes = []int{0} // one row, whatever the sizes
	}
	var res []Result
	for _, size := range sizes {
		step, err := cs.at(size)
		if err != nil {
			return res, fmt.Errorf("%s, %d B: %w", k, size, err)
		}
		r, err := measureCollective(c, o, size, step, k != Barrier)
		if err != nil {
			return res, fmt.Errorf("%s, %d B: %w", k, size, err)
		}
		res = append(res, r)
	}
	return res, nil
}

// measureCollective measures step at size: a barrier, the warm-up, the
// agreement on the timed count (rank 0's, calibrated on the warm-up's wall
// time, separating barriers included), then the timed calls, with a barrier
// after each when separate. It combines the ranks' average latencies.
func measureCollective(c *comm.Comm, o Options, size int, step func() error, separate bool) (Result, error) {
	iterate := func() error {
		if err := step(); err != nil {
			return err
		}
		if separate {
			if err := collective.Barrier(c); err != nil {
				return fmt.Errorf("separating barrier: %w", err)
			}
		}
		return nil
	}
	if err := collective.Barrier(c); err != nil {
		return Result{}, fmt.Errorf("barrier: %w", err)
	}
	warmup, _ := o.counts(size)
	t0 := time.Now()
	for range warmup {
		if err := iterate(); err != nil {
			return Result{}, fmt.Errorf("warm-up: %w", err)
		}
	}
	iters := []int64{int64(o.calibrate(size, warmup, time.Since(t0)))}
	if err := collective.Bcast(c, iters, 0); err != nil {
		return Result{}, fmt.Errorf("agree on the iteration count: %w", err)
	}
	var timed time.Duration
	for range iters[0] {
		t := time.Now()
		if err := step(); err != nil {
			return Result{}, err
		}
		timed += time.Since(t)
		if separate {
			if err := collective.Barrier(c); err != nil {
				return Result{}, fmt.Errorf("separating barrier: %w", err)
			}
		}
	}
	lat := float64(timed.Nanoseconds()) / 1e3 / float64(iters[0])
	// Max of (lat, −lat) gives the largest and minus the smallest at once.
	ext, sum := make([]float64, 2), make([]float64, 1)
	if err := collective.Allreduce(c, []float64{lat, -lat}, ext, collective.Max); err != nil {
		return Result{}, fmt.Errorf("combine latencies: %w", err)
	}
	if err := collective.Allreduce(c, []float64{lat}, sum, collective.Sum); err != nil {
		return Result{}, fmt.Errorf("combine latencies: %w", err)
	}
	return Result{Size: size, Iters: int(iters[0]), Value: sum[0] / float64(c.Size()), Min: -ext[1], Max: ext[0]}, nil
}
