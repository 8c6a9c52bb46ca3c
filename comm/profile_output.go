package comm

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/spmd-go/spmd/internal/profdata"
)

// Where a rank's profile goes. With a collector (spmdrun --profile or
// --trace) the rank dials it at Init, measures its clock against the
// collector's once wire-up is done and again as Finalize begins, and
// uploads its data at Finalize. Without one (another launcher, or none)
// it writes DIR/rank-<N>.spmdprof at Finalize; Init already checks that
// it can write there, so that a bad directory fails the job before it
// runs rather than after.

// clockSamples is how many ping-pongs measure the clock at each end.
const clockSamples = 8

// profileSink is the destination of a rank's data.
type profileSink struct {
	client *profdata.Client // nil: write a file to dir
	dir    string
	clock  []profdata.ClockSample // measured at Init
	// With a client, from Init to Finalize a goroutine waits for the
	// collector to say that the job stops early (watchStop); stopWatch
	// ends it and watchDone is closed when it has.
	stopWatch context.CancelFunc
	watchDone chan struct{}
}

// startProfile makes w's profiler when its configuration asks for one,
// and opens its destination. Join calls it before wire-up, so that every
// link counts its messages from the first.
func (w *world) startProfile() error {
	pc := w.cfg.Profile
	if !pc.on() {
		return nil
	}
	p := newProfiler(w)
	dir := pc.Dir
	if dir == "" {
		dir = pc.TraceDir
	}
	if pc.Collector != "" {
		if len(w.cfg.Cookie) == 0 {
			return fmt.Errorf("comm: rank %d: SPMD_COLLECTOR is set but the job has no cookie (SPMD_COOKIE): %w", w.rank, ErrArg)
		}
		ctx, cancel := context.WithTimeout(context.Background(), w.cfg.ConnectTimeout)
		defer cancel()
		cl, err := profdata.Dial(ctx, pc.Collector, w.cfg.Cookie, w.rank)
		if err != nil {
			return fmt.Errorf("comm: rank %d: profile collector: %w", w.rank, err)
		}
		p.sink.client = cl
	} else {
		if err := checkWritable(dir); err != nil {
			return fmt.Errorf("comm: rank %d: profile directory: %w", w.rank, err)
		}
		p.sink.dir = dir
	}
	w.prof = p
	return nil
}

// checkWritable makes dir if it is missing and checks that a file can be
// made in it.
func checkWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".rank-probe-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// profileInitDone measures the clock against the collector, now that
// wire-up is over, and starts the application's span. A failed
// measurement is logged: the counters are still worth having.
func (w *world) profileInitDone() {
	p := w.prof
	if p == nil {
		return
	}
	if cl := p.sink.client; cl != nil {
		s, err := cl.Clock(clockSamples, false, p.wallNow)
		if err != nil {
			w.logf("comm: rank %d: clock against the profile collector at Init: %v", w.rank, err)
		}
		p.sink.clock = append(p.sink.clock, s...)
	}
	p.init = p.readPair()
	if cl := p.sink.client; cl != nil {
		ctx, cancel := context.WithCancel(context.Background())
		p.sink.stopWatch, p.sink.watchDone = cancel, make(chan struct{})
		go w.watchStop(ctx, cl, p.sink.watchDone)
	}
}

// watchStop waits until the collector says that the job stops before
// Finalize (spmdrun's --timeout fired) or ctx ends, and in the first case
// uploads what the profile and trace hold so far, marked partial with the
// collector's reason, so that a job ended by the launcher still leaves
// its data. It closes done when it returns.
func (w *world) watchStop(ctx context.Context, cl *profdata.Client, done chan<- struct{}) {
	defer close(done)
	reason, err := cl.Watch(ctx)
	if err != nil {
		if ctx.Err() == nil {
			w.logf("comm: rank %d: profile collector: %v", w.rank, err)
		}
		return
	}
	p := w.prof
	d := p.data(p.readPair())
	d.Partial = reason
	s, err := cl.Clock(clockSamples, true, p.wallNow)
	if err != nil {
		w.logf("comm: rank %d: clock against the profile collector as the job stops: %v", w.rank, err)
	}
	d.Clock = slices.Concat(p.sink.clock, s)
	if err := cl.Send(d); err != nil {
		w.logf("comm: rank %d: partial profile: %v", w.rank, err)
	}
}

// finishProfile ends the span, measures the clock again and hands the
// rank's data over. Finalize calls it before its barrier, so that the
// barrier's messages are not counted.
func (w *world) finishProfile() error {
	p := w.prof
	if p == nil {
		return nil
	}
	if p.sink.stopWatch != nil {
		// A partial upload under way finishes first: the final one then
		// replaces it.
		p.sink.stopWatch()
		<-p.sink.watchDone
	}
	d := p.data(p.readPair())
	if cl := p.sink.client; cl != nil {
		s, err := cl.Clock(clockSamples, true, p.wallNow)
		if err != nil {
			w.logf("comm: rank %d: clock against the profile collector at Finalize: %v", w.rank, err)
		}
		d.Clock = append(p.sink.clock, s...)
		err = cl.Send(d)
		if cerr := cl.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("comm: finalize: profile: %w", err)
		}
		return nil
	}
	if err := profdata.WriteFile(p.sink.dir, d); err != nil {
		return fmt.Errorf("comm: finalize: profile: %w", err)
	}
	return nil
}

// data returns the rank's data as it stands, its span ending at end.
func (p *profiler) data(end clockPair) *profdata.RankData {
	w := p.w
	host := w.cfg.Host
	if host == "" {
		host, _ = os.Hostname()
	}
	d := &profdata.RankData{
		Rank: w.rank, Size: w.size, Host: host, Pid: os.Getpid(),
		Ops: make(map[string]*profdata.OpStats),
	}
	d.SentMsgs, d.SentBytes = w.sentRow()
	p.mu.Lock()
	defer p.mu.Unlock()
	scale := newTickScale(p.init, end)
	d.InitNs, d.FinalizeNs = p.init.ns, max(end.ns, p.init.ns)
	// A call another goroutine ends while Finalize begins may reach past
	// FinalizeNs; the span bounds the time in spmd.
	d.SpmdNs = min(scale.dur(p.spmdNs), d.FinalizeNs-d.InitNs)
	for id, s := range p.stats {
		if s.Calls > 0 {
			c := *s
			c.Ns, c.MaxNs = scale.dur(c.Ns), scale.dur(c.MaxNs)
			d.Ops[p.names[id]] = &c
		}
	}
	for name, r := range p.regions {
		if r.stats.Calls > 0 {
			if d.Regions == nil {
				d.Regions = make(map[string]*profdata.RegionStats)
			}
			s := r.stats
			s.Ns, s.SpmdNs = scale.dur(s.Ns), scale.dur(s.SpmdNs)
			d.Regions[name] = &s
		}
	}
	if p.trace.events != nil {
		d.Trace = p.trace.export(p.names, scale)
		d.TraceLimit = cap(p.trace.events)
		d.TraceDropped = p.trace.dropped
	}
	return d
}
