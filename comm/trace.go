package comm

import (
	"os"
	"unsafe"

	"github.com/spmd-go/spmd/internal/profdata"
)

// The trace: with Config.Profile.TraceDir set, every profiled call and
// every Region leaves one event in a buffer allocated at Init to the
// rank's trace limit. A full buffer keeps its events and counts the
// others as dropped, so a trace never grows without bound and never loses
// events silently. Events hold their names as ids (profiler.names) rather
// than strings: a buffer without pointers costs the garbage collector
// nothing to scan, whatever its size.
//
// Init also writes to every page of the buffer's first prefaultEvents
// events (all of it at the default limits), so that the operating system
// maps that memory then rather than on the first event that reaches each
// page: on a virtual machine whose page faults are dear, faults in the
// middle of the calls made tracing cost several times a small message's
// latency (bench/results/2026-12-06-profile-overhead). That memory is
// committed at Init; the rest of a larger buffer is mapped as events
// reach it.

// prefaultEvents bounds the events whose memory Init maps: a whole job's
// default budget, so that a rank given a huge limit that it may never use
// does not commit it all.
const prefaultEvents = profdata.TraceEventBudget

// traceEvent is one event as the buffer holds it (see profdata.Event).
type traceEvent struct {
	start, end int64
	bytes      int64
	sendSeq    uint64
	recvSeq    uint64
	peer, tag  int32
	ctx        uint32
	name, alg  uint16
	region     bool
}

// traceBuffer is a rank's bounded event buffer; nil events: not tracing.
type traceBuffer struct {
	events  []traceEvent // capacity: the trace limit
	dropped uint64
}

// newTraceBuffer returns an empty buffer for limit events, the memory of
// its first prefaultEvents mapped in.
func newTraceBuffer(limit int) traceBuffer {
	events := make([]traceEvent, limit)
	step := max(1, os.Getpagesize()/int(unsafe.Sizeof(traceEvent{})))
	for i := 0; i < min(len(events), prefaultEvents); i += step {
		events[i] = traceEvent{}
	}
	return traceBuffer{events: events[:0]}
}

// add appends call e, which ended at end, or counts it as dropped.
func (t *traceBuffer) add(e *profCall, end int64) {
	if len(t.events) == cap(t.events) {
		t.dropped++
		return
	}
	t.events = append(t.events, traceEvent{
		start: e.start, end: end, bytes: int64(e.bytes), sendSeq: e.sendSeq, recvSeq: e.recvSeq,
		peer: int32(e.peer), tag: int32(e.tag), ctx: e.ctx, name: e.op, alg: e.alg,
	})
}

// addRegion appends a region's event.
func (t *traceBuffer) addRegion(name uint16, start, end int64) {
	if len(t.events) == cap(t.events) {
		t.dropped++
		return
	}
	t.events = append(t.events, traceEvent{start: start, end: end, peer: -1, name: name, region: true})
}

// export converts the buffer into events with their names.
func (t *traceBuffer) export(names []string, scale tickScale) []profdata.Event {
	out := make([]profdata.Event, len(t.events))
	for i, e := range t.events {
		out[i] = profdata.Event{
			Name: names[e.name], Region: e.region, StartNs: scale.at(e.start), EndNs: scale.at(max(e.start, e.end)),
			Peer: int(e.peer), Tag: int(e.tag), Bytes: e.bytes, Comm: e.ctx,
			SendSeq: e.sendSeq, RecvSeq: e.recvSeq,
		}
		if e.alg != 0 {
			out[i].Alg = names[e.alg]
		}
	}
	return out
}
