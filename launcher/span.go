package launcher

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spmd-go/spmd/internal/jobnames"
)

// Span times a job's application span with the launcher's clock, from the
// PMI requests, barriers and puts of the ranks it serves itself, which the
// launcher's PMI server reports to it. As Finalize begins, an spmd
// rank puts "spmd-span-<rank>" with the value "<init>:<fin>": when its
// comm.Init returned and when Finalize was called, in Unix nanoseconds by
// its clock (see package comm), which is the launcher's clock too for the
// ranks it serves itself, those on its host. The job's span runs from the
// last rank's init to the last rank's fin, so launch, wire-up and teardown
// are not counted. A value that is not two such times, in order, within
// the rank's PMI session, is ignored: the span then ends when the put was
// read. For a rank that does not report (another PMI program), the span
// starts at the reply to its last barrier before finalize (else at its
// first request) and ends when its finalize is read.
//
// Ranks served through a proxy on another host are not seen; since
// comm.Init ends after a job-wide fence and Finalize starts a barrier over
// the world, the ranks on the launcher's own host stand for the job. When
// none run there, the span is unknown (SpanReport.AppS nil). A rank that
// dies before finalize has no span.
//
// Set Job.Span to a new Span before Run; read Report after Run returns. A
// Span serves one run.
type Span struct {
	mu       sync.Mutex
	first    []time.Time // first[r]: when rank r's first request was read
	fenceOut []time.Time // fenceOut[r]: last barrier reply to rank r before its finalize
	initMark []time.Time // initMark[r]: when rank r's Init returned, as it reported
	finMark  []time.Time // finMark[r]: when rank r's Finalize began, as it reported
	finalize []time.Time // finalize[r]: when rank r's finalize was read
}

// NewSpan returns a Span for a job of n ranks.
func NewSpan(n int) *Span {
	return &Span{first: make([]time.Time, n), fenceOut: make([]time.Time, n), initMark: make([]time.Time, n),
		finMark: make([]time.Time, n), finalize: make([]time.Time, n)}
}

// SpanReport is what a Span measured.
type SpanReport struct {
	// AppS is the application span in seconds, or nil when it could not
	// be measured (see Span).
	AppS *float64 `json:"app_s"`
	// Timed is the number of ranks whose span was seen.
	Timed int `json:"ranks_timed"`
	// Marked is the number of those that reported it themselves.
	Marked int `json:"ranks_marked"`
	// FinalizeOffsetsS[r] is when rank r's span ended, in seconds after
	// the job's span started; nil for a rank not timed.
	FinalizeOffsetsS []*float64 `json:"finalize_offsets_s"`
}

// Report returns the span measured so far.
func (sp *Span) Report() SpanReport {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	var start, end time.Time
	r := SpanReport{FinalizeOffsetsS: make([]*float64, len(sp.finalize))}
	for i := range sp.finalize {
		from, to := sp.startOf(i), sp.endOf(i)
		if from.IsZero() || to.IsZero() {
			continue
		}
		r.Timed++
		if !sp.initMark[i].IsZero() && !sp.finMark[i].IsZero() {
			r.Marked++
		}
		if from.After(start) {
			start = from
		}
		if to.After(end) {
			end = to
		}
	}
	if r.Timed == 0 {
		return r
	}
	for i := range sp.finalize {
		if to := sp.endOf(i); !to.IsZero() && !sp.startOf(i).IsZero() {
			off := to.Sub(start).Seconds()
			r.FinalizeOffsetsS[i] = &off
		}
	}
	app := end.Sub(start).Seconds()
	r.AppS = &app
	return r
}

// startOf returns when rank i's span starts, or zero. The caller holds mu.
func (sp *Span) startOf(i int) time.Time {
	switch {
	case !sp.initMark[i].IsZero():
		return sp.initMark[i]
	case !sp.fenceOut[i].IsZero():
		return sp.fenceOut[i]
	}
	return sp.first[i]
}

// endOf returns when rank i's span ends, or zero. The caller holds mu.
func (sp *Span) endOf(i int) time.Time {
	if !sp.finMark[i].IsZero() {
		return sp.finMark[i]
	}
	return sp.finalize[i]
}

// request notes a request of rank read by the PMI server (see
// pmi.ServerConfig.OnRequest): the first starts its session, finalize
// ends it.
func (sp *Span) request(rank int, cmd string) {
	if !sp.serves(rank) {
		return
	}
	sp.mark(sp.first, rank, false)
	if cmd == "finalize" {
		sp.mark(sp.finalize, rank, false)
	}
}

// barrierOut notes that rank was told a barrier succeeded.
func (sp *Span) barrierOut(rank int) {
	if sp.serves(rank) {
		sp.mark(sp.fenceOut, rank, true)
	}
}

// put notes rank's put of key; only its own span key matters.
func (sp *Span) put(rank int, key, value string) {
	if !sp.serves(rank) || key != jobnames.SpanKey(rank) {
		return
	}
	init, fin, ok := spanTimes(value)
	sp.report(rank, init, fin, ok)
}

// serves reports whether sp times rank: a nil Span times nothing.
func (sp *Span) serves(rank int) bool { return sp != nil && rank >= 0 && rank < len(sp.finalize) }

// spanTimes reads a span value, "<init>:<fin>" in Unix nanoseconds.
func spanTimes(v string) (init, fin time.Time, ok bool) {
	a, b, found := strings.Cut(v, ":")
	if !found {
		return init, fin, false
	}
	an, err1 := strconv.ParseInt(a, 10, 64)
	bn, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || an <= 0 || bn < an {
		return init, fin, false
	}
	return time.Unix(0, an), time.Unix(0, bn), true
}

// report records rank's own span, once, if ok and the times lie within
// its PMI session so far (they come from its clock); else the end of its
// span is now.
func (sp *Span) report(rank int, init, fin time.Time, ok bool) {
	now := time.Now()
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if !sp.finalize[rank].IsZero() || !sp.finMark[rank].IsZero() {
		return
	}
	if ok && !init.Before(sp.first[rank]) && !fin.After(now) {
		sp.initMark[rank], sp.finMark[rank] = init, fin
		return
	}
	sp.finMark[rank] = now
}

// mark sets ts[rank] to now: always when again is true, else once. Marks
// after the rank's finalize are ignored.
func (sp *Span) mark(ts []time.Time, rank int, again bool) {
	now := time.Now()
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if !sp.finalize[rank].IsZero() {
		return
	}
	if again || ts[rank].IsZero() {
		ts[rank] = now
	}
}
