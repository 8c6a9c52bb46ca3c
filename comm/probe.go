package comm

import (
	"context"
	"time"
)

// Iprobe reports whether a message from source with tag could be received
// now, and its status (Bytes is its full length), without receiving it.
func (c *Comm) Iprobe(source, tag int) (bool, Status, error) {
	if c.profiled() {
		return c.iprobeTimed(source, tag)
	}
	return c.iprobe(source, tag)
}

// iprobe is Iprobe, never counted in the profile.
func (c *Comm) iprobe(source, tag int) (bool, Status, error) {
	if err := c.checkRecv(source, tag); err != nil {
		return false, Status{}, err
	}
	if source == ProcNull {
		return true, Status{Source: ProcNull, Tag: AnyTag}, nil
	}
	env, ok, err := c.w.eng.Probe(c.ctx, source, tag)
	if !ok {
		return false, Status{}, err
	}
	return true, Status{Source: env.Src, Tag: env.Tag, Bytes: env.Len}, nil
}

// Probe blocks until a message from source with tag could be received, and
// returns its status without receiving it. Another goroutine may receive
// the message first; RecvObj, which needs the length, does not race so.
func (c *Comm) Probe(source, tag int) (Status, error) {
	if c.profiled() {
		return c.probeTimed(opProbe, context.Background(), source, tag)
	}
	return c.probe(context.Background(), source, tag)
}

// ProbeContext is Probe that gives up when ctx ends.
func (c *Comm) ProbeContext(ctx context.Context, source, tag int) (Status, error) {
	if c.profiled() {
		return c.probeTimed(opProbeContext, ctx, source, tag)
	}
	return c.probe(ctx, source, tag)
}

// probe is ProbeContext, never counted in the profile.
func (c *Comm) probe(ctx context.Context, source, tag int) (Status, error) {
	if err := c.checkRecv(source, tag); err != nil {
		return Status{}, err
	}
	peer := -1
	if source >= 0 {
		peer = c.group[source]
	}
	// Register for hang diagnostics only once the probe has to sleep:
	// registering takes the goroutine's callers.
	since := time.Now()
	var op *blockedOp
	for {
		ch := c.w.probes.wait()
		ok, st, err := c.iprobe(source, tag)
		if ok || err != nil {
			c.w.probes.done()
			return st, err
		}
		if op == nil {
			op = &blockedOp{op: "probe", peer: peer, tag: tag, ctx: c.ctx, since: since}
			c.w.diag.enter(op)
			defer c.w.diag.leave(op)
		}
		select {
		case <-ch:
			c.w.probes.done()
		case <-ctx.Done():
			c.w.probes.done()
			return Status{}, ctx.Err()
		}
	}
}
