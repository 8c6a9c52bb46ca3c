package osu

import (
	"fmt"
	"time"

	"github.com/spmd-go/spmd/comm"
)

// Run runs benchmark k on c and returns one Result per size. Every rank
// must call it with the same options. A point-to-point benchmark needs
// exactly two ranks, and the values of rank 0 are the ones to report (rank 1
// measures its own view of the same loop). A collective benchmark runs on
// all the ranks of c and returns the same values on every rank (see
// runCollective). Errors of the communication name the size.
func Run(c *comm.Comm, k Kind, o Options) ([]Result, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	if k.Collective() {
		return runCollective(c, k, o)
	}
	p, err := newPair(c)
	if err != nil {
		return nil, err
	}
	var step func(send, recv []byte) error
	var value func(size, iters int, d time.Duration) float64
	switch k {
	case Latency, ObjLatency:
		step = p.pingPong
		if k == ObjLatency {
			step = p.objPingPong
		}
		value = func(_, iters int, d time.Duration) float64 {
			return float64(d.Nanoseconds()) / 1e3 / float64(2*iters)
		}
	case Bandwidth, BiBandwidth:
		bytes := float64(o.Window)
		if k == Bandwidth {
			reqs := make([]*comm.Request, o.Window)
			step = func(send, recv []byte) error { return p.window(send, recv, reqs) }
		} else {
			reqs := make([]*comm.Request, 2*o.Window)
			step = func(send, recv []byte) error { return p.biWindow(send, recv, reqs) }
			bytes *= 2
		}
		value = func(size, iters int, d time.Duration) float64 {
			return float64(size) * bytes * float64(iters) / d.Seconds() / 1e6
		}
	default:
		return nil, fmt.Errorf("benchmark %q: %w", k, ErrOptions)
	}
	sendBuf, recvBuf := buffers(o.MaxSize, o.Data)
	var res []Result
	for _, size := range Sizes(o.MinSize, o.MaxSize) {
		iters, d, err := p.measure(o, size, func() error { return step(sendBuf[:size], recvBuf[:size]) })
		if err != nil {
			return res, fmt.Errorf("%s, %d B: %w", k, size, err)
		}
		res = append(res, Result{Size: size, Iters: iters, Value: value(size, iters, d)})
	}
	return res, nil
}

// measure synchronises, runs the warm-up, settles the timed count and
// returns it with the time the timed iterations took.
func (p *pair) measure(o Options, size int, step func() error) (int, time.Duration, error) {
	if err := p.barrier(); err != nil {
		return 0, 0, err
	}
	warmup, _ := o.counts(size)
	t0 := time.Now()
	for range warmup {
		if err := step(); err != nil {
			return 0, 0, fmt.Errorf("warm-up: %w", err)
		}
	}
	iters, err := p.agree(o.calibrate(size, warmup, time.Since(t0)))
	if err != nil {
		return 0, 0, err
	}
	t0 = time.Now()
	for range iters {
		if err := step(); err != nil {
			return 0, 0, err
		}
	}
	return iters, time.Since(t0), nil
}
