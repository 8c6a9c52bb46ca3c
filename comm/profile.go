package comm

import (
	"math/bits"
	"sync"
	"time"

	"github.com/spmd-go/spmd/internal/commhook"
	"github.com/spmd-go/spmd/internal/profdata"
)

// The profile. When Config.Profile is on, every communicator the program
// sees carries its world's profiler, and each exported spmd call checks
// that one field: nil (profiling off) costs a predictable branch and
// nothing else. A profiled call reads the profile clock as it starts and
// once more as it ends, then updates its operation's counters under the
// profiler's lock, with no allocation. Internal calls (the collectives'
// messages on a communicator's collective view, the blocking calls' own
// requests) never carry the profiler, so that a call is counted once, by
// the outermost spmd function the program called.
//
// Links count the messages they carry (the communication row and the flow
// sequence numbers, see profile_link.go) apart from the calls, so that a
// collective's internal messages are in the row even though the
// collective is one call.

// opID names a point-to-point, probe, wait or communicator call of
// package comm.
type opID uint16

// The operations of package comm, by their Go names (opNames).
const (
	opSend opID = iota
	opSsend
	opRecv
	opIsend
	opIssend
	opIrecv
	opSendrecv
	opSendObj
	opRecvObj
	opProbe
	opProbeContext
	opIprobe
	opWait
	opWaitContext
	opTest
	opWaitAll
	opWaitAllStatus
	opWaitAny
	opSplit
	opDup
	opCartCreate
	opCartSub
	opFree
	opCount // the first name id beyond comm's own operations
)

var opNames = [opCount]string{
	opSend: "Send", opSsend: "Ssend", opRecv: "Recv", opIsend: "Isend", opIssend: "Issend",
	opIrecv: "Irecv", opSendrecv: "Sendrecv", opSendObj: "SendObj", opRecvObj: "RecvObj",
	opProbe: "Probe", opProbeContext: "ProbeContext", opIprobe: "Iprobe",
	opWait: "Wait", opWaitContext: "WaitContext", opTest: "Test",
	opWaitAll: "WaitAll", opWaitAllStatus: "WaitAllStatus", opWaitAny: "WaitAny",
	opSplit: "Split", opDup: "Dup", opCartCreate: "CartCreate", opCartSub: "CartSub", opFree: "Free",
}

// profiler holds one rank's counters and trace.
type profiler struct {
	w *world
	// The rank's clock: Unix nanoseconds as time.Now gave them at Init,
	// plus the monotonic time since, plus the configured skew (wallNow).
	// Calls are timed in ticks (profile_clock.go), tsc telling which.
	base   time.Time
	baseNs int64
	tsc    bool

	mu sync.Mutex
	// stats[id] counts operation id: comm's operations at their opID,
	// then collectives and regions by their interned names (names).
	stats   []*profdata.OpStats
	names   []string
	nameIDs map[string]uint16
	// Times below are in ticks until data converts them. spmdNs is the
	// time inside spmd calls; spmdEnd the latest end of a call counted in
	// it. A call adds only the part of it after spmdEnd,
	// so calls that overlap (several goroutines in spmd at once) are
	// never counted twice and spmdNs never exceeds the wall time.
	spmdNs, spmdEnd int64
	regions         map[string]*region
	collNames       collNameCache
	trace           traceBuffer

	init     clockPair                // Init's end, both clocks
	sink     profileSink              // where the data goes at Finalize
	collHook *commhook.Profile[*Comm] // what package collective reports to
}

// newProfiler makes the profiler of w, whose configuration turns it on.
func newProfiler(w *world) *profiler {
	pc := w.cfg.Profile
	p := &profiler{
		w:       w,
		base:    time.Now(),
		stats:   make([]*profdata.OpStats, opCount, opCount+16),
		names:   make([]string, opCount, opCount+16),
		nameIDs: make(map[string]uint16),
		regions: make(map[string]*region),
	}
	p.baseNs = p.base.UnixNano() + int64(pc.ClockSkew)
	p.tsc = tscUsable()
	for id := range opCount {
		p.stats[id] = new(profdata.OpStats)
		p.names[id] = opNames[id]
		p.nameIDs[opNames[id]] = uint16(id)
	}
	p.collHook = p.newCollHook()
	if pc.TraceDir != "" {
		p.trace = newTraceBuffer(pc.traceLimit(w.size))
	}
	return p
}

// nameID returns the id of name, interning it; the caller holds mu. Names
// are collectives and regions, a handful per program: an id is never
// given back.
func (p *profiler) nameID(name string) uint16 {
	if id, ok := p.nameIDs[name]; ok {
		return id
	}
	id := uint16(len(p.names))
	p.names = append(p.names, name)
	p.stats = append(p.stats, new(profdata.OpStats))
	p.nameIDs[name] = id
	return id
}

// profCall describes one finished spmd call for record.
type profCall struct {
	op      uint16 // name id
	alg     uint16 // name id of a collective's algorithm, 0 for none
	start   int64
	bytes   int
	peer    int // world rank, -1 for none or any
	tag     int
	ctx     uint32
	sendSeq uint64
	recvSeq uint64
}

// record counts call e, which ends now, and traces it.
func (p *profiler) record(e *profCall) {
	end := p.tick()
	p.mu.Lock()
	p.count(e, end)
	p.mu.Unlock()
}

// recordPair is record for a call whose trace shows as two events with
// the same times, e and then extra, which is not counted.
func (p *profiler) recordPair(e, extra *profCall) {
	end := p.tick()
	p.mu.Lock()
	p.count(e, end)
	if p.trace.events != nil {
		p.trace.add(extra, end)
	}
	p.mu.Unlock()
}

// count does record's work under mu.
func (p *profiler) count(e *profCall, end int64) {
	d := max(0, end-e.start)
	s := p.stats[e.op]
	s.Calls++
	s.Ns += d
	s.MaxNs = max(s.MaxNs, d)
	s.Bytes += uint64(e.bytes)
	s.Hist[sizeBucket(e.bytes)]++
	if end > p.spmdEnd {
		p.spmdNs += end - max(e.start, p.spmdEnd, end-d)
		p.spmdEnd = end
	}
	if p.trace.events != nil {
		p.trace.add(e, end)
	}
}

// sizeBucket is the histogram bucket of an n-byte payload (see
// profdata.HistBuckets).
func sizeBucket(n int) int {
	if n <= 0 {
		return 0
	}
	return min(bits.Len(uint(n)), profdata.HistBuckets-1)
}

// profiled reports whether c's calls are counted: c is a communicator of
// the program (not a collective view) in a profiled world.
func (c *Comm) profiled() bool { return c != nil && c.prof != nil }

// worldRankOf returns the world rank of c's rank r, or -1 for any other r
// (AnySource, ProcNull).
func (c *Comm) worldRankOf(r int) int {
	if r < 0 || r >= len(c.group) {
		return -1
	}
	return c.group[r]
}
